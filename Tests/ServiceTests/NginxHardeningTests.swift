import Foundation
import LicenseCore
import TestSupport
import Testing

/// The shipped nginx files, through the real nginx of the stack (SPEC §4: no code in any log).
extension ServiceTests {
    @Test("the access log of a GET check holds its path, never its code")
    func accessLogWithoutCodes() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        let start = try code(key, user: "logged-user-7731", system: "Eth_de:ad:be:ef:77:31")
        #expect(try answer(start) == "valid")
        let log = try String(contentsOfFile: stack.directory + "/log/nginx-license-access.log", encoding: .utf8)
        #expect(log.contains("\"GET /check HTTP/"))
        #expect(!log.contains(start) && !log.contains("code=") && !log.contains("logged-user-7731"))
    }

    @Test("no log of the stack holds a code after a 502 (the pool stopped) and 429s (a flood with a code in the query)")
    func failuresLogNoCodes() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        let start = try code(key, user: "failing-user-4417", system: "Eth_de:ad:be:ef:44:17")
        let url = "https://localhost:\(stack.httpsPort)"
        let flood = try Command.run("curl", ["-s", "-w", "%{http_code}\\n", "--cacert", stack.directory + "/tls/localhost.pem"]
                                    + Array(repeating: ["-o", "/dev/null", url + "/healthz?code=" + start], count: 40).flatMap { $0 })
        #expect(flood.standardOutput.split(separator: "\n").contains("429"), "\(flood.standardOutput)")
        try #require(try stack.stack("pool-stop").status == 0)
        defer { _ = try? stack.stack("pool-start") }
        let failed = try check(start)
        #expect(failed.status == 502, "\(failed.status)")
        try #require(try stack.stack("pool-start").status == 0)
        let logs = try FileManager.default.contentsOfDirectory(atPath: stack.directory + "/log")
        for name in logs {
            let text = try String(contentsOfFile: stack.directory + "/log/" + name, encoding: .utf8)
            #expect(!text.contains(start) && !text.contains("failing-user-4417"), "\(name) holds the code")
        }
        // The failures are in the access log, with the upstream's status and no request line.
        let access = try String(contentsOfFile: stack.directory + "/log/nginx-license-access.log", encoding: .utf8)
        #expect(access.contains("\"GET /check HTTP/1.1\" 502 ") && access.contains("\"GET /healthz HTTP/2.0\" 429 "), "\(access.suffix(600))")
        usleep(2_500_000)
    }

    @Test("plain HTTP: the redirect goes to the server's own name; a foreign Host gets no answer")
    func redirectToOwnName() throws {
        let http = "http://127.0.0.1:\(stack.httpsPort + 2)/check"
        let own = try Command.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: localhost", http])
        #expect(own.standardOutput == "301 https://localhost:\(stack.httpsPort)/check", "\(own.standardOutput)")
        let foreign = try Command.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: evil.example", http])
        // 444: nginx closes the connection without an answer (curl: "empty reply", exit 52).
        #expect(foreign.status == 52 && !foreign.standardOutput.contains("evil"), "\(foreign.status) \(foreign.standardOutput)")
    }

    @Test("TLS 1.2 offers no CBC suite; an AEAD one is accepted")
    func noCBCSuites() throws {
        func handshake(_ cipher: String) throws -> CommandResult {
            try Command.run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", stack.directory + "/tls/localhost.pem",
                                     "--tlsv1.2", "--tls-max", "1.2", "--ciphers", cipher,
                                     "https://localhost:\(stack.httpsPort)/healthz"])
        }
        #expect(try handshake("ECDHE-ECDSA-AES128-GCM-SHA256").standardOutput == "200")
        for cbc in ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256"] {
            let refused = try handshake(cbc)
            #expect(refused.status == 35, "\(cbc): \(refused.status) \(refused.standardError)")
        }
    }

    @Test("a /healthz flood from one address is limited (429)")
    func healthFlood() throws {
        let url = "https://localhost:\(stack.httpsPort)/healthz"
        let flood = try Command.run("curl", ["-s", "-w", "%{http_code}\\n", "--cacert", stack.directory + "/tls/localhost.pem"]
                                    + Array(repeating: ["-o", "/dev/null", url], count: 40).flatMap { $0 })
        let statuses = flood.standardOutput.split(separator: "\n")
        #expect(statuses.count == 40)
        #expect(statuses.contains("200") && statuses.contains("429"), "\(statuses)")
        // Checks have a limit of their own and are not refused by this one.
        #expect(try answer(try code(try issue(["id=" + uniqueID("U"), "users=5"]))) == "valid")
        // Let the bucket drain for the tests after this one.
        usleep(2_500_000)
    }
}
