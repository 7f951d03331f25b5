import CTestSupport
import Foundation
import LicenseCore
import Postgres
import TestSupport
import Testing

/// What a key allows and no more (issue 12): seats that cannot be multiplied, licenses that
/// other issuers and products cannot fill, keys that can be retired, and input that never
/// reaches PostgreSQL as an error. An extension of the service's suite: serialized, one stack.
extension ServiceTests {
    var database: String { "host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=postgres" }

    /// A key signed by the default realm's issuer `issuer` (its key file in the issuers folder).
    func issue(_ fields: [String], issuer: String, product: String = "X-META-X") throws -> String {
        let result = try stack.licensectl(["issue", "--signing-key", stack.directory + "/issuers/\(issuer).key", "--", product]
                                          + fields + (issuer == "default" ? [] : ["issuer=" + issuer]))
        try #require(result.status == 0, "\(result.standardError)")
        return result.standardOutput.trimmingCharacters(in: .newlines)
    }

    /// The JSON answer's object.
    func jsonAnswer(_ code: String) throws -> [String: Any] {
        let response = try check(code, json: true)
        #expect(response.status == 200, "\(response.status) \(response.body)")
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
    }

    func inUse(_ object: [String: Any], scope: Int = 0) -> [String: Int] {
        ((object["scopes"] as? [[String: Any]])?[scope]["in_use"] as? [String: Int]) ?? [:]
    }

    /// The code of raw startup-code text, as a client that builds it by hand would send it.
    func rawCode(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }

    @Test("hosts=1: a known user coming back from another computer is a new seat for hosts, and is refused")
    func knownUserOnAnotherComputer() throws {
        let key = try issue(["id=" + uniqueID("H"), "users=5", "hosts=1"])
        #expect(try answer(try code(key, user: "host-user-a", system: "Eth_1")) == "valid")
        #expect(try answer(try code(key, user: "host-user-b", system: "Eth_1")) == "valid")
        #expect(try answer(try code(key, user: "host-user-b", system: "Eth_2")) == "invalid hosts")
        // The refused start changed nothing: still one computer, and the seat on it is refreshed.
        #expect(try answer(try code(key, user: "host-user-b", system: "Eth_1")) == "valid")
        #expect(inUse(try jsonAnswer(try code(key, user: "host-user-a", system: "Eth_1")))["hosts"] == 1)
    }

    @Test("one user ID copied to 21 computers runs on one of them under users=1 hosts=1 rights=1")
    func copiedUserID() throws {
        let id = uniqueID("CU")
        let key = try issue(["id=" + id, "users=1", "hosts=1", "rights=1"])
        let answers = try (1...21).map { try answer(try code(key, user: "copied-user-1", system: "Eth_\($0)")) }
        #expect(answers.first == "valid")
        #expect(answers.dropFirst().allSatisfy { $0 == "invalid hosts" }, "\(answers)")
        #expect(try stack.sql("SELECT count(DISTINCT computer_hash) FROM seats WHERE license_id = '\(id)'") == "1")
        // The first computer keeps running on its seat.
        #expect(try answer(try code(key, user: "copied-user-1", system: "Eth_1")) == "valid")
    }

