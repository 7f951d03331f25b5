import Foundation
import LicenseCore
import TestSupport
import Testing

/// The .deb of `make deb` (which `make test` runs first), checked by Debian's own tools and
/// installed, run, upgraded and purged in a clean Debian 12 root (SPEC §10).
@Suite("the Debian package")
struct DebianPackageTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The version `make deb` gives the package: the programs' own, and the Debian revision of
    /// packaging/debian/changelog's top entry.
    static func packageVersion() throws -> (upstream: String, revision: Int) {
        let changelog = try String(contentsOfFile: packageRoot + "/packaging/debian/changelog", encoding: .utf8)
        let top = try #require(changelog.split(separator: "\n").first)
        let version = try #require(top.split(separator: "(").dropFirst().first?.split(separator: ")").first)
        let parts = version.split(separator: "-")
        #expect(parts.first.map(String.init) == ProductVersion.current, "the changelog's top entry is not \(ProductVersion.current)")
        return (ProductVersion.current, try #require(parts.last.flatMap { Int($0) }))
    }

    static func builtPackage() throws -> String {
        let (upstream, revision) = try packageVersion()
        let architecture = try Command.run("dpkg", ["--print-architecture"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let path = packageRoot + "/dist/license-server_\(upstream)-\(revision)_\(architecture).deb"
        guard FileManager.default.fileExists(atPath: path) else {
            throw PackageTestError("\(path) is missing: make test builds it with make deb")
        }
        return path
    }

    @Test("lintian finds no error; its warnings are the ones docs/operating.md lists with their reasons")
    func lintian() throws {
        let linted = try Command.run("lintian", ["--pedantic", "--display-info", try Self.builtPackage()])
        let lines = linted.standardOutput.split(separator: "\n")
        let errors = lines.filter { $0.hasPrefix("E: ") }
        #expect(errors.isEmpty, "\(errors.joined(separator: "\n"))")
        #expect(linted.status == 0, "\(linted.standardError)")
        let warnings = Set(lines.filter { $0.hasPrefix("W: ") }.compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) })
        let runbook = try String(contentsOfFile: Self.packageRoot + "/docs/operating.md", encoding: .utf8)
        let listed = runbook.components(separatedBy: "lintian's warnings").dropFirst().first ?? ""
        for warning in warnings {
            #expect(listed.contains("`\(warning)`"), "lintian warns \(warning), which docs/operating.md does not list")
        }
    }

    @Test("installed with apt on a clean Debian 12: valid through nginx under systemd-socket-activate; an upgrade keeps the secret and the edited settings; purge keeps only what the administrator put there",
          .timeLimit(.minutes(10)))
    func installRunUpgradePurge() throws {
        let deb = try Self.builtPackage()
        let stacks = ProcessInfo.processInfo.environment["LICENSE_TEST_STACKS"] ?? NSTemporaryDirectory()
        let root = try DebianRoot(parent: stacks, packageRoot: Self.packageRoot)
        defer { root.remove() }
        try root.mustRun(["apt-get", "update", "-qq"])
        let pristine = try root.files()
        let packagesBefore = try Set(root.mustRun(["dpkg-query", "-W", "-f", "${Package}\\n"]).split(separator: "\n").map(String.init))

        // apt install ./license-server_….deb, as docs/operating.md says.
        try FileManager.default.copyItem(atPath: deb, toPath: root.file("/tmp/" + URL(fileURLWithPath: deb).lastPathComponent))
        try root.mustRun(["apt-get", "install", "-y", "--no-install-recommends", "/tmp/" + URL(fileURLWithPath: deb).lastPathComponent])
        try FileManager.default.removeItem(atPath: root.file("/tmp/" + URL(fileURLWithPath: deb).lastPathComponent))
        try expectPulledExactlyItsDepends(root, before: packagesBefore)
        try expectInstalledLayout(root)

        // What the admin does (docs/operating.md "Install on Debian"): a database and its role, the
        // migrations by the installed licensectl, an issuer key, LICENSE_DATABASE.
        let installation = try Installation(root: root, portBase: 20_000 + Int(getpid() % 2000) * 10 + 5)
        defer { installation.stop() }
        try installation.createDatabase()
        try installation.placeIssuerKey()
        let settings = root.file("/etc/license-server/license-server.conf")
        let edited = try String(contentsOfFile: settings, encoding: .utf8)
            .replacingOccurrences(of: "#LICENSE_DATABASE=host=/var/run/postgresql dbname=license",
                                  with: "LICENSE_DATABASE=host=\(installation.pgSocketFolder) port=\(installation.pgPort) dbname=license")
        try #require(edited.contains("\nLICENSE_DATABASE=host="), "the settings file no longer has the commented LICENSE_DATABASE line")
        try edited.write(toFile: settings, atomically: false, encoding: .utf8)
        let secret = try Data(contentsOf: URL(fileURLWithPath: root.file("/etc/license-server/secret")))

        try installation.startPool()
        try installation.startNginx()
        let key = try installation.issue(["issuer=vendor", "id=package-test", "users=5", "version=+1.0", "duration=01Jan2020-31Dec2099"])
        let first = try installation.check(key, user: "package-user-1")
        #expect(first == "valid", "\(first)\n\(installation.logs())")
        // The installed pool wrote the seat under its own role, through the installed nginx files.
        #expect(try installation.sql("SELECT count(*) FROM seats WHERE license_id = 'package-test'") == "1")

        // A newer build: the same programs as the next Debian revision.
        let (_, revision) = try Self.packageVersion()
        let newer = try TemporaryDirectory()
        let built = try Command.run(Self.packageRoot + "/scripts/deb.sh", [],
                                    environment: ProcessInfo.processInfo.environment.merging(
                                        ["SKIP_BUILD": "1", "DEB_REVISION": String(revision + 1), "DIST": newer.path]) { _, new in new })
        try #require(built.status == 0, "\(built.standardError)")
        let newerDeb = built.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let newerName = URL(fileURLWithPath: newerDeb).lastPathComponent
        try FileManager.default.copyItem(atPath: newerDeb, toPath: root.file("/tmp/" + newerName))
        try root.mustRun(["apt-get", "install", "-y", "--no-install-recommends", "/tmp/" + newerName])
        try FileManager.default.removeItem(atPath: root.file("/tmp/" + newerName))
        #expect(try root.mustRun(["dpkg-query", "-W", "-f", "${Version}", "license-server"]) == "\(ProductVersion.current)-\(revision + 1)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: root.file("/etc/license-server/secret"))) == secret, "the upgrade replaced the secret")
        #expect(try String(contentsOfFile: settings, encoding: .utf8) == edited, "the upgrade replaced the edited settings file")
        installation.stopPool()
        try installation.startPool()
        let second = try installation.check(key, user: "package-user-2")
        #expect(second == "valid", "\(second)\n\(installation.logs())")
        #expect(try installation.sql("SELECT count(*) FROM seats WHERE license_id = 'package-test'") == "2",
                "the upgraded pool does not hash user IDs as before (another secret?)")

        // remove keeps the secret and the settings; purge takes everything.
        installation.stopPool()
        installation.stop()
        try root.mustRun(["apt-get", "remove", "-y", "license-server"])
        #expect(FileManager.default.fileExists(atPath: root.file("/etc/license-server/secret")), "remove deleted the secret")
        #expect(FileManager.default.fileExists(atPath: settings), "remove deleted the settings file")
        // What an administrator put beside the package's files stays (SPEC §10): an answer key,
        // a TLS key, a console password file and the issuer keys; purge says so.
        let adminFiles = ["/etc/license-server/answer-keys/default.key", "/etc/license-server/tls/licenses.example.com.key",
                          "/etc/license-server/console.htpasswd"]
        for file in adminFiles {
            try FileManager.default.createDirectory(atPath: (root.file(file) as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data("kept\n".utf8).write(to: URL(fileURLWithPath: root.file(file)))
        }
        let issuerKeys = try FileManager.default.subpathsOfDirectory(atPath: root.file("/etc/license-server/issuers"))
            .filter { $0.hasSuffix(".pem") }
        #expect(!issuerKeys.isEmpty)
        let purged = try root.run(["apt-get", "purge", "-y", "license-server"], in: "/", environment: [:])
        #expect(purged.status == 0, "\(purged.standardError)")
        #expect((purged.standardOutput + purged.standardError).contains("kept what an administrator put in /etc/license-server"))
        for file in adminFiles + issuerKeys.map({ "/etc/license-server/issuers/" + $0 }) {
            #expect(FileManager.default.fileExists(atPath: root.file(file)), "purge deleted \(file)")
        }
        for file in ["/etc/license-server/secret", "/etc/license-server/license-server.conf"] {
            #expect(!FileManager.default.fileExists(atPath: root.file(file)), "purge left \(file)")
        }
        // The administrator's own files, removed by hand: then nothing is left.
        try FileManager.default.removeItem(atPath: root.file("/etc/license-server"))
        try root.mustRun(["apt-get", "autoremove", "--purge", "-y"])
        try FileManager.default.removeItem(atPath: installation.folder)
        let left = try root.files().subtracting(pristine).filter { !Self.isBookkeeping($0) }
        #expect(left.isEmpty, "left behind after purge: \(left.sorted())")
        let gone = pristine.subtracting(try root.files()).filter { !Self.isBookkeeping($0) }
        #expect(gone.isEmpty, "gone after purge: \(gone.sorted())")
    }

    @Test("the 'Install on Debian' commands of docs/operating.md, pasted into a clean Debian 12 root, give valid through nginx",
          .timeLimit(.minutes(10)))
    func readmeInstallation() throws {
        let deb = try Self.builtPackage()
        let debName = URL(fileURLWithPath: deb).lastPathComponent
        var script = try Self.readmeInstallCommands()
        // What needs systemd or the network, replaced; every other line runs as the runbook has it.
        let install = "apt install ./\(debName) postgresql nginx"
        let firstCheck = "curl \"https://licenses.vendor.example/check?code=$code\""
        let replacements = [
            install: "",  // run below, before the namespace: it needs the network
            "nginx -t && systemctl reload nginx": "nginx -t && nginx",  // no systemd runs nginx here
            "systemctl enable --now license-server.socket": "",  // the test starts the socket as the units say
            firstCheck: "printf '%s' \"$code\" >/root/first-check-code",  // sent by curl from the namespace
        ]
        for (line, replacement) in replacements {
            let index = try #require(script.firstIndex { $0 == line || ($0.hasPrefix(line) && line == firstCheck) },
                                     "the runbook's commands no longer have the line \(line)")
            script[index] = replacement
        }

        let stacks = ProcessInfo.processInfo.environment["LICENSE_TEST_STACKS"] ?? NSTemporaryDirectory()
        let root = try DebianRoot(parent: stacks, packageRoot: Self.packageRoot)
        defer { root.remove() }
        let network = try NetworkNamespace(name: "license-test-\(getpid())")
        // What the admin has from the vendor and the certificate authority, in /root.
        let licensectl = BuiltProducts.path(of: "licensectl")
        let home = root.file("/root")
        try DebianRoot.require(Command.run(licensectl, ["keygen", "--out", home, "--name", "vendor"]), "keygen")
        let customer = try DebianRoot.require(Command.run(licensectl, ["issue", "--signing-key", home + "/vendor.key", "--", "X-PACKAGE",
                                                                       "issuer=vendor", "id=readme-check", "users=5", "version=+1.0",
                                                                       "host=licenses.vendor.example"]), "issue")
        try customer.standardOutput.write(toFile: home + "/customer.txt", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: home + "/vendor.key")
        try DebianRoot.require(Command.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                                       "-days", "30", "-subj", "/CN=licenses.vendor.example",
                                                       "-addext", "subjectAltName=DNS:licenses.vendor.example",
                                                       "-keyout", home + "/licenses.vendor.example.key", "-out", home + "/licenses.vendor.example.pem"]),
                               "openssl req")
        let certificate = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: home + "/licenses.vendor.example.pem", toPath: certificate.file("ca.pem"))
        try FileManager.default.copyItem(atPath: deb, toPath: home + "/" + debName)

        try root.mustRun(["apt-get", "update", "-qq"])
        try root.mustRun(["apt-get", "install", "-y", "./" + debName, "postgresql", "nginx"], in: "/root")
        // apt made the cluster; systemd would start it.
        let clusters = try FileManager.default.contentsOfDirectory(atPath: root.file("/etc/postgresql"))
        let cluster = try #require(clusters.first, "no PostgreSQL cluster")
        try DebianRoot.require(network.run(["chroot", root.path, "pg_ctlcluster", cluster, "main", "start"]), "pg_ctlcluster start")
        try (["cd /root"] + script).joined(separator: "\n").write(toFile: home + "/install.sh", atomically: true, encoding: .utf8)
        let ran = try network.run(["chroot", root.path, "bash", "-e", "-x", "/root/install.sh"],
                                  environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C.UTF-8"])
        try #require(ran.status == 0, "the README's commands failed: \(ran.standardError.suffix(3000))")

        let pool = try root.startPoolAsTheUnitsSay(log: certificate.file("license-server.log"))
        defer {
            pool.signal(SIGTERM)
            _ = pool.exitStatus(within: 15)
        }
        let code = try String(contentsOfFile: home + "/first-check-code", encoding: .utf8)
        let answered = try network.run(["curl", "-sS", "--max-time", "15", "--cacert", certificate.file("ca.pem"),
                                        "--resolve", "licenses.vendor.example:443:127.0.0.1", "https://licenses.vendor.example/check?code=" + code])
        let log = (try? String(contentsOfFile: certificate.file("license-server.log"), encoding: .utf8)) ?? ""
        #expect(answered.standardOutput == "valid\n", "\(answered.standardOutput) \(answered.standardError) \(log)")
    }

    /// The shell lines of docs/operating.md's "Install on Debian" block, comments and blank
    /// lines left out, continued lines joined.
    static func readmeInstallCommands() throws -> [String] {
        let runbook = try String(contentsOfFile: packageRoot + "/docs/operating.md", encoding: .utf8)
        let section = try #require(runbook.components(separatedBy: "\n## Install on Debian\n").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "\n```").first)
        var commands: [String] = []
        var continued = ""
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = String(line)
            if continued.isEmpty && (text.hasPrefix("#") || text.trimmingCharacters(in: .whitespaces).isEmpty) { continue }
            if text.hasSuffix("\\") {
                continued += text.dropLast() + " "
                continue
            }
            commands.append((continued + text.trimmingCharacters(in: .whitespaces)).replacingOccurrences(of: "  ", with: " "))
            continued = ""
        }
        // A comment at the end of a line ("curl … # valid") is not part of the command.
        return commands.map { line in
            guard let hash = line.range(of: " # ") ?? line.range(of: "  #") else { return line }
            return String(line[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces)
        }
    }

    /// What piuparts too leaves out of its comparison: apt's and dpkg's own records and caches,
    /// logs, the backups adduser makes of the user and group files, and adduser's lock in /run
    /// (a tmpfs on a booted system).
    static func isBookkeeping(_ path: String) -> Bool {
        ["var/lib/apt/", "var/cache/", "var/lib/dpkg/", "var/log/"].contains { path.hasPrefix($0) }
            || ["etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-", "etc/ld.so.cache", "run/adduser"].contains(path)
    }

    /// The packages apt installed are the Depends and what they depend on, nothing else.
    func expectPulledExactlyItsDepends(_ root: DebianRoot, before: Set<String>) throws {
        let after = try Set(root.mustRun(["dpkg-query", "-W", "-f", "${Package}\\n"]).split(separator: "\n").map(String.init))
        let depends = try root.mustRun(["dpkg-query", "-W", "-f", "${Depends}", "license-server"])
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0] }.map(String.init)
        for package in depends { #expect(after.contains(package), "Depends names \(package), which is not installed") }
        let closure = try Set(root.mustRun(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                                            "--no-breaks", "--no-replaces", "--no-enhances", "--no-pre-depends"] + depends)
            .split(separator: "\n").filter { !$0.hasPrefix(" ") }.map { String($0.split(separator: ":")[0]) })
        let new = after.subtracting(before).subtracting(["license-server"])
        #expect(!new.isEmpty && new.isSubset(of: closure), "installed beyond the Depends: \(new.subtracting(closure).sorted())")
    }

    /// SPEC §10's table, the user and the secret.
    func expectInstalledLayout(_ root: DebianRoot) throws {
        for path in ["/usr/bin/license-server", "/usr/bin/licensectl", "/usr/share/license-server/sql/migrations/013_schema_of_0.4.0.sql",
                     "/usr/share/license-server/sql/functions/seats.sql", "/usr/share/license-server/sql/views/report_usage_now.sql",
                     "/lib/systemd/system/license-server.socket", "/lib/systemd/system/license-server.service",
                     "/etc/license-server/license-server.conf", "/etc/license-server/issuers", "/usr/share/license-server/nginx/license-server.conf",
                     "/usr/share/license-server/nginx/licenses.example.com.conf", "/usr/share/doc/license-server/README.md",
                     "/usr/share/license-server/monitoring/license-server-alerts.yml",
                     "/usr/share/license-server/monitoring/license-server-alerts.test.yml",
                     "/usr/share/license-server/monitoring/license-server-dashboard.json",
                     "/usr/share/license-server/openapi.yaml",
                     "/usr/share/doc/license-server/copyright", "/usr/share/doc/license-server/changelog.Debian.gz"] {
            #expect(FileManager.default.fileExists(atPath: root.file(path)), "\(path) is not installed")
        }
        #expect(try root.mustRun(["license-server", "--version"]) == ProductVersion.current + "\n")
        #expect(try root.mustRun(["dpkg-query", "-W", "-f", "${Conffiles}", "license-server"]).contains("/etc/license-server/license-server.conf"))
        let (_, group) = try root.ids(ofUser: "license-server")
        #expect(try root.mustRun(["getent", "group", "license-server"]).split(separator: ":")[2] == "\(group)")
        var status = stat()
        try #require(stat(root.file("/etc/license-server/secret"), &status) == 0, "no secret was made")
        #expect(status.st_size == 32 && status.st_mode & 0o7777 == 0o640 && status.st_uid == 0 && status.st_gid == group,
                "secret: \(status.st_size) bytes, mode \(String(status.st_mode & 0o7777, radix: 8)), \(status.st_uid):\(status.st_gid)")
        // Enabled as deb-systemd-helper enables a unit where no systemd runs: the link, not a start.
        let link = try? FileManager.default.destinationOfSymbolicLink(atPath: root.file("/etc/systemd/system/sockets.target.wants/license-server.socket"))
        #expect(link == "/lib/systemd/system/license-server.socket")
        #expect(!FileManager.default.fileExists(atPath: root.file("/run/license-server/fcgi.sock")))
    }
}

