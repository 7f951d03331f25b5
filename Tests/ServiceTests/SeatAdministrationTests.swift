import Foundation
import LicenseCore
import TestSupport
import Testing

/// SPEC §15 through nginx, the pool and PostgreSQL: seats the vendor's staff see and free,
/// overdraft that bills instead of blocking, and rights that linger. Part of the serialized suite.
extension ServiceTests {
    var ownerDatabase: String { "host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=postgres" }

    @Test("seats and free: a full license, its seats by handle (text and JSON), a dead computer's seat freed, the next start admitted")
    func seatsAndFree() throws {
        let id = uniqueID("SEATS")
        let key = try issue(["id=" + id, "users=2", "option=Export", "users=2"])
        #expect(try answer(try code(key, user: "desk-user-1", system: "Eth_52:54:00:00:0f:01", options: ["Export"])) == "valid")
        #expect(try answer(try code(key, user: "laptop-user-2", system: "Eth_52:54:00:00:0f:02")) == "valid")
        #expect(try answer(try code(key, user: "new-user-3")) == "invalid users")
        let listed = try stack.licensectl(["seats", "--database", ownerDatabase, id])
        #expect(listed.status == 0 && listed.standardOutput.contains("2 seat(s) in use"), "\(listed.standardOutput) \(listed.standardError)")
        let json = try stack.licensectl(["seats", "--database", ownerDatabase, "--realm", "default", "--json", id])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        #expect(entries.count == 3)
        #expect(entries.allSatisfy { Set($0.keys) == ["scope", "seat", "computer", "rights", "first_seen", "last_seen", "borrowed_until", "overdraft"] })
        #expect(entries.allSatisfy { ($0["seat"] as? String)?.count == 12 && ($0["computer"] as? String)?.count == 12 && $0["borrowed_until"] is NSNull })
        #expect(entries.allSatisfy { ($0["last_seen"] as? String).flatMap(UTCTimestamp.init) != nil && $0["overdraft"] as? Bool == false })
        // The desk computer's one seat has one handle in both scopes; no raw ID appears anywhere.
        let desk = entries.filter { $0["scope"] as? String == "Export" }.first?["seat"] as? String
        #expect(entries.filter { $0["seat"] as? String == desk }.count == 2)
        #expect(!json.standardOutput.contains("desk-user-1") && !json.standardOutput.contains("Eth_"))
        // The same seat shows the same handle in the next listing.
        let again = try stack.licensectl(["seats", "--database", ownerDatabase, "--json", id])
        #expect(again.standardOutput.contains(try #require(desk)))
        // Bad input frees nothing.
        let other = uniqueID("SEATS")
        #expect(try answer(try code(try issue(["id=" + other, "users=2"]), user: "other-user-1")) == "valid")
        let othersHandle = try stack.sql("SELECT seat FROM report_active_seats WHERE license_id = '\(other)'")
        for (arguments, message) in [([id, othersHandle], "no seat of"), ([id, "0123456789ab"], "no seat of"),
                                     ([id, "not-a-handle"], "is not a seat handle"), ([id, "--older-than", "soon"], "--older-than must be"),
                                     ([id], "give either seat handles or --older-than"), ([id, try #require(desk), "--older-than", "1d"], "give either")] {
            let refused = try stack.licensectl(["free", "--database", ownerDatabase] + arguments)
            #expect(refused.status == 2 && refused.standardError.contains(message), "\(arguments): \(refused.standardError)")
        }
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "3")
        // The desk computer died: its seat is freed in every scope at once, and the new user is admitted.
        let freed = try stack.licensectl(["free", "--database", ownerDatabase, id, try #require(desk)])
        #expect(freed.status == 0 && freed.standardOutput == "freed 1 seat(s) of \(id)\n", "\(freed.standardError)")
        #expect(try answer(try code(key, user: "new-user-3")) == "valid")
        // The freed seat's next check is an admission: the license is full again.
        #expect(try answer(try code(key, user: "desk-user-1", system: "Eth_52:54:00:00:0f:01")) == "invalid users")
        // By age: the laptop was last seen two days ago.
        _ = try stack.sql("UPDATE seats SET last_seen = now() - interval '2 days' WHERE license_id = '\(id)' AND first_seen = (SELECT min(first_seen) FROM seats WHERE license_id = '\(id)')")
        let old = try stack.licensectl(["free", "--database", ownerDatabase, "--older-than", "1d", id])
        #expect(old.status == 0 && old.standardOutput == "freed 1 seat(s) of \(id)\n", "\(old.standardOutput)")
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "1")
        // The console lists the seats the same way, read-only.
        let page = try consolePage("/console/license/default/" + id)
        let remaining = try stack.sql("SELECT seat FROM report_active_seats WHERE license_id = '\(id)'")
        #expect(page.body.contains("data-seat=\"\(remaining)\"") && page.body.contains("licensectl free"), "\(page.body)")
    }

    @Test("free while the seat is being refreshed: it ends up freed or refreshed, never counted twice")
    func freeWhileRefreshing() throws {
        let id = uniqueID("FREERACE")
        let key = try issue(["id=" + id, "users=1"])
        let start = try code(key, user: "racing-user-1")
        #expect(try answer(start) == "valid")
        let handle = try stack.sql("SELECT seat FROM report_active_seats WHERE license_id = '\(id)'")
        let answers = CollectedAnswers()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                for _ in 0..<25 { answers.append(((try? self.check(start).body) ?? "error").trimmingCharacters(in: .newlines)) }
            }
        }
        var freedTotal = 0
        for _ in 0..<5 {
            let freed = try stack.licensectl(["free", "--database", ownerDatabase, id, handle])
            // Freed (1), or a moment between its free and its readmission when no seat had the handle (exit 2, nothing freed).
            if freed.status == 0 { freedTotal += 1 } else { #expect(freed.standardError.contains("no seat of")) }
        }
        group.wait()
        #expect(freedTotal >= 1)
        #expect(answers.values.allSatisfy { $0 == "valid" }, "\(Set(answers.values))")
        let rows = try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'")
        #expect(rows == "0" || rows == "1")
        #expect(try stack.sql("SELECT users_active FROM report_usage_now WHERE license_id = '\(id)'") == rows)
        // users=1 holds exactly: another user is admitted only if the racing seat is gone.
        let other = try answer(try code(key, user: "racing-user-2"))
        #expect(other == (rows == "0" ? "valid" : "invalid users"))
    }

    @Test("overdraft: 30 concurrent starts on users=3 overdraft=2 admit exactly 5, two marked; JSON, metric and report_overdraft say so")
    func overdraftUnderConcurrency() throws {
        let id = uniqueID("OVER")
        let key = try issue(["id=" + id, "users=3", "overdraft=2"])
        let before = try scrapeMetrics().samples["license_overdraft_admissions_total{realm=\"default\"}"] ?? 0
        let codes = try (0..<30).map { try code(key, user: "overdraft-user-\($0)") }
        let answers = CollectedAnswers()
        DispatchQueue.concurrentPerform(iterations: codes.count) { index in
            answers.append(((try? check(codes[index]).body) ?? "error").trimmingCharacters(in: .newlines))
        }
        #expect(answers.values.filter { $0 == "valid" }.count == 5, "\(answers.values)")
        #expect(answers.values.filter { $0 == "invalid users" }.count == 25)
        #expect(try stack.sql("SELECT count(*) FILTER (WHERE overdraft) || ' of ' || count(*) FROM seats WHERE license_id = '\(id)'") == "2 of 5")
        let after = try scrapeMetrics().samples["license_overdraft_admissions_total{realm=\"default\"}"] ?? 0
        #expect(after - before == 2)
        // A seat admitted past the limit says so in JSON; one within it does not.
        let marked = try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)' AND overdraft")
        #expect(marked == "2")
        var overdraftAnswers: [Bool] = []
        for index in 0..<30 {
            let response = try check(codes[index], json: true)
            guard let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
                  object["result"] as? String == "valid", let scope = (object["scopes"] as? [[String: Any]])?.first else { continue }
            overdraftAnswers.append(scope["overdraft"] as? Bool ?? false)
        }
        #expect(overdraftAnswers.sorted { !$0 && $1 } == [false, false, false, true, true])
        // The bill: after a roll-up, the peak past the limit; half an hour later, an hour of two seats is... one seat-hour per half hour.
        try flushUsage()
        #expect(try stack.sql("SELECT limit_kind || ' ' || peak_over FROM report_overdraft WHERE license_id = '\(id)'") == "users 2")
        _ = try stack.sql("UPDATE overdraft_now SET sampled_at = sampled_at - interval '30 minutes' WHERE license_id = '\(id)'")
        #expect(try answer(codes[0]) != "")
        try flushUsage()
        #expect(try stack.sql("SELECT seat_hours_over FROM report_overdraft WHERE license_id = '\(id)'") == "1.00")
        // The console marks the license as in overdraft.
        let page = try consolePage("/console/license/default/" + id)
        #expect(page.body.contains("166.7 % · overdraft"), "\(page.body)")
    }