    @Test("one id from two issuers and for two products is three licenses, each with its own seats")
    func identityIsIssuerProductAndID() throws {
        let id = uniqueID("I")
        let vendor = try issue(["id=" + id, "users=1"])
        let partner = try issue(["id=" + id, "users=1000"], issuer: "reseller")
        let otherProduct = try issue(["id=" + id, "users=1000"], product: "X-LITE")
        #expect(try answer(try code(vendor, user: "ident-user-1")) == "valid")
        for index in 2...6 {
            #expect(try answer(try code(partner, user: "ident-user-\(index)")) == "valid")
            #expect(try answer(try code(otherProduct, user: "ident-user-\(index)")) == "valid")
        }
        // The vendor's license is still full with its one user.
        #expect(try answer(try code(vendor, user: "ident-user-2")) == "invalid users")
        #expect(try stack.sql("""
            SELECT string_agg(issuer || ' ' || product || ' ' || users_active, ', ' ORDER BY issuer, product)
            FROM report_usage_now WHERE license_id = '\(id)'
            """) == "default X-LITE 5, default X-META-X 1, reseller X-META-X 5")
        // Revoking the id revokes every license of it, whatever its issuer or product.
        #expect(try stack.licensectl(["revoke", "--database", database, id]).status == 0)
        for key in [vendor, partner, otherProduct] {
            #expect(try answer(try code(key, user: "ident-user-1")) == "invalid revoked")
        }
    }

    @Test("the product= line: valid for its own product, invalid product for another, after expired and before version")
    func productLine() throws {
        let key = try issue(["id=" + uniqueID("PR"), "users=5", "version=+7"])
        #expect(try answer(try StartupCode(keyLine: key, revision: "7.1", userID: "product-user-1", domain: "localhost",
                                           product: "X-META-X").encoded) == "valid")
        #expect(try answer(try StartupCode(keyLine: key, revision: "7.1", userID: "product-user-1", domain: "localhost",
                                           product: "X-LITE").encoded) == "invalid product")
        #expect(try answer(try StartupCode(keyLine: key, revision: "6", userID: "product-user-1", domain: "localhost",
                                           product: "X-LITE").encoded) == "invalid product")
        let expired = try issue(["duration=01Jan2000-31Dec2000"])
        #expect(try answer(try StartupCode(keyLine: expired, revision: "7.1", userID: "product-user-1", domain: "localhost",
                                           product: "X-LITE").encoded) == "invalid expired")
        for line in ["product=X-META-X\nproduct=X-META-X", "product=", "product=X META", "product=*"] {
            let response = try check(rawCode("\(key)\n7.1\nproduct-user-1\nlocalhost\n\(line)"))
            #expect(response.status == 400, "\(line): \(response.status) \(response.body)")
        }
        // licensectl's --product makes the line; the client reports the reason.
        let keyFile = stack.directory + "/product-key.txt"
        try key.write(toFile: keyFile, atomically: true, encoding: .utf8)
        let made = try stack.licensectl(["code", "--key-file", keyFile, "--revision", "7.1", "--user-id", "product-user-2",
                                         "--domain", "localhost", "--product", "X-LITE"])
        #expect(made.status == 0)
        #expect(try StartupCode(decoding: made.standardOutput.trimmingCharacters(in: .newlines)).product == "X-LITE")
        let checked = try stack.licensectl(["check", "--server", "https://localhost:\(stack.httpsPort)", "--key-file", keyFile,
                                            "--revision", "7.1", "--domain", "localhost", "--product", "X-LITE",
                                            "--cacert", stack.directory + "/tls/localhost.pem",
                                            "--user-id-file", stack.directory + "/product-user-id"])
        #expect(checked.status == 1 && checked.standardOutput == "invalid product\n", "\(checked.standardError)")
    }

    @Test("revoke --key-file retires the old key of a re-issued license; the new key keeps working")
    func revokeOneKey() throws {
        let id = uniqueID("K")
        let old = try issue(["id=" + id, "users=10"])
        let new = try issue(["id=" + id, "users=2"])
        #expect(try answer(try code(old, user: "key-user-1")) == "valid")
        #expect(try answer(try code(new, user: "key-user-2")) == "valid")
        let oldFile = stack.directory + "/old-key.txt"
        try ("# the key before the re-issue\n" + old + "\n").write(toFile: oldFile, atomically: true, encoding: .utf8)
        let revoked = try stack.licensectl(["revoke", "--database", database, "--key-file", oldFile])
        #expect(revoked.status == 0, "\(revoked.standardError)")
        #expect(try answer(try code(old, user: "key-user-1")) == "invalid revoked")
        #expect(try answer(try code(old, user: "key-user-3")) == "invalid revoked")
        let release = try stack.request("/release", method: "POST", body: Data(try code(old, user: "key-user-1").utf8))
        #expect(release.body == "invalid revoked\n")
        #expect(try answer(try code(new, user: "key-user-1")) == "valid")
        #expect(try answer(try code(new, user: "key-user-3")) == "invalid users")
        // Exactly one of LICENSE_ID and --key-file.
        #expect(try stack.licensectl(["revoke", "--database", database]).status == 2)
        #expect(try stack.licensectl(["revoke", "--database", database, "--key-file", oldFile, id]).status == 2)
        #expect(try stack.licensectl(["revoke", "--database", database, "--key-file", stack.directory + "/none"]).status == 2)
    }

    @Test("a limit of 2^63-1 checks valid, and the usage history of every license keeps rolling up")
    func hugeLimit() throws {
        let huge = uniqueID("HL"), other = uniqueID("HO")
        let hugeKey = try issue(["id=" + huge, "users=9223372036854775807", "hosts=9223372036854775807",
                                 "rights=9223372036854775807"])
        let otherKey = try issue(["id=" + other, "users=5"])
        #expect(try answer(try code(hugeKey, user: "huge-user-1")) == "valid")
        #expect(try answer(try code(otherKey, user: "huge-user-1")) == "valid")
        let limits = (try jsonAnswer(try code(hugeKey, user: "huge-user-1"))["scopes"] as? [[String: Any]])?.first?["limits"]
        #expect((limits as? [String: Int])?["users"] == Int.max)
        // The pool's stop writes its counts and rolls up the scopes it counted: both licenses.
        try flushUsage()
        let today = "day = (now() AT TIME ZONE 'UTC')::date AND scope = 'base'"
        #expect(try stack.sql("SELECT users FROM usage_days WHERE license_id = '\(other)' AND \(today)") == "1")
        #expect(try stack.sql("SELECT users || ' ' || users_limit FROM usage_days WHERE license_id = '\(huge)' AND \(today)")
                == "1 9223372036854775807")
        _ = try stack.sql("SELECT record_usage()")
        #expect(try stack.sql("SELECT count(*) FROM report_near_limit WHERE license_id = '\(huge)'") == "0")
    }

    @Test("refused keys add no domain or revision; a license adds at most 100 new ones a day")
    func clientsOfRefusedKeys() throws {
        let expired = uniqueID("CE"), revoked = uniqueID("CR"), busy = uniqueID("CB")
        let expiredKey = try issue(["id=" + expired, "duration=01Jan2000-31Dec2000"])
        let revokedKey = try issue(["id=" + revoked])
        #expect(try stack.licensectl(["revoke", "--database", database, revoked]).status == 0)
        for index in 0..<40 {
            let domain = "d\(index).example.com"
            #expect(try answer(try code(expiredKey, revision: "1.\(index)", domain: domain)) == "invalid expired")
            #expect(try answer(try code(revokedKey, revision: "1.\(index)", domain: domain)) == "invalid revoked")
        }
        let busyKey = try issue(["id=" + busy])
        for index in 0..<110 { #expect(try answer(try code(busyKey, revision: "2.\(index)")) == "valid") }
        try flushUsage()
        #expect(try stack.sql("SELECT count(*) FROM license_clients WHERE license_id IN ('\(expired)', '\(revoked)')") == "0")
        #expect(try stack.sql("SELECT count(*) FROM denial_days WHERE license_id IN ('\(expired)', '\(revoked)')") == "2")
        #expect(try stack.sql("SELECT count(*) FROM license_clients WHERE license_id = '\(busy)'") == "100")
        // A known domain and revision is still counted after the bound.
        #expect(try answer(try code(busyKey, revision: "2.0")) == "valid")
        try flushUsage()
        #expect(try stack.sql("SELECT checks FROM license_clients WHERE license_id = '\(busy)' AND revision = '2.0'") == "2")
    }

    @Test("JSON in_use counts stop at 1001 (more than 1000), whatever the active seats of a huge limit")
    func cappedCounts() throws {
        let id = uniqueID("J")
        let key = try issue(["id=" + id, "users=1000000", "hosts=1000000"])
        #expect(try answer(try code(key, user: "json-user-1")) == "valid")
        _ = try stack.sql("""
            INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash)
            SELECT 'default', 'default', 'X-META-X', '\(id)', 'base', sha256(('u' || i)::bytea), sha256(('i' || i)::bytea),
                   sha256(('c' || i)::bytea)
            FROM generate_series(1, 3000) i
            """)
        let answered = try jsonAnswer(try code(key, user: "json-user-1"))
        #expect(answered["result"] as? String == "valid")
        #expect(inUse(answered) == ["rights": 1001, "users": 1001, "hosts": 1001])
        // Admission still counts to the limit itself: 3002 users fit in 1000000.
        #expect(try answer(try code(key, user: "json-user-2")) == "valid")
        let small = try issue(["id=" + uniqueID("J"), "users=5"])
        #expect(inUse(try jsonAnswer(try code(small, user: "json-user-1"))) == ["rights": 1, "users": 1, "hosts": 1])
    }

    @Test("repeated and empty option names are 400 and take no seat")
    func repeatedOptions() throws {
        let id = uniqueID("RO")
        let key = try issue(["id=" + id, "users=5", "option=Export", "users=2"])
        for options in ["Export,Export", "Export,", ",Export", "", "Export,,Export"] {
            let response = try check(rawCode("\(key)\n7.1\noptions-user-1\nlocalhost\noptions=\(options)"))
            #expect(response.status == 400, "\(options): \(response.status) \(response.body)")
            #expect(response.body.split(separator: "\n").count == 1)
        }
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "0")
        let keyFile = stack.directory + "/options-key.txt"
        try key.write(toFile: keyFile, atomically: true, encoding: .utf8)
        let made = try stack.licensectl(["code", "--key-file", keyFile, "--revision", "7.1", "--user-id", "options-user-1",
                                         "--domain", "localhost", "--options", "Export,Export"])
        #expect(made.status == 2 && made.standardError.contains("named twice"), "\(made.standardError)")
        #expect(try answer(try code(key, user: "options-user-1", options: ["Export"])) == "valid")
    }

    @Test("a start with options refreshes its seat in every scope; a scope that lost it admits it again")
    func refreshInEveryScope() throws {
        let id = uniqueID("RS")
        let key = try issue(["id=" + id, "users=5", "option=Export", "users=1"])
        let start = try code(key, user: "scopes-user-1", options: ["Export"])
        #expect(try answer(start) == "valid")
        _ = try stack.sql("UPDATE seats SET last_seen = now() - interval '1 hour' WHERE license_id = '\(id)'")
        #expect(try answer(start) == "valid")
        #expect(try stack.sql("SELECT string_agg(scope || ':' || (last_seen > now() - interval '1 minute'), ',' ORDER BY scope COLLATE \"C\") FROM seats WHERE license_id = '\(id)'")
                == "Export:true,base:true")
        _ = try stack.sql("DELETE FROM seats WHERE license_id = '\(id)' AND scope = 'Export'")
        #expect(try answer(start) == "valid")
        #expect(try stack.sql("SELECT string_agg(scope, ',' ORDER BY scope COLLATE \"C\") FROM seats WHERE license_id = '\(id)'")
                == "Export,base")
        #expect(try answer(try code(key, user: "scopes-user-2", options: ["Export"])) == "invalid users")
    }

    @Test("a fault (no privilege on seats) answers 503 and is logged as a fault with its SQLSTATE")
    func databaseFault() throws {
        let key = try issue(["id=" + uniqueID("DF"), "users=5"])
        let start = try code(key, user: "fault-user-1")
        #expect(try answer(start) == "valid")
        _ = try stack.sql("REVOKE UPDATE ON seats FROM license_pool")
        defer { _ = try? stack.sql("GRANT UPDATE ON seats TO license_pool") }
        let refused = try check(start)
        #expect(refused.status == 503 && refused.headers["retry-after"] == "5", "\(refused.status) \(refused.body)")
        _ = try stack.sql("GRANT UPDATE ON seats TO license_pool")
        #expect(try answer(start) == "valid")
        let log = try String(contentsOfFile: stack.directory + "/log/license-server.log", encoding: .utf8)
        let faults = log.split(separator: "\n").filter { $0.contains("database fault") }
        #expect(faults.contains { $0.contains("sqlstate=42501") }, "\(faults)")
        #expect(!log.split(separator: "\n").contains { $0.contains("database unavailable") && $0.contains("42501") })
    }

    @Test("a result without the column asked for, a NULL where a value must be, or another type throws a fault; nothing traps")
    func missingColumn() throws {
        let connection = try PostgresConnection(conninfo: database)
        let row = try connection.execute("SELECT 1 AS present, NULL::text AS absent_value, 'x' AS word").single()
        #expect(try row.integer("present") == 1)
        #expect(try row.optionalString("absent_value") == nil)
        let reads: [(String, () throws(PostgresError) -> Void)] = [
            ("a missing column", { () throws(PostgresError) in _ = try row.string("absent") }),
            ("a NULL", { () throws(PostgresError) in _ = try row.string("absent_value") }),
            ("text as an integer", { () throws(PostgresError) in _ = try row.integer("word") }),
            ("an integer as a boolean", { () throws(PostgresError) in _ = try row.boolean("present") }),
        ]
        for (what, read) in reads {
            do throws(PostgresError) {
                try read()
                Issue.record("\(what) was read without an error")
            } catch {
                #expect(error.kind == .fault, "\(what)")
            }
        }
        #expect(throws: PostgresError.self) { try connection.execute("SELECT 1 AS one UNION ALL SELECT 2").single() }
    }

    @Test("typed values go to PostgreSQL and back as they are: text, integers, booleans, bytes, arrays, NULL")
    func typedValues() throws {
        let connection = try PostgresConnection(conninfo: database)
        let awkward = ["a,b", "{brace}", "quote\"d", "back\\slash", "NULL", "", "ünï"]
        let row = try connection.execute("""
            SELECT $1::text = 'plain' AS text_ok, $2::bigint + 1 AS next, NOT $3::boolean AS negated, length($4::bytea) AS bytes,
                   encode($4::bytea, 'hex') AS hex, $5::text[] = ARRAY['a,b', '{brace}', 'quote"d', 'back\\slash', 'NULL', '', 'ünï']
                   AS array_ok, array_length($5::text[], 1) AS elements, $6::bigint[] AS numbers, $7::text IS NULL AS is_null
            """, [.text("plain"), .integer(Int64.max - 1), .boolean(false), .bytes([0, 1, 0xFE, 0xFF]), .textArray(awkward),
                  .integerArray([1, nil, -3]), .null]).single()
        #expect(try row.boolean("text_ok"))
        #expect(try row.integer("next") == Int64.max)
        #expect(try row.boolean("negated"))
        #expect(try row.integer("bytes") == 4 && row.string("hex") == "0001feff")
        #expect(try row.boolean("array_ok") && row.integer("elements") == Int64(awkward.count))
        #expect(try row.string("numbers") == "{1,NULL,-3}")
        #expect(try row.boolean("is_null"))
        // text[] read back as PostgreSQL writes it (take_seat's overdraft_scopes): quoting, escapes, empty; a NULL element is a fault.
        let arrays = try connection.execute("SELECT $1::text[] AS awkward, '{}'::text[] AS empty, '{base,Export}'::text[] AS plain, "
                                            + "ARRAY['a', NULL] AS with_null, NULL::text[] AS absent", [.textArray(awkward)]).single()
        #expect(try arrays.textArray("awkward") == awkward)
        #expect(try arrays.textArray("empty") == [] && arrays.textArray("plain") == ["base", "Export"] && arrays.textArray("absent") == [])
        #expect(throws: PostgresError.self) { try arrays.textArray("with_null") }
        #expect(throws: PostgresError.self) { try row.textArray("text_ok") }
    }

    @Test("SQLSTATEs are classified once: unavailable, timed out, or a fault")
    func errorKinds() {
        func kind(_ code: String?) -> PostgresError.Kind {
            PostgresError(code: code.map(PostgresError.Code.init(rawValue:)), message: "").kind
        }
        #expect(kind(nil) == .unavailable)
        for code in ["08006", "08001", "57P01", "57P02", "57P03", "53300", "53100", "25006"] { #expect(kind(code) == .unavailable, "\(code)") }
        for code in ["57014", "55P03"] { #expect(kind(code) == .timedOut, "\(code)") }
        for code in ["42501", "42P01", "42703", "23505", "25001", "40001", "XX000", "22003"] { #expect(kind(code) == .fault, "\(code)") }
    }

    @Test("a connection that lands on a server refusing writes (25006) is dropped, never used again: 503 while so, valid after")
    func readOnlyServer() throws {
        let key = try issue(["id=" + uniqueID("RO"), "users=50"])
        let codes = try (0..<20).map { try code(key, user: "read-only-user-\($0)") }
        #expect(try answer(codes[0]) == "valid")
        // What a standby (or a demoted primary) does to every new session of the pool.
        _ = try stack.sql("ALTER ROLE license_server SET default_transaction_read_only = on")
        defer { _ = try? stack.sql("ALTER ROLE license_server RESET default_transaction_read_only") }
        _ = try stack.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'license_server'")
        // Every worker meets it (more checks than workers), each answering 503.
        let during = try codes.map { try check($0) }
        #expect(during.allSatisfy { $0.status == 503 && $0.headers["retry-after"] != nil }, "\(during.map(\.status))")
        let log = try String(contentsOfFile: stack.directory + "/log/license-server.log", encoding: .utf8)
        #expect(log.contains("25006"), "the log names the SQLSTATE")
        _ = try stack.sql("ALTER ROLE license_server RESET default_transaction_read_only")
        // No worker kept its read-only session: every check is valid at once, no pool restarted.
        let after = try codes.map { try answer($0) }
        #expect(after.allSatisfy { $0 == "valid" }, "\(after)")
    }

    @Test("a worker whose accept fails (out of descriptors) logs it, backs off and serves again")
    func acceptFailure() throws {
        let pool = try stack.foregroundPool()
        defer { _ = try? stack.stack("pool-start") }
        let key = try issue(["id=" + uniqueID("U"), "users=100"])
        for index in 0..<8 { #expect(try answer(try code(key, user: "accept-user-\(index)")) == "valid") }
        // Lower the pool's descriptor limit to its lowest free descriptor: every accept now fails (EMFILE).
        let open = Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pool.pid)/fd").compactMap { Int($0) })
        let lowestFree = (0...).first { !open.contains($0) } ?? 0
        let lowered = try Command.run("prlimit", ["--pid", String(pool.pid), "--nofile=\(lowestFree):"])
        try #require(lowered.status == 0, "\(lowered.standardError)")
        let answers = CollectedAnswers()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let response = try? stack.request("/check?code=" + ((try? code(key, user: "accept-user-late")) ?? ""))
            answers.append("\(response?.status ?? 0) \(response?.body ?? "")")
        }
        let logFile = stack.directory + "/log/license-server.log"
        var failures = 0
        for _ in 0..<50 where failures < 3 {
            usleep(100_000)
            failures = (try String(contentsOfFile: logFile, encoding: .utf8)).components(separatedBy: "accept failed").count - 1
        }
        #expect(failures >= 3)
        let raised = try Command.run("prlimit", ["--pid", String(pool.pid), "--nofile=1024:"])
        try #require(raised.status == 0, "\(raised.standardError)")
        group.wait()
        #expect(answers.values == ["200 valid\n"])
        // Every worker is still there: as many concurrent checks as workers all answer.
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            answers.append((try? stack.request("/check?code=" + ((try? code(key, user: "accept-user-\(index)")) ?? "")).body) ?? "")
        }
        #expect(answers.values.filter { $0 == "valid\n" }.count == 8)
        let log = try String(contentsOfFile: logFile, encoding: .utf8)
        #expect(log.contains("Too many open files"))
        pool.signal(SIGTERM)
        #expect(pool.exitStatus(within: 10) == 0)
    }

    @Test("a listening socket that breaks under the pool: it says so and exits non-zero, for a supervisor to restart it")
    func listenerLost() throws {
        let pool = try stack.foregroundPool()
        defer { _ = try? stack.stack("pool-start") }
        let key = try issue(["id=" + uniqueID("U"), "users=100"])
        #expect(try answer(try code(key, user: "listener-user-1")) == "valid")
        // The listening socket: its inode in /proc/net/unix (flag __SO_ACCEPTCON), then the pool's descriptor of it.
        let socketPath = stack.directory + "/fcgi.sock"
        let inode = try #require(try String(contentsOfFile: "/proc/net/unix", encoding: .utf8).split(separator: "\n").compactMap {
            let columns = $0.split(separator: " ")
            return columns.count >= 8 && columns[7] == socketPath && columns[3] == "00010000" ? String(columns[6]) : nil
        }.first)
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pool.pid)/fd").compactMap { Int32($0) }
        let listener = try #require(descriptors.first {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pool.pid)/fd/\($0)")) == "socket:[\(inode)]"
        })
        #expect(test_support_shutdown_socket_of(pool.pid, listener) == 0)
        #expect(pool.exitStatus(within: 10) == 1)
        let log = try String(contentsOfFile: stack.directory + "/log/license-server.log", encoding: .utf8)
        #expect(log.contains("the listening socket is gone"))
    }

    @Test("rights count running instances (SPEC §8): a right lapses with the instance lease, the user still counts; heartbeats keep it")
    func instanceLease() throws {
        _ = try stack.sql("SELECT set_leases('24 hours', '2 seconds')")
        defer { _ = try? stack.sql("SELECT set_leases('24 hours', '6 seconds')") }
        let key = try issue(["id=" + uniqueID("IL"), "users=2", "rights=1"])
        #expect(try answer(try code(key, user: "instance-user-a", instance: "instance-a")) == "valid")
        #expect(try answer(try code(key, user: "instance-user-b", instance: "instance-b")) == "invalid rights")
        // A crashed: not checked for more than one instance lease.
        usleep(3_000_000)
        #expect(try answer(try code(key, user: "instance-user-b", instance: "instance-b")) == "valid")
        // A's user still counts for users (its seat lease is 24 h): a third user finds no room.
        #expect(try answer(try code(key, user: "instance-user-c", instance: "instance-c")) == "invalid users")
        let usage = try stack.sql("""
            SELECT users_active, rights_active FROM report_usage_now WHERE license_id = '\(key.components(separatedBy: "id=")[1].components(separatedBy: " ")[0])'
            """)
        #expect(usage == "2|1", "\(usage)")
        // A comes back: its right is gone, B holds the only one.
        #expect(try answer(try code(key, user: "instance-user-a", instance: "instance-a")) == "invalid rights")

        // Heartbeats (a check every second) keep B's right through three instance leases.
        for _ in 0..<6 {
            #expect(try answer(try code(key, user: "instance-user-b", instance: "instance-b")) == "valid")
            #expect(try answer(try code(key, user: "instance-user-a", instance: "instance-a")) == "invalid rights")
            usleep(1_000_000)
        }
    }

    @Test("the leases live in the database: the pool role cannot write them, set_leases refuses what is out of range")
    func leaseInOnePlace() throws {
        #expect(try stack.sql("SELECT seat_lease, instance_lease FROM leases") == "24:00:00|00:00:06")
        for forbidden in ["UPDATE leases SET seat_lease = '1 hour'", "INSERT INTO leases VALUES (false, '1 hour')",
                          "SELECT set_leases('-1 hour', '1 second')", "SELECT set_leases('0', '0')",
                          "SELECT set_leases('10000 days', '1 hour')", "SELECT set_leases('1 hour', '2 hours')"] {
            #expect(throws: StackError.self, "\(forbidden)") { try stack.sql("SET ROLE license_pool; " + forbidden) }
        }
        #expect(try stack.sql("SELECT seat_lease FROM leases") == "24:00:00")
        // Statements read it: with a lease of one second, a seat unchecked for two has lapsed.
        let key = try issue(["id=" + uniqueID("LE"), "users=1"])
        #expect(try answer(try code(key, user: "lease-db-1")) == "valid")
        _ = try stack.sql("SELECT set_leases('1 second', '1 second')")
        defer { _ = try? stack.sql("SELECT set_leases('24 hours', '6 seconds')") }
        usleep(2_000_000)
        #expect(try answer(try code(key, user: "lease-db-2")) == "valid")
        // And again with 24 hours: both seats are active, a third user finds no room.
        _ = try stack.sql("SELECT set_leases('24 hours', '6 seconds')")
        #expect(try answer(try code(key, user: "lease-db-3")) == "invalid users")
    }
}
