import Foundation
import TestSupport
import Testing

/// The systemd units and the settings file of packaging/debian (SPEC §10), checked by
/// systemd's own tools. No systemd runs as PID 1 here, so the units are verified, not started.
@Suite("systemd units and settings file")
struct UnitFileTests {
    let packaging = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/packaging/debian"

    func text(_ name: String) throws -> String { try String(contentsOfFile: packaging + "/" + name, encoding: .utf8) }

    /// The units in a folder of their own, pointing at the programs and settings of this build.
    func unitsForThisBuild() throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory()
        try text("license-server.socket").write(toFile: folder.file("license-server.socket"), atomically: true, encoding: .utf8)
        try text("license-server.conf").write(toFile: folder.file("license-server.conf"), atomically: true, encoding: .utf8)
        try text("license-server.service")
            .replacingOccurrences(of: "ExecStart=/usr/bin/license-server", with: "ExecStart=" + BuiltProducts.path(of: "license-server"))
            .replacingOccurrences(of: "EnvironmentFile=/etc/license-server/license-server.conf",
                                  with: "EnvironmentFile=" + folder.file("license-server.conf"))
            .write(toFile: folder.file("license-server.service"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test("systemd-analyze verify accepts both units")
    func verify() throws {
        let folder = try unitsForThisBuild()
        let verified = try Command.run("systemd-analyze", ["verify", folder.file("license-server.socket"), folder.file("license-server.service")])
        #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")
        #expect(verified.standardError.isEmpty && verified.standardOutput.isEmpty, "\(verified.standardOutput) \(verified.standardError)")
    }

    @Test("systemd-analyze security rates the service OK (exposure at most 2.0)")
    func security() throws {
        let folder = try unitsForThisBuild()
        let rated = try Command.run("systemd-analyze", ["security", "--offline=true", folder.file("license-server.service")])
        let line = try #require(rated.standardOutput.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(score <= 2.0, "\(line)")
    }

    @Test("the socket and service units say what SPEC §10 and the README say")
    func contents() throws {
        let socket = try text("license-server.socket")
        for line in ["ListenStream=/run/license-server/fcgi.sock", "SocketMode=0660", "SocketGroup=www-data"] {
            #expect(socket.contains(line + "\n"), "\(line)")
        }
        let service = try text("license-server.service")
        for line in ["User=license-server", "EnvironmentFile=/etc/license-server/license-server.conf", "ExecStart=/usr/bin/license-server",
                     "KillSignal=SIGTERM", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                     "PrivateTmp=yes", "PrivateDevices=yes", "SystemCallFilter=@system-service"] {
            #expect(service.contains(line + "\n"), "\(line)")
        }
        #expect(service.contains("RestrictAddressFamilies="))
    }

    @Test("the settings file names every LICENSE_* setting license-server knows")
    func everySetting() throws {
        let help = try Command.run(BuiltProducts.path(of: "license-server"), ["--help"])
        let settings = Set(help.standardOutput.matches(of: /LICENSE_[A-Z_]+/).map { String($0.output) })
        #expect(settings.count >= 10)
        let conf = try text("license-server.conf")
        for setting in settings.sorted() { #expect(conf.contains(setting + "="), "\(setting)") }
    }
}

/// license-server's start-up refusals (SPEC §7, §8): one line on standard error, exit 2, before
/// any check is answered.
@Suite("license-server refuses bad settings at start")
struct StartupSettingsTests {
    /// A pool start with the settings that `arguments` add to a working set of issuers and secret.
    func start(_ arguments: [String], answerKeys: [String: String] = [:]) throws -> CommandResult {
        let folder = try TemporaryDirectory()
        try #require(Command.run(BuiltProducts.path(of: "licensectl"), ["keygen", "--out", folder.file("issuers"), "--name", "default"]).status == 0)
        try Data(repeating: 0x5A, count: 32).write(to: URL(fileURLWithPath: folder.file("secret")))
        try FileManager.default.createDirectory(atPath: folder.file("answer-keys"), withIntermediateDirectories: true)
        for (name, contents) in answerKeys {
            try contents.write(toFile: folder.file("answer-keys/" + name), atomically: true, encoding: .utf8)
        }
        return try Command.run(BuiltProducts.path(of: "license-server"), [
            "--socket", folder.file("fcgi.sock"), "--database", "host=/nonexistent dbname=none", "--issuers", folder.file("issuers"),
            "--secret", folder.file("secret"), "--answer-keys", folder.file("answer-keys"),
        ] + arguments)
    }

    @Test("an answer key that is not a private key, a .pem without its .key, a key for a realm without issuers")
    func answerKeys() throws {
        for (files, expected) in [(["default.key": "not a key\n"], "is not an Ed25519 private key"),
                                  (["default.pem": "-----BEGIN PUBLIC KEY-----\n"], "has no default.key"),
                                  (["elsewhere.key": "x"], "realm 'elsewhere', which has no issuers folder")] {
            let started = try start([], answerKeys: files)
            #expect(started.status == 2 && started.standardError.contains(expected), "\(started.status) \(started.standardError)")
        }
    }

    @Test("an instance lease longer than the lease, or not a duration")
    func instanceLease() throws {
        let longer = try start(["--lease", "10m", "--instance-lease", "1h"])
        #expect(longer.status == 2 && longer.standardError.contains("--instance-lease (3600s) must be at most --lease (600s)"), "\(longer.standardError)")
        let garbage = try start(["--instance-lease", "soon"])
        #expect(garbage.status == 2 && garbage.standardError.contains("--instance-lease must be"), "\(garbage.standardError)")
    }
}
