import Foundation
import LicenseClient
import LicenseCore
import TestSupport
import Testing

/// The client side (LicenseClient, `licensectl check` and `release`, browsers through CORS)
/// against the real service. An extension of the service's suite so that it runs serialized
/// with the tests that stop the database or the pool.
extension ServiceTests {
    var serverURL: String { "https://localhost:\(stack.httpsPort)" }
    var caFile: String { stack.directory + "/tls/localhost.pem" }

    func keyFile(_ keyLine: String) throws -> String {
        let path = stack.directory + "/client-" + uniqueID("key") + ".txt"
        try (keyLine + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func userIDFile() -> String { stack.directory + "/client-home/" + uniqueID("u") + "/user-id" }

    func client(_ keyLine: String, revision: String = "7.1", domain: String = "localhost", system: String? = nil,
                options: [String] = [], userIDFile: String? = nil, url: String? = nil, caFile: String? = nil,
                timeout: Duration = .seconds(5)) throws -> LicenseClient {
        try LicenseClient(serverURL: url ?? serverURL, keyLine: keyLine, revision: revision, domain: domain, system: system,
                          options: options, userIDFile: userIDFile ?? self.userIDFile(), caFile: caFile ?? self.caFile,
                          timeout: timeout)
    }

    @Test("client: valid; the user ID is made once, kept across runs, mode 0600")
    func clientValid() throws {
        let id = uniqueID("C")
        let key = try issue(["id=" + id, "users=5"])
        let idFile = userIDFile()
        #expect(try client(key, userIDFile: idFile).check() == .valid)
        let kept = try String(contentsOfFile: idFile, encoding: .utf8)
        #expect(try client(key, userIDFile: idFile).check() == .valid)
        #expect(try String(contentsOfFile: idFile, encoding: .utf8) == kept)
        #expect(StartupCode.isValidIdentifier(kept.trimmingCharacters(in: .newlines)))
        let mode = try FileManager.default.attributesOfItem(atPath: idFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // One user, one seat: the second run refreshed the first run's seat.
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "1")
        // A damaged file is replaced by a new ID rather than sent.
        try "not an id\n".write(toFile: idFile, atomically: true, encoding: .utf8)
        #expect(try client(key, userIDFile: idFile).check() == .valid)
        #expect(try String(contentsOfFile: idFile, encoding: .utf8) != kept)
    }

    @Test("client: each server is sent its own ID, the HMAC-SHA-256 of its host name under the kept secret")
    func clientPerServerUserID() throws {
        let key = try issue(["id=" + uniqueID("CS"), "users=1"])
        let idFile = userIDFile()
        #expect(try client(key, userIDFile: idFile).check() == .valid)
        let secret = try String(contentsOfFile: idFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        // Computed apart from the product, by the openssl command.
        let digest = try Command.run("openssl", ["dgst", "-sha256", "-hmac", secret, "-r"], input: Data("localhost".utf8))
        let derived = digest.standardOutput.split(separator: " ").first.map(String.init) ?? ""
        #expect(derived.count == 64)
        // users=1 holds the one user the client was: the derived ID, not the secret.
        #expect(try answer(try code(key, user: derived)) == "valid")
        #expect(try answer(try code(key, user: secret)) == "invalid users")
        // Another server name, the same computer: another user, unrelated to the first.
        let otherServer = "https://127.0.0.1:\(stack.httpsPort)"
        #expect(try client(key, userIDFile: idFile, url: otherServer).check() == .invalid(.users))
        #expect(UserIDFile.userID(forServerHost: "127.0.0.1", secret: secret) != derived)
        #expect(UserIDFile.userID(forServerHost: "LocalHost", secret: secret) == derived)
        // A file of an earlier version (its raw ID) keeps working: that ID is now the secret.
        let earlier = userIDFile()
        try FileManager.default.createDirectory(atPath: (earlier as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try "an-earlier-raw-user-id\n".write(toFile: earlier, atomically: true, encoding: .utf8)
        let second = try issue(["id=" + uniqueID("CS"), "users=1"])
        #expect(try client(second, userIDFile: earlier).check() == .valid)
        #expect(try String(contentsOfFile: earlier, encoding: .utf8) == "an-earlier-raw-user-id\n")
        #expect(try answer(try code(second, user: UserIDFile.userID(forServerHost: "localhost",
                                                                     secret: "an-earlier-raw-user-id"))) == "valid")
    }

    @Test("client: every reason reaches the program as such")
    func clientReasons() throws {
        for start in try refusedStarts() {
            let outcome = try client(start.keyLine, revision: start.revision, domain: start.domain, system: start.system,
                                     options: start.options).check()
            #expect(outcome == .invalid(CheckReason(rawValue: start.reason)!), "\(start.reason)")
        }
        // users, hosts, rights: a first seat by another user or computer fills the limit of 1.
        for limit in ["users", "hosts", "rights"] {
            let key = try issue(["id=" + uniqueID("CL"), "\(limit)=1"])
            #expect(try answer(try code(key, user: "first-client-user", system: "Eth_1")) == "valid")
            let outcome = try client(key, system: limit == "hosts" ? "Eth_2" : "Eth_1").check()
            #expect(outcome == .invalid(CheckReason(rawValue: limit)!), "\(limit)")
        }
    }

    @Test("client: programs starting at the same moment agree on one user ID")
    func clientConcurrentStart() throws {
        // users=1: a second ID would be refused, so every process answering valid means one ID.
        let key = try keyFile(try issue(["id=" + uniqueID("CC"), "users=1"]))
        let idFile = userIDFile()
        let results = CollectedAnswers()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            let result = try? stack.licensectl(["check", "--server", serverURL, "--key-file", key, "--revision", "7.1",
                                                "--domain", "localhost", "--cacert", caFile, "--user-id-file", idFile])
            results.append("\(result?.status ?? -1) \(result?.standardOutput.trimmingCharacters(in: .newlines) ?? "") \(result?.standardError ?? "")")
        }
        #expect(results.values == Array(repeating: "0 valid ", count: 6), "\(results.values)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (idFile as NSString).deletingLastPathComponent)
        #expect(leftovers == ["user-id"])
    }

