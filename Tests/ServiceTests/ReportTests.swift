import Foundation
import LicenseCore
import TestSupport
import Testing

/// The DBA's reports (sql/views, sql/functions/usage.sql) over a scenario of real checks. Checks happen
/// now; the test moves them to simulated days in March 2025 by writing seat timestamps and the
/// days of the rows the pool counted, then rolls each day up with record_usage(at). An
/// extension of the service's suite, so it runs serialized with the tests that share the stack.
extension ServiceTests {
    /// The pool counts in memory and writes each minute; SIGUSR1 has it write now (and roll up
    /// the scopes it counted, as at a stop). Waits for the log line that says it did.
    func flushUsage() throws {
        let logFile = stack.directory + "/log/license-server.log"
        func writes() throws -> Int {
            try String(contentsOfFile: logFile, encoding: .utf8).components(separatedBy: "usage history written").count - 1
        }
        let before = try writes()
        let pidText = try String(contentsOfFile: stack.directory + "/license-server.pid", encoding: .utf8)
        let pid = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        try #require(kill(pid, SIGUSR1) == 0)
        for _ in 0..<200 where try writes() == before { usleep(25_000) }
        try #require(try writes() > before, "the pool did not write its usage counts within 5 seconds")
    }

    /// Moves what the scenario's licenses did in the last ten minutes to `moment` (UTC): seat
    /// timestamps, and the day and month rows the pool counted into; then rolls that day up half
    /// an hour later.
    func moveToSimulatedDay(_ licenses: [String], moment: String) throws {
        let list = licenses.map { "'\($0)'" }.joined(separator: ",")
        let day = String(moment.prefix(10))
        _ = try stack.sql("""
            SET TimeZone = 'UTC';
            UPDATE seats SET last_seen = '\(moment)', first_seen = least(first_seen, '\(moment)')
                WHERE license_id IN (\(list)) AND last_seen > now() - interval '10 minutes';
            UPDATE usage_days SET day = '\(day)' WHERE license_id IN (\(list)) AND day = current_date;
            UPDATE denial_days SET day = '\(day)' WHERE license_id IN (\(list)) AND day = current_date;
            INSERT INTO usage_months AS m (realm, issuer, product, license_id, scope, month, users, hosts, peak_users, peak_hosts,
                                           peak_rights, checks, denials)
                SELECT realm, issuer, product, license_id, scope, date_trunc('month', timestamptz '\(moment)')::date, users, hosts,
                       peak_users, peak_hosts, peak_rights, checks, denials
                FROM usage_months WHERE license_id IN (\(list)) AND month = date_trunc('month', now())::date
                ON CONFLICT (realm, issuer, product, license_id, scope, month) DO UPDATE SET
                    users = greatest(m.users, excluded.users), hosts = greatest(m.hosts, excluded.hosts),
                    peak_users = greatest(m.peak_users, excluded.peak_users), peak_hosts = greatest(m.peak_hosts, excluded.peak_hosts),
                    peak_rights = greatest(m.peak_rights, excluded.peak_rights),
                    checks = m.checks + excluded.checks, denials = m.denials + excluded.denials;
            DELETE FROM usage_months WHERE license_id IN (\(list)) AND month = date_trunc('month', now())::date;
            UPDATE license_clients SET
                first_seen = CASE WHEN first_seen > now() - interval '10 minutes' THEN '\(moment)' ELSE first_seen END,
                last_seen = CASE WHEN last_seen > now() - interval '10 minutes' THEN '\(moment)' ELSE last_seen END
                WHERE license_id IN (\(list));
            SELECT record_usage(timestamptz '\(moment)' + interval '30 minutes');
            """)
    }

    func rows(_ query: String) throws -> [String] {
        try stack.sql(query).split(separator: "\n").map(String.init)
    }

