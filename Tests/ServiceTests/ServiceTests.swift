import Foundation
import LicenseCore
import TestSupport
import Testing


/// The service through HTTPS: real nginx, the real worker pool, a real PostgreSQL.
@Suite("The check service through nginx over TLS", .serialized)
struct ServiceTests {
    let stack: ServiceStack

    init() throws {
        stack = try #require(ServiceTests.startedStack())
    }

    static func startedStack() -> ServiceStack? { ServiceTestsSupport.stack }

    /// Issues a key with the realm's issuer (`default` or `b`) and returns its line.
    func issue(_ fields: [String], realm: String = "default", product: String = "X-META-X") throws -> String {
        let keyFile = realm == "default" ? stack.directory + "/issuers/default.key" : stack.directory + "/issuers/\(realm)/default.key"
        let result = try stack.licensectl(["issue", "--signing-key", keyFile, "--", product] + fields)
        try #require(result.status == 0, "\(result.standardError)")
        return result.standardOutput.trimmingCharacters(in: .newlines)
    }

    func code(_ keyLine: String, revision: String = "7.1", user: String = "user-00001", domain: String = "localhost",
              system: String? = nil, instance: String? = nil, options: [String] = [], rights: Int? = nil) throws -> String {
        try StartupCode(keyLine: keyLine, revision: revision, userID: user, domain: domain, system: system,
                        instance: instance, options: options, rights: rights).encoded
    }

    func check(_ code: String, host: String = "localhost", json: Bool = false, headers: [String] = []) throws -> HTTPAnswer {
        try stack.request("/check?code=" + code, host: host, headers: headers + (json ? ["Accept: application/json"] : []))
    }

    func answer(_ code: String, host: String = "localhost", headers: [String] = []) throws -> String {
        let response = try check(code, host: host, headers: headers)
        #expect(response.status == 200, "\(response.status) \(response.body) \(response.curlError)")
        return response.body.trimmingCharacters(in: .newlines)
    }

    func uniqueID(_ prefix: String) -> String { prefix + "-" + UUID().uuidString.prefix(8).lowercased() }

    @Test("valid, plain and JSON, by GET, form POST and bare POST")
    func valid() throws {
        let key = try issue(["id=" + uniqueID("V"), "users=5", "rights=3", "option=Channel", "rights=20", "duration=01Jan2020-31Dec2099"])
        let code = try code(key, options: ["Channel"])
        #expect(try answer(code) == "valid")
        let response = try check(code, json: true)
        #expect(response.headers["content-type"] == "application/json")
        let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        #expect(object?["result"] as? String == "valid")
        #expect(object?["reason"] is NSNull)
        #expect(object?["expires"] as? String == "2099-12-31")
        let scopes = object?["scopes"] as? [[String: Any]]
        #expect(scopes?.map { $0["scope"] as? String } == ["base", "Channel"])
        #expect((scopes?[0]["limits"] as? [String: Any])?["users"] as? Int == 5)
        #expect((scopes?[0]["limits"] as? [String: Any])?["hosts"] is NSNull)
        #expect((scopes?[1]["in_use"] as? [String: Any])?["rights"] as? Int == 1)
        let form = try stack.request("/check", method: "POST", body: Data(("code=" + code).utf8),
                                     headers: ["Content-Type: application/x-www-form-urlencoded"])
        #expect(form.status == 200 && form.body == "valid\n")
        let bare = try stack.request("/check", method: "POST", body: Data(code.utf8), headers: ["Content-Type: text/plain"])
        #expect(bare.status == 200 && bare.body == "valid\n")
        #expect(try check(code).headers["content-type"] == "text/plain; charset=utf-8")
    }

    /// A key and the start that it refuses, for each reason of rules 1–8 that one code shows.
    struct RefusedStart {
        let reason: String
        let keyLine: String
        var revision = "7.1"
        var domain = "localhost"
        var system: String?
        var options: [String] = []
    }