    @Test("linger: a released or lapsed right keeps counting for the linger; the same instance takes it back without admission")
    func linger() throws {
        let id = uniqueID("LINGER")
        let key = try issue(["id=" + id, "rights=1", "linger=1h"])
        func start(_ instance: String) throws -> String { try answer(try code(key, user: "linger-user-1", instance: instance)) }
        #expect(try start("run-instance-1") == "valid")
        let released = try stack.request("/release", method: "POST", body: Data(try code(key, user: "linger-user-1", instance: "run-instance-1").utf8))
        #expect(released.body == "released\n")
        // Released, its right lingers: another run is refused; the same instance takes it back.
        #expect(try start("run-instance-2") == "invalid rights")
        #expect(try stack.sql("SELECT rights_active FROM report_usage_now WHERE license_id = '\(id)'") == "1")
        #expect(try start("run-instance-1") == "valid")
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)' AND released_at IS NOT NULL") == "0")
        // Lapsed (no heartbeat past the tests' 6 s instance lease), it lingers too.
        _ = try stack.sql("UPDATE seats SET last_seen = now() - interval '10 minutes' WHERE license_id = '\(id)'")
        #expect(try start("run-instance-2") == "invalid rights")
        // Once the linger is over, the right is free.
        _ = try stack.sql("UPDATE seats SET last_seen = now() - interval '2 hours' WHERE license_id = '\(id)'")
        #expect(try start("run-instance-2") == "valid")
        _ = try stack.request("/release", method: "POST", body: Data(try code(key, user: "linger-user-1", instance: "run-instance-2").utf8))
        _ = try stack.sql("UPDATE seats SET released_at = now() - interval '61 minutes' WHERE license_id = '\(id)' AND released_at IS NOT NULL")
        #expect(try start("run-instance-3") == "valid")
        // Without linger=, a release frees the right at once, as before.
        let plain = try issue(["id=" + uniqueID("LINGER"), "rights=1"])
        #expect(try answer(try code(plain, user: "linger-user-1", instance: "plain-instance-1")) == "valid")
        _ = try stack.request("/release", method: "POST", body: Data(try code(plain, user: "linger-user-1", instance: "plain-instance-1").utf8))
        #expect(try answer(try code(plain, user: "linger-user-1", instance: "plain-instance-2")) == "valid")
    }
}
