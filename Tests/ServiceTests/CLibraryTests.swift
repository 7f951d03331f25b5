import Foundation
import LicenseCore
import TestSupport
import Testing

/// The C library (clients/c/) as a vendor meets it: the packages `make deb` built, unpacked into
/// a folder as dpkg lays them out; the test program compiled against their header and
/// pkg-config file under AddressSanitizer; Python loading the library by ctypes. Against the
/// stack (valid, invalid, threads, heartbeats), a fake server (forged, garbage) and no server (offline).
extension ServiceTests {
    /// The two packages unpacked into `root`, and the test program built against them.
    struct InstalledCLibrary {
        let root: TemporaryDirectory
        let libraryFolder: String
        let program: String

        /// Runs the test program with `settings`: `arguments` after the settings file.
        func run(_ settings: String, _ arguments: [String]) throws -> CommandResult {
            let file = root.file("settings-" + UUID().uuidString)
            try settings.write(toFile: file, atomically: true, encoding: .utf8)
            return try Command.run(program, [file] + arguments,
                                   environment: ProcessInfo.processInfo.environment.merging(
                                       ["LD_LIBRARY_PATH": libraryFolder, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0"]) { _, new in new })
        }
    }

    func builtCLibraryPackages() throws -> [String] {
        let architecture = try Command.run("dpkg", ["--print-architecture"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let changelog = try String(contentsOfFile: stack.packageRoot + "/packaging/debian/changelog", encoding: .utf8)
        let top = try #require(changelog.split(separator: "\n").first?.split(separator: "(").dropFirst().first?.split(separator: ")").first)
        return try ["liblicense-client1", "liblicense-client-dev"].map { package in
            let path = stack.packageRoot + "/dist/\(package)_\(top)_\(architecture).deb"
            try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: make test builds it with make deb")
            return path
        }
    }

    func installedCLibrary() throws -> InstalledCLibrary {
        let root = try TemporaryDirectory()
        for package in try builtCLibraryPackages() {
            let unpacked = try Command.run("dpkg-deb", ["-x", package, root.path])
            try #require(unpacked.status == 0, "\(unpacked.standardError)")
        }
        let multiarch = try Command.run("dpkg-architecture", ["-qDEB_HOST_MULTIARCH"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let libraryFolder = root.path + "/usr/lib/" + multiarch
        // pkg-config reads the installed license-client.pc, its paths moved under root.
        var environment = ProcessInfo.processInfo.environment
        environment["PKG_CONFIG_PATH"] = libraryFolder + "/pkgconfig"
        environment["PKG_CONFIG_SYSROOT_DIR"] = root.path
        let flags = try Command.run("pkg-config", ["--cflags", "--libs", "license-client"], environment: environment)
        try #require(flags.status == 0, "\(flags.standardError)")
        let program = root.file("license-check")
        let compiled = try Command.run("gcc", ["-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-Wall", "-Wextra", "-Werror",
                                               "-o", program, stack.packageRoot + "/clients/c/tests/license-check.c"]
                                              + flags.standardOutput.split(whereSeparator: \.isWhitespace).map(String.init))
        try #require(compiled.status == 0, "\(compiled.standardError)")
        return InstalledCLibrary(root: root, libraryFolder: libraryFolder, program: program)
    }

    /// license_client_create's settings for `keyLine` against `server`.
    func cLibrarySettings(_ keyLine: String, server: String? = nil, extra: [String] = []) throws -> String {
        (["server=" + (server ?? serverURL), "key-file=" + (try keyFile(keyLine)), "revision=7.1", "domain=localhost",
          "cacert=" + caFile, "user-id-file=" + userIDFile()] + extra).joined(separator: "\n") + "\n"
    }

    @Test("the C library, installed from its packages, compiled under AddressSanitizer: valid, invalid, forged, offline with a cache, heartbeats stopped by revocation")
    func cLibraryChecks() throws {
        let library = try installedCLibrary()
        let id = uniqueID("C")
        let keyLine = try issue(["id=" + id, "users=1", "rights=5"])
        let cache = stack.directory + "/client-home/" + uniqueID("cache")
        let signed = try cLibrarySettings(keyLine, extra: ["answer-key=" + answerKey, "answer-cache=" + cache])

        let valid = try library.run(signed, ["check"])
        #expect(valid.status == 0 && valid.standardOutput.hasPrefix("check: valid\nverdict=0 allows=1"), "\(valid.standardOutput)\(valid.standardError)")
        // One client, 16 threads checking at once (the header promises a client is shared safely),
        // each keeping its verified answer in the one cache file (their writes once collided).
        let threads = try library.run(try cLibrarySettings(try issue(["id=" + uniqueID("CT"), "users=2"]),
                                                           extra: ["answer-key=" + answerKey,
                                                                   "answer-cache=" + stack.directory + "/client-home/" + uniqueID("cache")]),
                                      ["threads", "16"])
        #expect(threads.status == 0 && threads.standardOutput == "threads: 16, 16 may run\n", "\(threads.standardOutput)\(threads.standardError)")
        // users=1: another computer's user is refused, with the reason as a token.
        let invalid = try library.run(try cLibrarySettings(keyLine), ["check"])
        #expect(invalid.status == 1 && invalid.standardOutput.hasPrefix("check: invalid users\nverdict=3 allows=0 reason=users"),
                "\(invalid.standardOutput)\(invalid.standardError)")

        // A fake server at the stack's name and certificate, answering valid unsigned.
        let fake = try FakeAnswerServer(stack: stack, port: stack.httpsPort + 4)
        defer { fake.stop() }
        try fake.answer(body: "valid\n", signature: nil)
        let forged = try library.run(try cLibrarySettings(keyLine, server: fake.url, extra: ["answer-key=" + answerKey]), ["check"])
        #expect(forged.status == 1 && forged.standardOutput.contains("check: invalid forged-answer\nverdict=4 allows=0 reason=forged-answer"),
                "\(forged.standardOutput)\(forged.standardError)")

        // No server (a closed port): the kept signed answer holds; without one and fail-closed, offline.
        let userIDLine = try #require(signed.split(separator: "\n").first { $0.hasPrefix("user-id-file=") })
        let offlineSettings = signed.replacingOccurrences(of: "server=" + serverURL, with: "server=https://localhost:1")
        #expect(offlineSettings.contains(userIDLine) && offlineSettings != signed)
        let offline = try library.run(offlineSettings, ["check"])
        #expect(offline.status == 0 && offline.standardOutput.contains("check: valid (offline until ")
                && offline.standardOutput.contains("verdict=1 allows=1"), "\(offline.standardOutput)\(offline.standardError)")
        let closed = try library.run(try cLibrarySettings(keyLine, server: "https://localhost:1",
                                                          extra: ["answer-key=" + answerKey, "fail-closed=yes"]), ["check"])
        #expect(closed.status == 1 && closed.standardOutput.contains("check: invalid offline\nverdict=5"), "\(closed.standardOutput)")
        let skipped = try library.run(try cLibrarySettings(keyLine, server: "https://localhost:1"), ["check"])
        #expect(skipped.status == 0 && skipped.standardOutput.contains("verdict=2 allows=1"), "\(skipped.standardOutput)")

        // A session: heartbeats every 2 s (the stack's 6 s instance lease); revoking the license
        // stops it at the next one, through the C callback. The seat of `valid` above is released first.
        let released = try library.run(signed, ["release"])
        #expect(released.status == 0 && released.standardOutput.contains("release: released\nverdict=7"), "\(released.standardOutput)")
        let sessionID = uniqueID("CS")
        let sessionKey = try issue(["id=" + sessionID, "rights=5"])
        let sessionSettings = try cLibrarySettings(sessionKey, extra: ["answer-key=" + answerKey])
        let session = try BackgroundProcess(library.program, [try {
            let file = library.root.file("session-settings")
            try sessionSettings.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }(), "session", "20"], log: library.root.file("session.log"),
           environment: ProcessInfo.processInfo.environment.merging(["LD_LIBRARY_PATH": library.libraryFolder]) { _, new in new })
        sleep(3)
        let revoked = try stack.licensectl(["revoke", "--database", "host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=postgres",
                                            sessionID])
        #expect(revoked.status == 0, "\(revoked.standardError)")
        let status = session.exitStatus(within: 25)
        let log = try String(contentsOfFile: library.root.file("session.log"), encoding: .utf8)
        #expect(status == 0 && log.contains("start: valid") && log.contains("stopped: invalid revoked (context from-c)")
                && log.contains("closed"), "\(String(describing: status)) \(log)")
    }

    @Test("bad input at the C ABI, under AddressSanitizer: NULL pointers, settings not UTF-8, a key file that does not exist, a server that answers garbage")
    func cLibraryBadInput() throws {
        let library = try installedCLibrary()
        let keyLine = try issue(["id=" + uniqueID("CB"), "users=5"])
        let settings = try cLibrarySettings(keyLine)
        for badCase in ["null-pointers", "not-utf8"] {
            let result = try library.run(settings, ["abuse", badCase])
            #expect(result.status == 0 && result.standardOutput.hasSuffix("ok \(badCase)\n"), "\(badCase): \(result.standardOutput)\(result.standardError)")
            #expect(!result.standardError.contains("AddressSanitizer"), "\(result.standardError)")
        }
        let missing = try library.run(settings.replacingOccurrences(of: "key-file=", with: "key-file=/nonexistent"), ["abuse", "missing-key-file"])
        #expect(missing.status == 0 && missing.standardOutput.contains("message: cannot read key file /nonexistent"),
                "\(missing.standardOutput)\(missing.standardError)")
        let fake = try FakeAnswerServer(stack: stack, port: stack.httpsPort + 4)
        defer { fake.stop() }
        try fake.answer(body: "\u{1}garbage \u{7f}", signature: nil)
        let garbage = try library.run(try cLibrarySettings(keyLine, server: fake.url), ["abuse", "garbage-server"])
        #expect(garbage.status == 0 && garbage.standardOutput.contains("ok garbage-server"), "\(garbage.standardOutput)\(garbage.standardError)")
        #expect(!garbage.standardError.contains("AddressSanitizer"), "\(garbage.standardError)")
    }

    @Test("Python loads the installed liblicense-client.so.1 with ctypes and checks valid (and invalid)")
    func cLibraryFromPython() throws {
        let library = try installedCLibrary()
        let keyLine = try issue(["id=" + uniqueID("CP"), "users=1"])
        let script = stack.packageRoot + "/clients/c/tests/check.py"
        let sharedObject = library.libraryFolder + "/liblicense-client.so.1"
        func check(_ settings: String) throws -> CommandResult {
            let file = library.root.file("python-settings-" + UUID().uuidString)
            try settings.write(toFile: file, atomically: true, encoding: .utf8)
            return try Command.run("/usr/bin/python3", [script, sharedObject, file])
        }
        let valid = try check(try cLibrarySettings(keyLine))
        #expect(valid.status == 0 && valid.standardOutput == "valid\n", "\(valid.standardOutput)\(valid.standardError)")
        let invalid = try check(try cLibrarySettings(keyLine))
        #expect(invalid.status == 1 && invalid.standardOutput == "invalid users\n", "\(invalid.standardOutput)\(invalid.standardError)")
        let missing = try check("server=" + serverURL + "\n")
        #expect(missing.status == 2 && missing.standardOutput.contains("revision is missing"), "\(missing.standardOutput)")
    }

    @Test("the README's C example compiles against the installed library and, without its key file, says so and exits 2")
    func cLibraryReadmeExample() throws {
        let library = try installedCLibrary()
        let readme = try String(contentsOfFile: stack.packageRoot + "/README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## For vendors with native programs: the C library").dropFirst().first)
        let example = try #require(section.components(separatedBy: "```c\n").dropFirst().first?.components(separatedBy: "```").first)
        let source = library.root.file("example.c")
        try example.write(toFile: source, atomically: true, encoding: .utf8)
        let program = library.root.file("example")
        let compiled = try Command.run("gcc", ["-fsanitize=address", "-Wall", "-Wextra", "-Werror", "-o", program, source,
                                               "-I", library.root.path + "/usr/include", "-L", library.libraryFolder, "-llicense-client"])
        try #require(compiled.status == 0, "\(compiled.standardError)")
        let ran = try Command.run(program, [], environment: ProcessInfo.processInfo.environment.merging(["LD_LIBRARY_PATH": library.libraryFolder]) { _, new in new })
        #expect(ran.status == 2 && ran.standardError == "license: cannot read key file /etc/acme/license.txt\n", "\(ran.status) \(ran.standardError)")
    }
}