    func refusedStarts() throws -> [RefusedStart] {
        let placeholder = "signature=" + SignatureText.encode([UInt8](repeating: 0, count: 64))
        let revokedID = uniqueID("R")
        _ = try stack.licensectl(["revoke", "--database", "host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=postgres", revokedID])
        return [
            RefusedStart(reason: "malformed-key", keyLine: "X-META-X users=0 " + placeholder),
            RefusedStart(reason: "unsupported-field", keyLine: "X-META-X seats=3 " + placeholder),
            RefusedStart(reason: "unknown-issuer", keyLine: try issue(["issuer=nobody"])),
            RefusedStart(reason: "bad-signature", keyLine: try issue(["id=" + uniqueID("U"), "users=5"]).replacingOccurrences(of: "users=5", with: "users=6")),
            RefusedStart(reason: "revoked", keyLine: try issue(["id=" + revokedID])),
            RefusedStart(reason: "not-yet-valid", keyLine: try issue(["duration=01Jan2098-31Dec2099"])),
            RefusedStart(reason: "expired", keyLine: try issue(["duration=01Jan2000-31Dec2000"])),
            RefusedStart(reason: "version", keyLine: try issue(["version=+8"]), revision: "7.9"),
            RefusedStart(reason: "host", keyLine: try issue(["host=example.com"])),
            RefusedStart(reason: "system-id", keyLine: try issue(["systemid=Eth_00:11:22:33:44:55"]), system: "Eth_00:11:22:33:44:56"),
            RefusedStart(reason: "option", keyLine: try issue(["option=Vario"]), options: ["Channel"]),
        ]
    }