    @Test("reports: a scenario over simulated days, asserted number by number")
    func reportScenario() throws {
        let one = uniqueID("RA"), two = uniqueID("RB"), four = uniqueID("RD")
        let keyOne = try issue(["id=" + one, "licensee=Report One", "users=3", "option=Channel", "users=1"])
        let keyTwo = try issue(["id=" + two, "rights=2"])
        func start(_ key: String, _ user: String, revision: String = "7.1", domain: String = "localhost",
                   instance: String? = nil, options: [String] = []) throws -> String {
            try answer(try code(key, revision: revision, user: user, domain: domain, instance: instance, options: options))
        }

        // 10 March 2025: three users of one (one of them with Channel, a second refused it), one user
        // of two with three instances against rights=2.
        #expect(try start(keyOne, "report-u1", options: ["Channel"]) == "valid")
        #expect(try start(keyOne, "report-u2", options: ["Channel"]) == "invalid users")
        #expect(try start(keyOne, "report-u2") == "valid")
        #expect(try start(keyOne, "report-u3") == "valid")
        #expect(try start(keyTwo, "report-u1", revision: "3.0", instance: "instance-1") == "valid")
        #expect(try start(keyTwo, "report-u1", revision: "3.0", instance: "instance-2") == "valid")
        #expect(try start(keyTwo, "report-u1", revision: "3.0", instance: "instance-3") == "invalid rights")
        try flushUsage()
        try moveToSimulatedDay([one, two], moment: "2025-03-10 12:00:00+00")

        // 11 March: u1 comes back (the day before's seats have lapsed), u4 arrives from another domain
        // with a newer revision; u2 and u3 stay away.
        #expect(try start(keyOne, "report-u1") == "valid")
        #expect(try start(keyOne, "report-u4", revision: "7.2", domain: "b.example.com") == "valid")
        try flushUsage()
        try moveToSimulatedDay([one, two], moment: "2025-03-11 12:00:00+00")

        let byDay = "SELECT scope, day, users, hosts, peak_users, peak_hosts, peak_rights, checks, denials FROM report_usage_by_day"
        #expect(try rows("\(byDay) WHERE license_id = '\(one)' ORDER BY day, scope COLLATE \"C\"") == [
            "Channel|2025-03-10|1|1|1|1|1|2|1",
            "base|2025-03-10|3|3|3|3|3|4|0",
            "base|2025-03-11|2|2|2|2|2|2|0",
        ])
        #expect(try rows("\(byDay) WHERE license_id = '\(two)' ORDER BY day, scope COLLATE \"C\"") == ["base|2025-03-10|1|1|1|1|2|3|1"])
        let byMonth = "SELECT scope, month, users, hosts, peak_users, peak_hosts, peak_rights, checks, denials FROM report_usage_by_month"
        #expect(try rows("\(byMonth) WHERE license_id = '\(one)' ORDER BY scope COLLATE \"C\"") == [
            "Channel|2025-03-01|1|1|1|1|1|2|1",
            "base|2025-03-01|4|4|3|3|3|6|0",
        ])
        #expect(try rows("\(byMonth) WHERE license_id = '\(two)'") == ["base|2025-03-01|1|1|1|1|2|3|1"])
        #expect(try rows("SELECT license_id, product, licensee, day, reason, denials FROM report_denials_by_day WHERE license_id IN ('\(one)', '\(two)') ORDER BY license_id") == [
            "\(one)|X-META-X|Report One|2025-03-10|users|1",
            "\(two)|X-META-X||2025-03-10|rights|1",
        ].sorted())
        #expect(try rows("SET TimeZone = 'UTC'; SELECT domain, revision, first_seen, last_seen, checks FROM report_clients WHERE license_id = '\(one)' ORDER BY domain") == [
            "b.example.com|7.2|2025-03-11 12:00:00+00|2025-03-11 12:00:00+00|1",
            "localhost|7.1|2025-03-10 12:00:00+00|2025-03-11 12:00:00+00|5",
        ])
        #expect(try rows("SELECT domain, revision, checks FROM report_clients WHERE license_id = '\(two)'") == ["localhost|3.0|3"])
        // Their seats are all in 2025: nothing of them is in use now or near a limit.
        #expect(try rows("SELECT scope, users_active, hosts_active, rights_active, percent_used FROM report_usage_now WHERE license_id = '\(one)' ORDER BY scope COLLATE \"C\"") == [
            "Channel|0|0|0|0.0", "base|0|0|0|0.0",
        ])
        #expect(try stack.sql("SELECT count(*) FROM report_near_limit WHERE license_id IN ('\(one)', '\(two)')") == "0")

        // Today: four has users=2, both taken, a third user turned away; a forged key; a license that
        // ends in 10 days with maintenance ending in 5.
        let keyFour = try issue(["id=" + four, "users=2"])
        #expect(try start(keyFour, "report-v1") == "valid")
        #expect(try start(keyFour, "report-v2") == "valid")
        #expect(try start(keyFour, "report-v3") == "invalid users")
        let forgedBefore = try stack.sql("SELECT coalesce(sum(denials), 0) FROM report_denials_by_day WHERE license_id IS NULL AND reason = 'bad-signature' AND day = (now() AT TIME ZONE 'UTC')::date")
        let forged = try issue(["id=" + uniqueID("U"), "users=5"]).replacingOccurrences(of: "users=5", with: "users=6")
        #expect(try start(forged, "report-v4") == "invalid bad-signature")
        let today = LicenseDate(secondsSince1970: Int64(Date().timeIntervalSince1970))
        let ending = LicenseDate(secondsSince1970: Int64(Date().timeIntervalSince1970) + 10 * 86_400)
        let maintenanceEnd = LicenseDate(secondsSince1970: Int64(Date().timeIntervalSince1970) + 5 * 86_400)
        let three = uniqueID("RC")
        let keyThree = try issue(["id=" + three, "duration=\(today.keyText)-\(ending.keyText)", "maintenance=\(today.keyText)-\(maintenanceEnd.keyText)"])
        #expect(try start(keyThree, "report-v5") == "valid")
        try flushUsage()

        #expect(try rows("SELECT scope, users_limit, users_active, hosts_active, rights_active, percent_used FROM report_usage_now WHERE license_id = '\(four)'") == [
            "base|2|2|2|2|100.0",
        ])
        #expect(try rows("SELECT scope, users, hosts, peak_users, peak_rights, checks, denials FROM report_usage_by_day WHERE license_id = '\(four)'") == [
            "base|2|2|2|2|3|1",
        ])
        #expect(try rows("SELECT scope, users_limit, peak_users, turned_away_users, turned_away_hosts, turned_away_rights FROM report_near_limit WHERE license_id = '\(four)'") == [
            "base|2|2|1|0|0",
        ])
        #expect(try rows("SELECT reason, denials FROM report_denials_by_day WHERE license_id = '\(four)'") == ["users|1"])
        let forgedAfter = try stack.sql("SELECT coalesce(sum(denials), 0) FROM report_denials_by_day WHERE license_id IS NULL AND reason = 'bad-signature' AND day = (now() AT TIME ZONE 'UTC')::date")
        #expect(Int(forgedAfter)! - Int(forgedBefore)! == 1)
        #expect(try rows("SELECT license_id, expires_in_days, maintenance_ends_in_days FROM report_expiry WHERE expires_in_days BETWEEN 0 AND 30 AND license_id = '\(three)'") == [
            "\(three)|10|5",
        ])
    }

    @Test("reports: the reporter role runs every report, sees no hash, and can change nothing")
    func reporterRole() throws {
        let views = try rows("SELECT table_name FROM information_schema.views WHERE table_name LIKE 'report\\_%' ORDER BY 1")
        #expect(views == ["report_active_seats", "report_bindings", "report_borrowed_seats", "report_bound_computers", "report_clients", "report_denials_by_day", "report_expiry", "report_leases", "report_licenses",
                          "report_licenses_fullest", "report_near_limit", "report_overdraft", "report_scopes_counted", "report_usage_by_day",
                          "report_usage_by_month", "report_usage_now"])
        for view in views {
            #expect(throws: Never.self, "\(view)") { try stack.sql("SET ROLE license_reporter; SELECT count(*) FROM \(view)") }
        }
        #expect(try stack.sql("""
            SELECT count(*) FROM information_schema.columns
            WHERE table_name LIKE 'report\\_%' AND (data_type = 'bytea' OR column_name LIKE '%hash%' OR column_name LIKE '%key%')
            """) == "0")
        // Every view and column is documented.
        #expect(try stack.sql("SELECT count(*) FROM pg_class WHERE relname LIKE 'report\\_%' AND relkind = 'v' AND obj_description(oid) IS NULL") == "0")
        #expect(try stack.sql("""
            SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname IN ('report_usage_now', 'report_usage_by_day', 'report_usage_by_month') AND a.attnum > 0
              AND a.attname NOT IN ('realm', 'license_id', 'product', 'licensee', 'day', 'month', 'issuer')
              AND col_description(c.oid, a.attnum) IS NULL
            """) == "0")
        for forbidden in ["SELECT user_hash FROM seats", "SELECT * FROM bindings", "SELECT * FROM unbindings", "SELECT key_fields FROM licenses", "SELECT * FROM usage_days", "SELECT * FROM leases",
                          "DELETE FROM report_expiry", "UPDATE report_expiry SET licensee = 'x'", "UPDATE leases SET seat_lease = '1 hour'",
                          "SELECT set_leases('1 hour', '1 minute')",
                          "SELECT record_usage()", "SELECT purge_lapsed_seats(10)", "SELECT purge_history('1 day', 10)"] {
            #expect(throws: StackError.self, "\(forbidden)") { try stack.sql("SET ROLE license_reporter; " + forbidden) }
        }
        // The pool's role reads no report and purges nothing.
        #expect(throws: StackError.self) { try stack.sql("SET ROLE license_pool; SELECT * FROM report_usage_now") }
        #expect(throws: StackError.self) { try stack.sql("SET ROLE license_pool; SELECT purge_lapsed_seats(10)") }
        #expect(throws: StackError.self) { try stack.sql("SET ROLE license_pool; SELECT purge_history('1 day', 10)") }
    }

    @Test("record_usage rolls up only the scopes it is given; a pool's stop rolls up the scopes it counted")
    func rollUpOfTouchedScopes() throws {
        let touched = uniqueID("RT"), untouched = uniqueID("RU")
        let touchedKey = try issue(["id=" + touched, "users=10"]), untouchedKey = try issue(["id=" + untouched, "users=10"])
        #expect(try answer(try code(touchedKey, user: "rollup-1")) == "valid")
        #expect(try answer(try code(untouchedKey, user: "rollup-1")) == "valid")
        try flushUsage()
        func usersToday(_ license: String) throws -> String {
            try stack.sql("SELECT users FROM usage_days WHERE license_id = '\(license)' AND scope = 'base' AND day = (now() AT TIME ZONE 'UTC')::date")
        }
        #expect(try usersToday(touched) == "1" && usersToday(untouched) == "1")
        // A second user in each license, written behind the pool's back: a roll-up of one scope
        // counts it there only; a full one counts both.
        _ = try stack.sql("""
            INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash, first_seen, last_seen)
            SELECT realm, issuer, product, license_id, scope, sha256(user_hash), sha256(instance_hash), sha256(computer_hash),
                   first_seen, last_seen
            FROM seats WHERE license_id IN ('\(touched)', '\(untouched)');
            SELECT record_usage(now(), ARRAY['default'], ARRAY['default'], ARRAY['X-META-X'], ARRAY['\(touched)'], ARRAY['base']);
            """)
        #expect(try usersToday(touched) == "2" && usersToday(untouched) == "1")
        _ = try stack.sql("SELECT record_usage(now())")
        #expect(try usersToday(touched) == "2" && usersToday(untouched) == "2")
        // The pool's stop: a new user of one license is rolled up; a seat written into the other,
        // which the pool did not count a check for, waits for the next full roll-up.
        _ = try stack.sql("""
            INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash, first_seen, last_seen)
            SELECT realm, issuer, product, license_id, scope, sha256(sha256(user_hash)), instance_hash, computer_hash, first_seen,
                   last_seen
            FROM seats WHERE license_id = '\(untouched)' LIMIT 1;
            """)
        #expect(try answer(try code(touchedKey, user: "rollup-3")) == "valid")
        try #require(try stack.stack("pool-stop").status == 0)
        try #require(try stack.stack("pool-start").status == 0)
        #expect(try usersToday(touched) == "3" && usersToday(untouched) == "2")
    }

    @Test("purge: active seats stay, lapsed seats and history past its age go, while the pool serves")
    func purge() throws {
        let id = uniqueID("P")
        let key = try issue(["id=" + id, "users=50"])
        for user in ["purge-old-1", "purge-old-2", "purge-active-1"] { #expect(try answer(try code(key, user: user)) == "valid") }
        try flushUsage()
        // Two users left long ago (March 2025, history included); one is active now.
        _ = try stack.sql("""
            UPDATE seats SET last_seen = '2025-03-10 12:00+00', first_seen = '2025-03-10 12:00+00'
                WHERE license_id = '\(id)' AND last_seen < (SELECT max(last_seen) FROM seats WHERE license_id = '\(id)');
            INSERT INTO usage_days (realm, issuer, product, license_id, scope, day, users, checks)
                VALUES ('default', 'default', 'X-META-X', '\(id)', 'base', '2025-03-10', 2, 2);
            INSERT INTO denial_days (realm, issuer, product, license_id, day, reason, denials)
                VALUES ('default', 'default', 'X-META-X', '\(id)', '2025-03-10', 'users', 1);
            INSERT INTO unbindings (realm, issuer, product, license_id, unbound_at)
                VALUES ('default', 'default', 'X-META-X', '\(id)', '2025-03-10 12:00+00'), ('default', 'default', 'X-META-X', '\(id)', now() - interval '20 days');
            """)
        // The active seat is the one whose user hash the older ones do not share.
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)' AND last_seen > now() - interval '1 hour'") == "1")
        let database = "host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=postgres"
        // Checks go on while purge runs.
        let answers = CollectedAnswers()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            DispatchQueue.concurrentPerform(iterations: 20) { index in
                let response = try? stack.request("/check?code=" + ((try? code(key, user: "purge-busy-\(index)")) ?? ""))
                answers.append(response?.body ?? "")
            }
        }
        let purged = try stack.licensectl(["purge", "--database", database, "--older-than", "400d"])
        group.wait()
        #expect(purged.status == 0, "\(purged.standardError)")
        #expect(purged.standardOutput.hasPrefix("purged "))
        #expect(answers.values.allSatisfy { $0 == "valid\n" }, "\(answers.values)")
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)' AND last_seen < '2026-01-01'") == "0")
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "21")
        #expect(try stack.sql("SELECT count(*) FROM usage_days WHERE license_id = '\(id)' AND day < '2026-01-01'") == "0")
        #expect(try stack.sql("SELECT count(*) FROM denial_days WHERE license_id = '\(id)'") == "0")
        // An unbinding of the last 30 days still counts (SPEC §13), the older one is gone.
        #expect(try stack.sql("SELECT count(*) FROM unbindings WHERE license_id = '\(id)' AND unbound_at > now() - interval '30 days'") == "1")
        #expect(try stack.sql("SELECT count(*) FROM unbindings WHERE license_id = '\(id)'") == "1")
        #expect(try stack.sql("SELECT count(*) FROM usage_days WHERE license_id = '\(id)' AND day = (now() AT TIME ZONE 'UTC')::date") == "1")
        // users=50 and 21 active seats: the active user is still counted, the purged ones are not.
        #expect(try answer(try code(key, user: "purge-active-1")) == "valid")
        let bad = try stack.licensectl(["purge", "--database", database, "--older-than", "soon"])
        #expect(bad.status == 2 && bad.standardError.contains("--older-than"))
    }
}