/// The installed package brought up as an admin would: a PostgreSQL cluster (this machine's,
/// its socket in a folder of the root), the pool as the units say, nginx from the installed
/// nginx files (this machine's nginx, through `scripts/stack.sh nginx-start`).
final class Installation {
    let root: DebianRoot
    /// `/srv/license-test` of the root: the cluster, nginx's files, the TLS certificate, the vendor's key.
    let folder: String
    let pgSocketFolder = "/srv/license-test/pg"
    let pgPort: Int
    let httpsPort: Int
    let metricsPort: Int
    private var pool: BackgroundProcess?

    init(root: DebianRoot, portBase: Int) throws {
        self.root = root
        folder = root.file("/srv/license-test")
        httpsPort = portBase
        pgPort = portBase + 1
        metricsPort = portBase + 3
        try FileManager.default.createDirectory(atPath: folder + "/log", withIntermediateDirectories: true)
    }

    private var stackEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging([
            "PG_PORT": String(pgPort), "HTTPS_PORT": String(httpsPort), "HTTP_PORT": String(httpsPort + 2),
            "METRICS_PORT": String(metricsPort), "REALMS": "localhost=default", "BIN": BuiltProducts.folder,
            "NGINX_FILES": root.file("/usr/share/license-server/nginx"), "POOL_SOCKET": root.file("/run/license-server/fcgi.sock"),
        ]) { _, new in new }
    }

    private func stack(_ command: String) throws {
        try DebianRoot.require(Command.run(DebianPackageTests.packageRoot + "/scripts/stack.sh", [command, folder], environment: stackEnvironment),
                               "stack.sh \(command)")
    }

    func sql(_ statement: String) throws -> String {
        try DebianRoot.require(Command.run("runuser", ["-u", "postgres", "--", "psql", "-h", folder + "/pg", "-p", String(pgPort), "-d", "license",
                                                       "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement]), "psql")
            .standardOutput.trimmingCharacters(in: .newlines)
    }

    /// The database, migrated by the installed licensectl from /usr/share/license-server/sql,
    /// and the pool's role named as its system user (peer authentication on a Debian host).
    func createDatabase() throws {
        try stack("pg-start")
        try DebianRoot.require(Command.run("runuser", ["-u", "postgres", "--", "createdb", "-h", folder + "/pg", "-p", String(pgPort), "license"]),
                               "createdb")
        let migrated = try root.mustRun(["licensectl", "migrate", "--database", "host=\(pgSocketFolder) port=\(pgPort) dbname=license user=postgres"])
        #expect(migrated.contains("applied 013_schema_of_0.4.0.sql"), "\(migrated)")
        _ = try sql("CREATE ROLE \"license-server\" LOGIN IN ROLE license_pool")
    }

    /// A vendor's issuer key pair (made on this machine, as at the vendor), its public half
    /// placed in the default realm's folder.
    func placeIssuerKey() throws {
        try DebianRoot.require(Command.run(BuiltProducts.path(of: "licensectl"), ["keygen", "--out", folder + "/vendor", "--name", "vendor"]), "keygen")
        let realm = root.file("/etc/license-server/issuers/default")
        try FileManager.default.createDirectory(atPath: realm, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder + "/vendor/vendor.pem", toPath: realm + "/vendor.pem")
    }

    func issue(_ fields: [String]) throws -> String {
        let issued = try DebianRoot.require(Command.run(BuiltProducts.path(of: "licensectl"),
                                                        ["issue", "--signing-key", folder + "/vendor/vendor.key", "--", "X-PACKAGE"] + fields), "issue")
        return issued.standardOutput.trimmingCharacters(in: .newlines)
    }

    /// A check as the README's first curl makes it: a code from the installed licensectl, sent
    /// through nginx over TLS.
    func check(_ key: String, user: String) throws -> String {
        try key.write(toFile: folder + "/key.txt", atomically: true, encoding: .utf8)
        let code = try root.mustRun(["licensectl", "code", "--key-file", "/srv/license-test/key.txt", "--revision", "1.0",
                                     "--domain", "localhost", "--user-id", user]).trimmingCharacters(in: .newlines)
        let answered = try DebianRoot.require(
            Command.run("curl", ["-sS", "--max-time", "15", "--cacert", folder + "/tls/localhost.pem",
                                 "https://localhost:\(httpsPort)/check?code=" + code]), "curl")
        return answered.standardOutput.trimmingCharacters(in: .newlines)
    }

    func startPool() throws {
        pool = try root.startPoolAsTheUnitsSay(log: folder + "/log/license-server.log")
    }

    /// SIGTERM, as systemd stops the service (KillSignal=SIGTERM); the pool exits 0.
    func stopPool() {
        guard let running = pool else { return }
        pool = nil
        running.signal(SIGTERM)
        #expect(running.exitStatus(within: 15) == 0, "\((try? String(contentsOfFile: folder + "/log/license-server.log", encoding: .utf8)) ?? "")")
    }

    func startNginx() throws { try stack("nginx-start") }

    /// The pool's and nginx's logs, for a failure's message.
    func logs() -> String {
        ["license-server.log", "nginx-error.log"].map { name in
            name + ":\n" + ((try? String(contentsOfFile: folder + "/log/" + name, encoding: .utf8)) ?? "(none)").suffix(3000)
        }.joined(separator: "\n")
    }

    /// Everything this started, stopped, and the socket's folder that systemd would have made
    /// in /run (a tmpfs on a booted system) removed; safe to call twice.
    func stop() {
        // After a failed step; a pool that was never connected to is still systemd-socket-activate.
        if let running = pool {
            pool = nil
            running.signal(SIGTERM)
            _ = running.exitStatus(within: 15)
        }
        _ = try? FileManager.default.removeItem(atPath: root.file("/run/license-server"))
        _ = try? Command.run(DebianPackageTests.packageRoot + "/scripts/stack.sh", ["nginx-stop", folder], environment: stackEnvironment)
        _ = try? Command.run(DebianPackageTests.packageRoot + "/scripts/stack.sh", ["pg-stop", folder], environment: stackEnvironment)
    }

    deinit { stop() }
}
