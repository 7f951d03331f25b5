import Foundation
import LicenseClient
import LicenseCore
import TestSupport
import Testing

/// SPEC §7 against the real stack: the default realm signs with `answer-keys/default.key`,
/// realm b answers unsigned.
extension ServiceTests {
    var answerKey: String { stack.directory + "/answer-keys/default.pem" }

    /// A code with a nonce, as a verifying client sends it.
    func codeWithNonce(_ keyLine: String, user: String) throws -> StartupCode {
        try StartupCode(keyLine: keyLine, revision: "7.1", userID: user, domain: "localhost",
                        nonce: "nonce-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())
    }

    /// SPEC §7's check, rebuilt here without the product's code: the header split by hand,
    /// SHA-256 and the Ed25519 verification by the openssl command.
    func opensslVerifies(header: String, codeText: [UInt8], body: String) throws -> Bool {
        var parts: [String: String] = [:]
        for part in header.components(separatedBy: ", ") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            parts[pair[0]] = pair.count > 1 ? pair[1] : ""
        }
        let folder = try TemporaryDirectory()
        try Data(codeText).write(to: URL(fileURLWithPath: folder.file("code")))
        let digest = try Command.run("openssl", ["dgst", "-sha256", "-binary", "-out", folder.file("digest"), folder.file("code")])
        try #require(digest.status == 0, "\(digest.standardError)")
        let codeDigest = try Data(contentsOf: URL(fileURLWithPath: folder.file("digest"))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let message = "license-answer/1\n\(codeDigest)\n\(parts["t"] ?? "")\n\(parts["until"] ?? "")\n\(body)"
        try Data(message.utf8).write(to: URL(fileURLWithPath: folder.file("message")))
        var signature = (parts["sig"] ?? "").replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while signature.count % 4 != 0 { signature += "=" }
        try #require(Data(base64Encoded: signature)?.write(to: URL(fileURLWithPath: folder.file("signature"))) != nil, "sig=\(signature)")
        let verified = try Command.run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", answerKey, "-rawin",
                                                   "-in", folder.file("message"), "-sigfile", folder.file("signature")])
        return verified.status == 0
    }

    @Test("signed answers: openssl verifies License-Signature over the code sent and the body received; realm b is unsigned")
    func signedAnswersVerifyIndependently() throws {
        let key = try issue(["id=" + uniqueID("SA"), "users=1"])
        let signedCode = try codeWithNonce(key, user: "signed-user-1")
        let valid = try check(signedCode.encoded)
        #expect(valid.body == "valid\n")
        let header = try #require(valid.headers["license-signature"], "\(valid.headers)")
        #expect(try opensslVerifies(header: header, codeText: signedCode.text, body: valid.body))
        // The independent check can fail: another body, or another code, does not verify.
        #expect(try !opensslVerifies(header: header, codeText: signedCode.text, body: "invalid users\n"))
        #expect(try !opensslVerifies(header: header, codeText: try codeWithNonce(key, user: "signed-user-1").text, body: valid.body))
        // until: t plus the 24 h lease.
        let times = header.components(separatedBy: ", ").prefix(2).map { $0.components(separatedBy: "=")[1] }
        let t = try #require(UTCTimestamp(times[0])), until = try #require(UTCTimestamp(times[1]))
        #expect(until.secondsSince1970 - t.secondsSince1970 == 86_400)
        // An invalid answer is signed too, with an empty until.
        let refusedCode = try codeWithNonce(key, user: "signed-user-2")
        let refused = try check(refusedCode.encoded)
        #expect(refused.body == "invalid users\n")
        let refusedHeader = try #require(refused.headers["license-signature"])
        #expect(refusedHeader.contains("until=, sig="))
        #expect(try opensslVerifies(header: refusedHeader, codeText: refusedCode.text, body: refused.body))
        // Realm b has no answer key: unsigned.
        let other = try check(try code(try issue(["id=" + uniqueID("SB")], realm: "b")), host: "b.localhost")
        #expect(other.body == "valid\n" && other.headers["license-signature"] == nil, "\(other.headers)")
    }

    @Test("licensectl check --answer-key: valid from the server; from a fake server at its name and CA, unsigned or replayed, invalid forged-answer")
    func forgedAnswers() throws {
        let keyLine = try issue(["id=" + uniqueID("SF"), "users=5"])
        let key = try keyFile(keyLine)
        let idFile = userIDFile()
        func licensectlCheck(_ url: String) throws -> CommandResult {
            try stack.licensectl(["check", "--server", url, "--key-file", key, "--revision", "7.1", "--domain", "localhost",
                                  "--cacert", caFile, "--user-id-file", idFile, "--answer-key", answerKey])
        }
        let real = try licensectlCheck(serverURL)
        #expect(real.status == 0 && real.standardOutput == "valid\n", "\(real.standardOutput) \(real.standardError)")

        let fake = try FakeAnswerServer(stack: stack, port: stack.httpsPort + 4)
        defer { fake.stop() }
        try fake.answer(body: "valid\n", signature: nil)
        let unsigned = try licensectlCheck(fake.url)
        #expect(unsigned.status == 1 && unsigned.standardOutput == "invalid forged-answer\n", "\(unsigned.standardOutput) \(unsigned.standardError)")

        // A real signed answer, recorded for one code, replayed for the next start's code.
        let userID = try String(contentsOfFile: idFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let recorded = try check(try codeWithNonce(keyLine, user: userID).encoded)
        let recordedSignature = try #require(recorded.headers["license-signature"])
        try fake.answer(body: recorded.body, signature: recordedSignature)
        let replayed = try licensectlCheck(fake.url)
        #expect(replayed.status == 1 && replayed.standardOutput == "invalid forged-answer\n", "\(replayed.standardOutput) \(replayed.standardError)")
        #expect(replayed.standardError.contains("does not verify"), "\(replayed.standardError)")

        // A correctly signed answer whose t is ten minutes from the client's clock.
        let late = try LicenseClient(serverURL: serverURL, keyLine: keyLine, revision: "7.1", domain: "localhost", userIDFile: idFile,
                                     caFile: caFile, answerKey: answerKey,
                                     clock: { UTCTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970) + 600) })
        guard case .forged(let why) = try late.check() else {
            Issue.record("an answer signed ten minutes ago was believed")
            return
        }
        #expect(why.contains("five minutes"), "\(why)")
    }

    @Test("heartbeats (SPEC §8): a 502 is skipped, fail-closed stops only past the verified until; a 404 from a fake server is forged")
    func heartbeatFailures() throws {
        let keyLine = try issue(["id=" + uniqueID("HB"), "rights=5"])
        let fake = try FakeAnswerServer(stack: stack, port: stack.httpsPort + 4)
        try fake.proxy(to: stack.httpsPort)
        let stopped = CollectedAnswers()
        func session() throws -> LicenseSession {
            try LicenseSession(client: try LicenseClient(serverURL: fake.url, keyLine: keyLine, revision: "7.1", domain: "localhost",
                                                         userIDFile: userIDFile(), caFile: caFile, answerKey: answerKey, failClosed: true),
                               onInvalid: { stopped.append("\($0)") })
        }
        // The heartbeat is every 2 s (a third of the stack's 6 s instance lease), and until is 6 s ahead.
        let first = try session()
        #expect(try first.start() == .valid)
        try fake.answer(body: "bad gateway", signature: nil, status: 502)
        sleep(3)
        #expect(stopped.values.isEmpty, "a 502 at a heartbeat stopped a fail-closed program whose verified until was ahead")
        sleep(7)
        #expect(stopped.values.count == 1 && stopped.values.first?.contains("offline") == true, "\(stopped.values)")
        first.close()

        try fake.proxy(to: stack.httpsPort)
        let second = try session()
        #expect(try second.start() == .valid)
        try fake.answer(body: "not found", signature: nil, status: 404)
        sleep(3)
        #expect(stopped.values.count == 2 && stopped.values.last?.contains("forged") == true, "\(stopped.values)")
        second.close()
        fake.stop()
    }

    @Test("the answer cache: valid once, then without the server valid (offline until UNTIL); past until skipped, or invalid offline when fail-closed")
    func answerCache() throws {
        let keyLine = try issue(["id=" + uniqueID("SC"), "users=5"])
        let key = try keyFile(keyLine)
        let idFile = userIDFile()
        let cache = stack.directory + "/client-" + uniqueID("cache")
        let unreachable = "https://localhost:\(stack.httpsPort + 9)"
        func licensectlCheck(_ url: String, _ extra: [String] = [], domain: String = "localhost", revision: String = "7.1",
                             user: String? = nil) throws -> CommandResult {
            try stack.licensectl(["check", "--server", url, "--key-file", key, "--revision", revision, "--domain", domain,
                                  "--cacert", caFile, "--user-id-file", user ?? idFile, "--answer-key", answerKey] + extra)
        }
        let first = try licensectlCheck(serverURL, ["--answer-cache", cache])
        #expect(first.standardOutput == "valid\n", "\(first.standardError)")
        #expect(try FileManager.default.attributesOfItem(atPath: cache)[.posixPermissions] as? Int == 0o600)
        let kept = try String(contentsOfFile: cache, encoding: .utf8)
        let until = try #require(kept.components(separatedBy: "until=").dropFirst().first?.components(separatedBy: ",").first)

        let offline = try licensectlCheck(unreachable, ["--answer-cache", cache])
        #expect(offline.status == 0 && offline.standardOutput == "valid (offline until \(until))\n", "\(offline.standardOutput) \(offline.standardError)")
        // Only for the same code but its nonce (SPEC §7): another domain, revision, user, system,
        // instance, options, product or rights is skipped.
        for other in [try licensectlCheck(unreachable, ["--answer-cache", cache], domain: "127.0.0.1"),
                      try licensectlCheck(unreachable, ["--answer-cache", cache], revision: "7.2"),
                      try licensectlCheck(unreachable, ["--answer-cache", cache], user: userIDFile()),
                      try licensectlCheck(unreachable, ["--answer-cache", cache, "--system", "Eth_52:54:00:00:00:09"]),
                      try licensectlCheck(unreachable, ["--answer-cache", cache, "--instance", "another-instance"]),
                      try licensectlCheck(unreachable, ["--answer-cache", cache, "--options", "Vario"]),
                      try licensectlCheck(unreachable, ["--answer-cache", cache, "--product", "X-OTHER"]),
                      try licensectlCheck(unreachable, ["--answer-cache", cache, "--rights", "2"])] {
            #expect(other.status == 0 && other.standardOutput == "skipped: server unreachable\n", "\(other.standardOutput)")
        }
        let closed = try licensectlCheck(unreachable, ["--answer-cache", cache, "--fail-closed"], domain: "127.0.0.1")
        #expect(closed.status == 1 && closed.standardOutput == "invalid offline\n", "\(closed.standardOutput)")

        // Past until (the client's clock a day and an hour ahead): skipped, or offline when fail-closed.
        let ahead: @Sendable () -> UTCTimestamp = { UTCTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970) + 25 * 3600) }
        for failClosed in [false, true] {
            let client = try LicenseClient(serverURL: unreachable, keyLine: keyLine, revision: "7.1", domain: "localhost", userIDFile: idFile,
                                           caFile: caFile, answerKey: answerKey, answerCache: cache, failClosed: failClosed, clock: ahead)
            let outcome = try client.check()
            if failClosed {
                guard case .offline = outcome else { Issue.record("\(outcome)"); continue }
            } else {
                guard case .skipped = outcome else { Issue.record("\(outcome)"); continue }
            }
        }
        // A session (licensectl run) keeps its JSON answers; a later session, a new instance, starts
        // offline on them.
        let sessionCache = stack.directory + "/client-" + uniqueID("session-cache")
        let online = try LicenseSession(client: try LicenseClient(serverURL: serverURL, keyLine: keyLine, revision: "7.1", domain: "localhost",
                                                                  userIDFile: idFile, caFile: caFile, answerKey: answerKey,
                                                                  answerCache: sessionCache), onInvalid: { _ in })
        #expect(try online.start() == .valid)
        online.close()
        let later = try LicenseSession(client: try LicenseClient(serverURL: unreachable, keyLine: keyLine, revision: "7.1", domain: "localhost",
                                                                 userIDFile: idFile, caFile: caFile, answerKey: answerKey,
                                                                 answerCache: sessionCache, failClosed: true), onInvalid: { _ in })
        let offlineStart = try later.start()
        guard case .validOffline = offlineStart else {
            Issue.record("a session did not start on its kept answer: \(offlineStart)")
            return
        }
        later.close()
        // A cache without the key is a usage error.
        let usage = try stack.licensectl(["check", "--server", serverURL, "--key-file", key, "--revision", "7.1", "--domain", "localhost",
                                          "--answer-cache", cache])
        #expect(usage.status == 2 && usage.standardError.contains("--answer-key"), "\(usage.standardError)")
    }
}