    @Test("every reason of SPEC §4, plain and JSON")
    func everyReason() throws {
        let cases = try refusedStarts().map { start in
            (start.reason, try code(start.keyLine, revision: start.revision, domain: start.domain, system: start.system,
                                    options: start.options))
        }
        for (reason, code) in cases {
            #expect(try answer(code) == "invalid " + reason, "\(reason)")
            let json = try check(code, json: true)
            let object = try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any]
            #expect(object?["result"] as? String == "invalid" && object?["reason"] as? String == reason, "\(reason): \(json.body)")
        }
        // users, hosts, rights: each limit 1, a second seat refused.
        for limit in ["users", "hosts", "rights"] {
            let key = try issue(["id=" + uniqueID("L"), "\(limit)=1"])
            #expect(try answer(try code(key, user: "first-user", system: "Eth_1", instance: "instance-1")) == "valid")
            let second = try code(key, user: limit == "users" ? "second-user" : "first-user",
                                  system: limit == "hosts" ? "Eth_2" : "Eth_1", instance: "instance-2")
            #expect(try answer(second) == "invalid " + limit, "\(limit)")
            let json = try JSONSerialization.jsonObject(with: Data(try check(second, json: true).body.utf8)) as? [String: Any]
            #expect(json?["reason"] as? String == limit)
        }
        // A seat that adds no user (users=1: the same user's second instance) or no computer
        // (hosts=1: a second user on the same computer) is admitted.
        let oneUser = try issue(["id=" + uniqueID("L"), "users=1"])
        #expect(try answer(try code(oneUser, user: "first-user", instance: "instance-1")) == "valid")
        #expect(try answer(try code(oneUser, user: "first-user", instance: "instance-2")) == "valid")
        let oneHost = try issue(["id=" + uniqueID("L"), "hosts=1"])
        #expect(try answer(try code(oneHost, user: "first-user", system: "Eth_1")) == "valid")
        #expect(try answer(try code(oneHost, user: "second-user", system: "Eth_1")) == "valid")
        #expect(try answer(try code(oneHost, user: "third-user", system: "Eth_2")) == "invalid hosts")
    }

    @Test("a key seen with a valid signature is registered, also when refused; a bad signature leaves no trace")
    func registration() throws {
        let expiredID = uniqueID("X")
        #expect(try answer(try code(try issue(["id=" + expiredID, "duration=01Jan2000-31Dec2000"]))) == "invalid expired")
        #expect(try stack.sql("SELECT product || ' ' || valid_until FROM licenses WHERE license_id = '\(expiredID)'") == "X-META-X 2000-12-31")
        let forgedID = uniqueID("F")
        let forged = try issue(["id=" + forgedID, "users=5"]).replacingOccurrences(of: "users=5", with: "users=9")
        #expect(try answer(try code(forged)) == "invalid bad-signature")
        #expect(try stack.sql("SELECT count(*) FROM licenses WHERE license_id = '\(forgedID)'") == "0")
    }

    @Test("revoke in one realm refuses the license there only; without a realm, everywhere")
    func revokeByRealm() throws {
        let id = uniqueID("RR")
        let defaultCode = try code(try issue(["id=" + id]))
        let realmBCode = try code(try issue(["id=" + id], realm: "b"), domain: "b.localhost")
        let database = "host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=postgres"
        #expect(try stack.licensectl(["revoke", "--database", database, "--realm", "b", id]).status == 0)
        #expect(try answer(realmBCode, host: "b.localhost") == "invalid revoked")
        #expect(try answer(defaultCode) == "valid")
        #expect(try stack.licensectl(["revoke", "--database", database, id]).status == 0)
        #expect(try answer(defaultCode) == "invalid revoked")
        // Rule 3 outranks the rules after it: a revoked key that has also expired is revoked.
        let expiredID = uniqueID("RX")
        #expect(try stack.licensectl(["revoke", "--database", database, expiredID]).status == 0)
        #expect(try answer(try code(try issue(["id=" + expiredID, "duration=01Jan2000-31Dec2000"]))) == "invalid revoked")
    }

    @Test("migrate is idempotent and records what it applied")
    func migrateAgain() throws {
        let database = "host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=postgres"
        let again = try stack.licensectl(["migrate", "--database", database, "--migrations", stack.packageRoot + "/sql"])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains("up to date"))
        let files = try FileManager.default.contentsOfDirectory(atPath: stack.packageRoot + "/sql/migrations")
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count >= 2 && files.allSatisfy { $0.prefix(3).allSatisfy(\.isNumber) })
        #expect(try stack.sql("SELECT string_agg(name, ',' ORDER BY version) FROM schema_migrations") == files.joined(separator: ","))
        // Roles belong to the cluster, not the database: a second database of the same cluster
        // (its roles made by the first) migrates from nothing all the same.
        _ = try stack.sql("CREATE DATABASE license_second")
        defer { _ = try? stack.sql("DROP DATABASE license_second") }
        let second = try stack.licensectl(["migrate", "--database", database.replacingOccurrences(of: "dbname=license", with: "dbname=license_second"),
                                           "--migrations", stack.packageRoot + "/sql"])
        #expect(second.status == 0 && second.standardOutput.contains("applied \(files.count) migration(s)"), "\(second.standardError)")
        let unreachable = try stack.licensectl(["migrate", "--database", "host=/nonexistent dbname=x"])
        #expect(unreachable.status == 2 && unreachable.standardError.hasPrefix("Error: "))
    }

    @Test("the demo key for 127.0.0.1 over https://127.0.0.1, which sends no SNI")
    func ipLiteral() throws {
        let keyLine = try KeyFileText.keyLine(in: String(contentsOfFile: stack.directory + "/license/127.0.0.1.txt", encoding: .utf8))
        let demo = try StartupCode(keyLine: keyLine, revision: "1.2", userID: "ip-user-0001", domain: "127.0.0.1").encoded
        #expect(try answer(demo, host: "127.0.0.1") == "valid")
        let elsewhere = try StartupCode(keyLine: keyLine, revision: "1.2", userID: "ip-user-0001", domain: "localhost").encoded
        #expect(try answer(elsewhere, host: "127.0.0.1") == "invalid host")
    }

    @Test("a browser's Origin must be the code's DOMAIN")
    func origin() throws {
        let code = try code(try issue(["id=" + uniqueID("U"), "users=5"]), domain: "localhost")
        #expect(try answer(code, headers: ["Origin: https://localhost:3000"]) == "valid")
        #expect(try answer(code, headers: ["Origin: https://evil.example"]) == "invalid host")
    }

    @Test("option scopes are limited apart from the base product; a known seat is refreshed")
    func optionScopes() throws {
        let key = try issue(["id=" + uniqueID("O"), "users=3", "option=Channel", "users=1"])
        #expect(try answer(try code(key, user: "user-a-0001", options: ["Channel"])) == "valid")
        #expect(try answer(try code(key, user: "user-b-0001", options: ["Channel"])) == "invalid users")
        #expect(try answer(try code(key, user: "user-b-0001")) == "valid")
        #expect(try answer(try code(key, user: "user-a-0001", options: ["Channel"])) == "valid")
        #expect(try answer(try code(key, user: "user-c-0001")) == "valid")
        #expect(try answer(try code(key, user: "user-d-0001")) == "invalid users")
    }

    @Test("a lapsed seat frees its place; /release credits a right")
    func leaseAndRelease() throws {
        let id = uniqueID("E")
        let key = try issue(["id=" + id, "rights=1"])
        let first = try code(key, user: "lease-user-1", instance: "instance-1")
        let second = try code(key, user: "lease-user-1", instance: "instance-2")
        #expect(try answer(first) == "valid")
        #expect(try answer(second) == "invalid rights")
        // Move the clock: the first seat was last seen 25 hours ago, past the 24-hour lease.
        _ = try stack.sql("UPDATE seats SET last_seen = now() - interval '25 hours' WHERE license_id = '\(id)'")
        #expect(try answer(second) == "valid")
        #expect(try answer(first) == "invalid rights")
        let released = try stack.request("/release", method: "POST", body: Data(second.utf8))
        #expect(released.status == 200 && released.body == "released\n")
        #expect(try answer(first) == "valid")
        let again = try stack.request("/release", method: "POST", body: Data(second.utf8))
        #expect(again.body == "released\n")
    }

    @Test("50 concurrent first checks on users=5, 20 times: exactly 5 valid, and SQL agrees")
    func concurrentAdmission() throws {
        for round in 0..<20 {
            let id = uniqueID("C\(round)")
            let key = try issue(["id=" + id, "users=5"])
            let codes = try (0..<50).map { try code(key, user: "concurrent-user-\($0)") }
            let answers = CollectedAnswers()
            DispatchQueue.concurrentPerform(iterations: 50) { index in
                let body = (try? stack.request("/check?code=" + codes[index]).body) ?? "error"
                answers.append(body.trimmingCharacters(in: .newlines))
            }
            let all = answers.values
            #expect(all.filter { $0 == "valid" }.count == 5, "round \(round): \(all)")
            #expect(all.filter { $0 == "invalid users" }.count == 45, "round \(round): \(Set(all))")
            #expect(try stack.sql("SELECT count(DISTINCT user_hash) FROM seats WHERE license_id = '\(id)'") == "5")
        }
    }

    @Test("an admission commits synchronously on a connection that commits asynchronously; a huge limit is no limit")
    func admissionIsDurable() throws {
        let id = uniqueID("D")
        let key = try issue(["id=" + id, "users=9223372036854775807"])
        #expect(try answer(try code(key, user: "durable-user-1")) == "valid")
        // The pool's connections commit asynchronously; take_seat turns synchronous commit on
        // for an admission's transaction, which SHOW sees at the end of that same transaction; a
        // refresh leaves it off.
        func takeSeat() throws -> [String] {
            try stack.sql("""
                SET synchronous_commit = off;
                SELECT outcome FROM take_seat('default', 'default', 'X-META-X', '\(id)', '0123456789abcdef', '{base}',
                                              '{9223372036854775807}', '{NULL}', '{NULL}', '\\x01', '\\x01', '\\x01', 1, false, NULL, '{NULL}', '{NULL}');
                SHOW synchronous_commit;
                """).split(separator: "\n").map(String.init)
        }
        #expect(try takeSeat() == ["admitted", "on"])
        #expect(try takeSeat() == ["refreshed", "off"])
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "2")
    }

    @Test("realms: a key of realm b is unknown-issuer at realm default's domain and valid at its own")
    func realms() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"], realm: "b")
        let realmCode = try code(key, domain: "b.localhost")
        #expect(try answer(realmCode, host: "b.localhost") == "valid")
        #expect(try answer(realmCode, host: "localhost") == "invalid bad-signature")
        let named = try code(try issue(["issuer=partner"], realm: "b"), domain: "b.localhost")
        #expect(try answer(named, host: "localhost") == "invalid unknown-issuer")
        let unknownName = try stack.request("/check?code=" + realmCode, headers: ["Host: unknown.localhost"])
        #expect(unknownName.status == 421)
    }

    @Test("a domain whose realm has no issuers folder: unknown-issuer, and the pool says why in its log, once")
    func realmWithoutIssuers() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        for _ in 0..<3 {
            #expect(try answer(try code(key, domain: "c.localhost"), host: "c.localhost") == "invalid unknown-issuer")
        }
        let log = try String(contentsOfFile: stack.directory + "/log/license-server.log", encoding: .utf8)
        #expect(log.components(separatedBy: "realm that has no issuers folder").count - 1 == 1)
        #expect(log.contains("realm=nowhere"))
    }

    @Test("a license row deleted under the running pool is registered again at the next admission")
    func vanishedLicense() throws {
        let id = uniqueID("V")
        let key = try issue(["id=" + id, "users=5"])
        #expect(try answer(try code(key, user: "vanish-user-1")) == "valid")
        #expect(try stack.sql("DELETE FROM licenses WHERE license_id = '\(id)'; SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "0")
        #expect(try answer(try code(key, user: "vanish-user-2")) == "valid")
        #expect(try stack.sql("SELECT count(*) FROM licenses WHERE license_id = '\(id)'") == "1")
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "1")
    }

    @Test("bad input is 400 or 413 with one line, never 500; the pool answers normally afterwards")
    func badInput() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        func base64(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }
        let bad: [String] = [
            "not*base64", base64(key), base64(key + "\n7.1"), base64(key + "\n7.x\nuser-0001\nlocalhost"),
            base64(key + "\n7\nshort\nlocalhost"), base64(key + "\n7\nuser-0001\nexa mple"),
            base64(key + "\n7\nuser-0001\nlocalhost\nfoo=1"), base64(key + "\n7\nuser-0001\nlocal\u{0}host"),
            Base64URL.encode(Array(key.utf8) + Array("\n7\nuser-0001\n".utf8) + [0xFF, 0xFE]),
            base64(key + "\n7\n' OR 1=1; DROP TABLE seats; --\nlocalhost"),
            base64(key + "\n7\nuser-0001\nlocalhost\noptions=\"; DROP TABLE seats;--"),
            Base64URL.encode([UInt8](repeating: 0x41, count: 4097)),
        ]
        for code in bad {
            let response = try check(code)
            #expect(response.status == 400, "\(code.prefix(40)): \(response.status) \(response.body)")
            #expect(response.body.split(separator: "\n").count == 1)
        }
        let huge = try stack.request("/check", method: "POST", body: Data(repeating: 0x41, count: 1_000_000))
        #expect(huge.status == 413)
        let binary = try stack.request("/check", method: "POST", body: Data((0..<4000).map { UInt8($0 % 256) }))
        #expect(binary.status == 400)
        let quotedKey = try code(key.replacingOccurrences(of: "users=5", with: "licensee=\"'; DROP TABLE seats; --\" users=5"))
        #expect(try answer(quotedKey) == "invalid bad-signature")
        #expect(try stack.sql("SELECT count(*) >= 0 FROM seats") == "t")
        #expect(try answer(try code(key)) == "valid")
    }

    @Test("unknown paths 404, wrong methods 405 with Allow, /healthz")
    func routes() throws {
        #expect(try stack.request("/nothing").status == 404)
        #expect(try stack.request("/Check").status == 404)
        let put = try stack.request("/check", method: "PUT", body: Data("x".utf8))
        #expect(put.status == 405 && put.headers["allow"] == "GET, POST")
        let getRelease = try stack.request("/release")
        #expect(getRelease.status == 405 && getRelease.headers["allow"] == "POST")
        let health = try stack.request("/healthz")
        #expect(health.status == 200 && health.body == "ok\n")
        let head = try Command.run("curl", ["-sS", "-I", "--cacert", stack.directory + "/tls/localhost.pem",
                                            "https://localhost:\(stack.httpsPort)/healthz"])
        #expect(head.standardOutput.hasPrefix("HTTP/2 200"), "\(head.standardOutput)")
        let redirect = try Command.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                                "http://localhost:\(stack.httpsPort + 2)/check"])
        #expect(redirect.standardOutput.hasPrefix("301 https://localhost:\(stack.httpsPort)/check"))
    }

    @Test("the database stopped: 503 with Retry-After quickly, /healthz 503; started again: checks succeed, seats kept")
    func databaseOutage() throws {
        let id = uniqueID("D")
        let key = try issue(["id=" + id, "users=1"])
        #expect(try answer(try code(key, user: "outage-user-1")) == "valid")
        let stopped = try stack.stack("pg-stop")
        try #require(stopped.status == 0, "\(stopped.standardError)")
        defer { _ = try? stack.stack("pg-start") }
        for _ in 0..<10 {
            let started = Date()
            let during = try check(try code(key, user: "outage-user-1"))
            #expect(during.status == 503)
            #expect(during.headers["retry-after"] == "5")
            #expect(Date().timeIntervalSince(started) < 5)
        }
        #expect(try stack.request("/healthz").status == 503)
        let restarted = try stack.stack("pg-start")
        try #require(restarted.status == 0, "\(restarted.standardError)")
        // Every worker's connection died with the server; none may answer 503 now.
        for _ in 0..<20 {
            #expect(try answer(try code(key, user: "outage-user-1")) == "valid")
        }
        #expect(try answer(try code(key, user: "outage-user-2")) == "invalid users")
        #expect(try stack.request("/healthz").status == 200)
        let log = try String(contentsOfFile: stack.directory + "/log/license-server.log", encoding: .utf8)
        #expect(log.contains("database unavailable"))
        #expect(!log.contains("outage-user"))
    }

    @Test("privacy: a pg_dump holds none of the raw user, system or instance IDs")
    func privacy() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        #expect(try answer(try code(key, user: "private-user-7731", system: "Eth_de:ad:be:ef:77:31", instance: "private-instance-7731")) == "valid")
        let dump = try Command.run("runuser", ["-u", "postgres", "--", "pg_dump", "-h", stack.directory + "/pg", "-p",
                                               String(stack.pgPort), "license"])
        #expect(dump.status == 0)
        #expect(dump.standardOutput.contains("COPY public.seats"))
        for raw in ["private-user-7731", "de:ad:be:ef:77:31", "private-instance-7731", "concurrent-user-1", "lease-user-1"] {
            #expect(!dump.standardOutput.contains(raw), "\(raw) in the dump")
        }
    }

    @Test("SIGTERM with requests in flight: none is cut off, exit 0 within 10 seconds")
    func gracefulStop() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=100"])
        let codes = try (0..<40).map { try code(key, user: "sigterm-user-\($0)") }
        let pool = try stack.foregroundPool()
        defer { _ = try? stack.stack("pool-start") }
        let answers = CollectedAnswers()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            DispatchQueue.concurrentPerform(iterations: 40) { index in
                let response = try? stack.request("/check?code=" + codes[index])
                answers.append("\(response?.status ?? 0) \(response?.body.trimmingCharacters(in: .newlines) ?? "")")
            }
        }
        usleep(150_000)
        pool.signal(SIGTERM)
        let status = pool.exitStatus(within: 10)
        group.wait()
        #expect(status == 0)
        // A request the pool had accepted is answered; one that came after the pool left finds
        // no socket (502, "connect() failed"). A cut-off one would show in nginx's log as an
        // upstream that closed or reset the connection mid-answer.
        #expect(answers.values.allSatisfy { $0 == "200 valid" || $0.hasPrefix("502") }, "\(answers.values)")
        #expect(answers.values.contains("200 valid"))
        let nginxLog = try String(contentsOfFile: stack.directory + "/log/nginx-error.log", encoding: .utf8)
        #expect(!nginxLog.contains("prematurely closed"))
        #expect(!nginxLog.contains("reset by peer"))
        try stack.stack("pool-start")
        #expect(try answer(try code(key, user: "after-restart")) == "valid")
        // A second pool on the same socket is refused rather than stealing it.
        let second = try Command.run(stack.binaries + "/license-server", [
            "--socket", stack.directory + "/fcgi.sock", "--database", "host=/nonexistent", "--issuers", stack.directory + "/issuers",
            "--secret", stack.directory + "/secret",
        ])
        #expect(second.status != 0 && second.standardError.contains("another process listens on"), "\(second.standardError)")
        #expect(try answer(try code(key, user: "after-second-pool")) == "valid")
    }

    @Test("SIGINT or SIGTERM while idle, with database connections open: exit 0 within 10 seconds", arguments: [SIGINT, SIGTERM])
    func idleStop(signal: Int32) throws {
        let pool = try stack.foregroundPool()
        defer { _ = try? stack.stack("pool-start") }
        // Some workers now hold a database connection, and all wait in FCGX_Accept_r.
        let key = try issue(["id=" + uniqueID("U"), "users=10"])
        for index in 0..<4 { #expect(try answer(try code(key, user: "idle-user-\(index)")) == "valid") }
        let started = Date()
        pool.signal(signal)
        #expect(pool.exitStatus(within: 10) == 0)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(!FileManager.default.fileExists(atPath: stack.directory + "/fcgi.sock"))
    }

    @Test("a database that hangs (a table locked by another session): 503 with Retry-After within 5 seconds, then normal")
    func lockedDatabase() throws {
        let key = try issue(["id=" + uniqueID("L"), "users=5"])
        #expect(try answer(try code(key, user: "locked-user-1")) == "valid")
        // Another session holds the seats table for 8 seconds, as a careless maintenance job would.
        let holder = try BackgroundProcess(
            "runuser", ["-u", "postgres", "--", "psql", "-h", stack.directory + "/pg", "-p", String(stack.pgPort), "-d", "license",
                        "-Xq", "-c", "BEGIN; LOCK TABLE seats IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;"],
            log: stack.directory + "/log/lock-holder.log")
        defer { _ = holder.exitStatus(within: 15) }
        usleep(500_000)
        for user in ["locked-user-1", "locked-user-2"] {
            let started = Date()
            let during = try check(try code(key, user: user))
            #expect(during.status == 503, "\(during.status) \(during.body)")
            #expect(during.headers["retry-after"] == "5")
            #expect(Date().timeIntervalSince(started) < 5)
        }
        #expect(holder.exitStatus(within: 15) == 0)
        #expect(try answer(try code(key, user: "locked-user-1")) == "valid")
        #expect(try answer(try code(key, user: "locked-user-2")) == "valid")
    }
}

/// The stack, started once for the process.
enum ServiceTestsSupport {
    static let stack: ServiceStack? = {
        do {
            return try ServiceStack(realms: ["localhost": "default", "127.0.0.1": "default", "b.localhost": "b", "c.localhost": "nowhere"],
                                    issuerFolders: ["b"], defaultRealmIssuers: ["reseller"], portOffset: 0)
        } catch {
            print("service stack did not start: \(error)")
            return nil
        }
    }()
}

/// Answers collected from concurrent requests.
final class CollectedAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    func append(_ value: String) {
        lock.lock()
        collected.append(value)
        lock.unlock()
    }

    var values: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }
}