    @Test("client: a closed port, an unknown host, a server that never answers, a stopped database: skipped in time")
    func clientSkips() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        var started = Date()
        guard case .skipped = try client(key, url: "https://localhost:\(try closedPort())").check() else {
            Issue.record("a closed port was not skipped")
            return
        }
        #expect(Date().timeIntervalSince(started) < 2)
        guard case .skipped = try client(key, url: "https://no-such-host.invalid").check() else {
            Issue.record("an unknown host was not skipped")
            return
        }
        // A socket that accepts connections (the kernel's backlog) and never says a word.
        let silent = try SilentListener()
        started = Date()
        let outcome = try client(key, url: "https://localhost:\(silent.port)", timeout: .milliseconds(1500)).check()
        let waited = Date().timeIntervalSince(started)
        #expect(outcome == .skipped("timed out TLS handshake with localhost"))
        #expect(waited >= 1.4 && waited < 3, "\(waited)")

        try #require(try stack.stack("pg-stop").status == 0)
        defer { _ = try? stack.stack("pg-start") }
        started = Date()
        #expect(try client(key).check() == .skipped("the server is unavailable (503)"))
        #expect(Date().timeIntervalSince(started) < 5)
        try #require(try stack.stack("pg-start").status == 0)
        #expect(try client(key).check() == .valid)
    }

    @Test("client: a certificate that does not verify is an error, never valid")
    func clientWrongCertificate() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        let other = try TemporaryDirectory()
        let made = try Command.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                               "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                                               "-keyout", other.file("key.pem"), "-out", other.file("cert.pem")])
        try #require(made.status == 0)
        let error = #expect(throws: LicenseClientError.self) { try client(key, caFile: other.file("cert.pem")).check() }
        #expect(error?.code == .tls)
        #expect(error?.message.contains("certificate does not verify") == true)
        // A server whose certificate the CA file trusts, but made out to another name.
        let wrongName = try Command.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                                    "-days", "1", "-subj", "/CN=elsewhere.example", "-addext", "subjectAltName=DNS:elsewhere.example",
                                                    "-keyout", other.file("wrong-key.pem"), "-out", other.file("wrong-cert.pem")])
        try #require(wrongName.status == 0)
        let port = try closedPort()
        let server = try BackgroundProcess("openssl", ["s_server", "-quiet", "-accept", "127.0.0.1:\(port)", "-cert", other.file("wrong-cert.pem"),
                                                       "-key", other.file("wrong-key.pem"), "-www"], log: other.file("s_server.log"))
        defer { _ = server.exitStatus(within: 0) }
        for _ in 0..<50 where (try? Command.run("curl", ["-sk", "-o", "/dev/null", "https://127.0.0.1:\(port)/"]).status) != 0 { usleep(100_000) }
        let misnamed = #expect(throws: LicenseClientError.self) {
            try client(key, url: "https://localhost:\(port)", caFile: other.file("wrong-cert.pem")).check()
        }
        #expect(misnamed?.message.contains("hostname mismatch") == true, "\(String(describing: misnamed))")
        #expect(throws: LicenseClientError.self) { try client(key, caFile: "/nonexistent/ca.pem") }
    }

    @Test("client: an instance is released at exit, crediting its right")
    func clientRelease() throws {
        let key = try issue(["id=" + uniqueID("CR"), "rights=1"])
        let program = try client(key)
        let first = try LicenseClient.newInstanceID()
        let second = try LicenseClient.newInstanceID()
        #expect(first != second)
        #expect(try program.check(instance: first) == .valid)
        #expect(try program.check(instance: second) == .invalid(.rights))
        #expect(try program.release(instance: first) == .released)
        #expect(try program.check(instance: second) == .valid)
        let forged = try issue(["id=" + uniqueID("U"), "users=5"]).replacingOccurrences(of: "users=5", with: "users=6")
        #expect(try client(forged).release(instance: first) == .invalid(.badSignature))
    }

    @Test("licensectl check and release as processes: output and exit status")
    func licensectlCheckAndRelease() throws {
        let key = try keyFile(try issue(["id=" + uniqueID("LC"), "rights=1", "host=localhost"]))
        let idFile = userIDFile()
        func run(_ command: String, domain: String = "localhost", instance: String = "instance-0001", url: String? = nil,
                 ca: String? = nil) throws -> CommandResult {
            try stack.licensectl([command, "--server", url ?? serverURL, "--key-file", key, "--revision", "7.1",
                                  "--domain", domain, "--cacert", ca ?? caFile, "--user-id-file", idFile, "--instance", instance])
        }
        let valid = try run("check")
        #expect(valid.status == 0 && valid.standardOutput == "valid\n", "\(valid.standardError)")
        let full = try run("check", instance: "instance-0002")
        #expect(full.status == 1 && full.standardOutput == "invalid rights\n")
        let released = try run("release")
        #expect(released.status == 0 && released.standardOutput == "released\n", "\(released.standardError)")
        #expect(try run("check", instance: "instance-0002").standardOutput == "valid\n")
        let elsewhere = try run("check", domain: "example.org")
        #expect(elsewhere.status == 1 && elsewhere.standardOutput == "invalid host\n")
        let offline = try run("check", url: "https://localhost:\(try closedPort())")
        #expect(offline.status == 0 && offline.standardOutput == "skipped: server unreachable\n")
        #expect(offline.standardError.contains("refused"))
        let offlineRelease = try run("release", url: "https://localhost:\(try closedPort())")
        #expect(offlineRelease.status == 0 && offlineRelease.standardOutput == "skipped: server unreachable\n")
        let wrongCA = try run("check", ca: stack.directory + "/issuers/default.pem")
        #expect(wrongCA.status == 2 && wrongCA.standardOutput.isEmpty, "\(wrongCA.standardOutput)")
        let badDomain = try run("check", domain: "not a domain")
        #expect(badDomain.status == 2 && badDomain.standardError.contains("DOMAIN"))
        let plainHTTP = try run("check", url: "http://localhost:\(stack.httpsPort + 2)")
        #expect(plainHTTP.status == 2 && plainHTTP.standardError.contains("https://"))
        let missing = try stack.licensectl(["check", "--server", serverURL])
        #expect(missing.status == 2)
    }

    @Test("CORS: a preflight answered as a browser needs; Origin matching and not matching the code's DOMAIN")
    func cors() throws {
        let code = try code(try issue(["id=" + uniqueID("U"), "users=5"]), domain: "localhost")
        for route in ["/check", "/release"] {
            let preflight = try stack.request(route, method: "OPTIONS", headers: [
                "Origin: https://localhost:3000", "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: content-type",
            ])
            #expect(preflight.status == 204, "\(route) \(preflight.status) \(preflight.body)")
            #expect(preflight.headers["access-control-allow-origin"] == "https://localhost:3000")
            #expect(preflight.headers["access-control-allow-methods"]?.contains("POST") == true)
            #expect(preflight.headers["access-control-allow-headers"]?.lowercased().contains("content-type") == true)
            #expect(preflight.headers["vary"] == "Origin")
        }
        let getPreflight = try stack.request("/release", method: "OPTIONS", headers: [
            "Origin: https://localhost", "Access-Control-Request-Method: GET",
        ])
        #expect(getPreflight.status == 405)
        let badOrigin = try stack.request("/check", method: "OPTIONS", headers: ["Origin: null", "Access-Control-Request-Method: POST"])
        #expect(badOrigin.status == 400 && badOrigin.headers["access-control-allow-origin"] == nil)

        let same = try check(code, headers: ["Origin: https://LOCALHOST:3000"])
        #expect(same.body == "valid\n")
        #expect(same.headers["access-control-allow-origin"] == "https://LOCALHOST:3000")
        let other = try check(code, headers: ["Origin: https://evil.example"])
        #expect(other.body == "invalid host\n")
        #expect(other.headers["access-control-allow-origin"] == "https://evil.example")
        let posted = try stack.request("/check", method: "POST", body: Data(("code=" + code).utf8),
                                       headers: ["Origin: http://localhost", "Content-Type: application/x-www-form-urlencoded"])
        #expect(posted.body == "valid\n" && posted.headers["access-control-allow-origin"] == "http://localhost")
        let released = try stack.request("/release", method: "POST", body: Data(code.utf8),
                                          headers: ["Origin: https://evil.example"])
        #expect(released.status == 200)
        #expect(try check(code).headers["access-control-allow-origin"] == nil)
    }

    /// A loopback port nobody listens on.
    func closedPort() throws -> Int {
        let listener = try SilentListener()
        return listener.port
    }
}

/// A TCP socket on loopback that takes connections into its backlog and never answers; closed
/// when this goes away.
final class SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 16) == 0
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw StackError("cannot listen on loopback")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}