/// nginx at the stack's name and certificate, answering every request with a fixed body and
/// `License-Signature` (or none): what a hosts-file entry and a private CA make.
final class FakeAnswerServer {
    let folder: TemporaryDirectory
    let port: Int
    let certificate: String
    var url: String { "https://localhost:\(port)" }
    private var running = false

    init(stack: ServiceStack, port: Int) throws {
        folder = try TemporaryDirectory()
        chmod(folder.path, 0o755)
        self.port = port
        certificate = stack.directory + "/tls/localhost"
    }

    /// (Re)starts nginx answering `body` with `signature` as the header.
    func answer(body: String, signature: String?, status: Int = 200) throws {
        let quoted = { (text: String) in "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        try serve("""
            \(signature.map { "add_header License-Signature \(quoted($0)) always;" } ?? "")
            return \(status) \(quoted(body));
            """)
    }

    /// (Re)starts nginx passing every request on to the stack's nginx at `port`: the real server,
    /// until the test makes this one answer something else.
    func proxy(to port: Int) throws {
        try serve("""
            proxy_pass https://127.0.0.1:\(port);
            proxy_ssl_verify off;
            proxy_set_header Host localhost;
            """)
    }

    /// (Re)starts nginx with `location` as what it does for every request.
    private func serve(_ location: String) throws {
        stop()
        let configuration = """
            pid \(folder.file("nginx.pid"));
            error_log \(folder.file("error.log"));
            events {}
            http {
                access_log off;
                client_body_temp_path \(folder.path)/client_body;
                default_type text/plain;
                server {
                    listen 127.0.0.1:\(port) ssl;
                    server_name localhost;
                    ssl_certificate \(certificate).pem;
                    ssl_certificate_key \(certificate).key;
                    location / {
                        \(location)
                    }
                }
            }
            """
        try configuration.write(toFile: folder.file("nginx.conf"), atomically: true, encoding: .utf8)
        let started = try Command.run("nginx", ["-c", folder.file("nginx.conf"), "-p", folder.path, "-g", "daemon on;"])
        try #require(started.status == 0, "\(started.standardError)")
        running = true
    }

    func stop() {
        guard running else { return }
        running = false
        _ = try? Command.run("nginx", ["-c", folder.file("nginx.conf"), "-p", folder.path, "-s", "stop"])
        for _ in 0..<50 where FileManager.default.fileExists(atPath: folder.file("nginx.pid")) { usleep(50_000) }
    }

    deinit { stop() }
}
