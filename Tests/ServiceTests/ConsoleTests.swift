import Foundation
import TestSupport
import Testing

/// The console (SPEC §12) through nginx's console server block (console.localhost, basic auth),
/// against the report views of a scenario of real checks, in a real headless Chromium.
extension ServiceTests {
    var consoleAuthorization: String {
        get throws {
            let password = try String(contentsOfFile: stack.directory + "/console-password", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return "Authorization: Basic " + Data("console:\(password)".utf8).base64EncodedString()
        }
    }

    func consolePage(_ path: String, authorization: String? = nil) throws -> HTTPAnswer {
        try stack.request(path, host: "console.localhost", headers: [try authorization ?? consoleAuthorization])
    }

    /// Loads each path of the console in one headless Chromium with the console's password;
    /// per page, the value of `script` (run in the page) and a screenshot in `.build/test-artifacts/console`.
    func consoleInBrowser(_ paths: [(name: String, path: String)], script: String) throws -> [String: Any] {
        let shots = artifacts + "/console"
        try? FileManager.default.removeItem(atPath: shots)
        let driver = stack.packageRoot + "/Tests/ServiceTests/Browser/chromium.py"
        let urls = paths.map { "https://console.localhost:\(stack.httpsPort)\($0.path)" }
        let result = try Command.run("/usr/bin/python3", [driver, "--header", try consoleAuthorization, "--eval", script,
                                                          "--window", "1200,1000", "--screenshots", shots] + urls)
        try #require(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        try #require(lines.count == paths.count, "\(result.standardOutput) \(result.standardError)")
        // Named screenshots: console-list.png and so on, for a person to look at.
        for (index, page) in paths.enumerated() {
            try? FileManager.default.moveItem(atPath: shots + "/page-\(index + 1).png", toPath: shots + "/\(page.name).png")
        }
        return Dictionary(uniqueKeysWithValues: zip(paths.map(\.name), lines.map { $0["eval"] ?? NSNull() }))
    }

    /// Checks `users` of `keyLine` now, each a new or known user.
    func checkUsers(_ keyLine: String, _ users: [String]) throws {
        for user in users { #expect(try answer(try code(keyLine, user: user)) == "valid", "\(user)") }
    }

    @Test("console: every page in Chromium shows the report views' figures; search by id and licensee; a 90-day chart; escaping")
    func consolePages() throws {
        let tag = uniqueID("con")
        let alphaID = "CON-A-" + tag
        let alpha = try issue(["id=" + alphaID, "licensee=Console Alpha \(tag)", "users=4"])
        let hostileID = "CON-X-" + tag
        let hostile = try issue(["id=" + hostileID, "licensee=<script>alert(1)</script>", "users=10"])
        let fullID = "CON-F-" + tag
        let full = try issue(["id=" + fullID, "users=1"])
        let soonID = "CON-S-" + tag
        let lastDay = Calendar(identifier: .gregorian).date(byAdding: .day, value: 10, to: Date())!
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "ddMMMyyyy"
        let soon = try issue(["id=" + soonID, "users=3", "duration=01Jan2020-" + formatter.string(from: lastDay)])

        // Three days of alpha: two users the day before yesterday, three yesterday, three today.
        // Past days are made as they happen: checks, their seats moved to noon of that day, the
        // roll-up at that moment.
        for (daysAgo, users) in [(2, ["a-user-1", "a-user-2"]), (1, ["a-user-1", "a-user-2", "a-user-3"])] {
            try checkUsers(alpha, users)
            let noon = "date_trunc('day', now()) - interval '\(daysAgo) days' + interval '12 hours'"
            _ = try stack.sql("UPDATE seats SET last_seen = \(noon) WHERE license_id = '\(alphaID)'")
            _ = try stack.sql("SELECT record_usage(\(noon))")
        }
        try checkUsers(alpha, ["a-user-1", "a-user-2", "a-user-3"])
        try checkUsers(hostile, ["x-user-1"])
        try checkUsers(soon, ["s-user-1"])
        try checkUsers(full, ["f-user-1"])
        #expect(try answer(try code(full, user: "f-user-2")) == "invalid users")
        // The pool's minute: usage counts written now (SIGUSR1), then the roll-up.
        let pid = try String(contentsOfFile: stack.directory + "/license-server.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(kill(pid_t(pid)!, SIGUSR1) == 0)
        for _ in 0..<50 where try stack.sql("SELECT count(*) FROM denial_days WHERE license_id = '\(fullID)'") == "0" { usleep(100_000) }
        _ = try stack.sql("SELECT record_usage()")

        // What the report views say, to compare with what the pages show.
        let alphaNow = try stack.sql("SELECT users_active || ' ' || percent_used FROM report_usage_now WHERE license_id = '\(alphaID)' AND scope = 'base'")
        #expect(alphaNow == "3 75.0")
        let counted = try stack.sql("SELECT users_active || ' ' || percent_used FROM report_scopes_counted WHERE license_id = '\(alphaID)' AND scope = 'base'")
        #expect(counted == alphaNow)
        let alphaDays = try stack.sql("SELECT string_agg(users::text, ',' ORDER BY day) FROM report_usage_by_day WHERE license_id = '\(alphaID)' AND scope = 'base'")
        #expect(alphaDays == "2,3,3")
        // The stack's pool runs without --system-id: its own is this computer's, as licensectl info prints it.
        let systemID = try stack.licensectl(["info"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(systemID.hasPrefix("Eth_"))

        let script = """
            const rows = [...document.querySelectorAll('tbody.license')].map(b => ({
              id: b.dataset.license, licensee: b.querySelector('.licensee')?.textContent,
              users: b.querySelector('tr.scope .users')?.dataset.active, fullest: b.querySelector('.fullest')?.textContent.trim() }));
            return { title: document.title, scripts: document.querySelectorAll('script').length,
                     systemID: document.getElementById('system-id')?.textContent, readAt: document.getElementById('read-at')?.textContent,
                     rows, points: [...document.querySelectorAll('.users-points circle')].map(c => c.dataset.day + '=' + c.dataset.users),
                     baseUsers: document.querySelector('section.license-part tr.scope .users')?.dataset.active,
                     denials: [...document.querySelectorAll('#denials tr[data-reason]')].map(r => r.dataset.license + ' ' + r.dataset.reason),
                     expiring: [...document.querySelectorAll('#expiring tr[data-license]')].map(r => r.dataset.license),
                     problem: document.getElementById('problem')?.textContent };
            """
        let pages = try consoleInBrowser([
            ("console-list", "/console/"), ("console-search-id", "/console/?q=" + alphaID),
            ("console-search-licensee", "/console/?q=Console+Alpha+" + tag), ("console-license", "/console/license/default/" + alphaID),
            ("console-hostile", "/console/?q=" + hostileID), ("console-expiring", "/console/expiring"),
            ("console-denials", "/console/denials"), ("console-unknown", "/console/license/default/NO-SUCH-" + tag),
        ], script: script)
        func page(_ name: String) -> [String: Any] { pages[name] as? [String: Any] ?? [:] }
        func rows(_ name: String) -> [[String: Any]] { page(name)["rows"] as? [[String: Any]] ?? [] }

        for name in pages.keys {
            #expect(page(name)["systemID"] as? String == systemID, "\(name)")
            #expect(page(name)["scripts"] as? Int == 0, "\(name): no script")
        }
        #expect(!rows("console-list").isEmpty)
        // Found by id and by licensee, with the figures of the report views.
        for name in ["console-search-id", "console-search-licensee"] {
            let found = rows(name)
            #expect(found.count == 1 && found.first?["id"] as? String == alphaID, "\(name): \(found)")
            #expect(found.first?["users"] as? String == "3" && found.first?["fullest"] as? String == "75.0 %", "\(name)")
        }
        // One license: in use now as report_usage_now says, one point per day of the scenario.
        #expect(page("console-license")["baseUsers"] as? String == "3")
        let points = page("console-license")["points"] as? [String] ?? []
        #expect(points.count == 3, "\(points)")
        #expect(points.map { $0.split(separator: "=").last.map(String.init) ?? "" } == ["2", "3", "3"])
        // The hostile licensee is text: no script element, the text itself shown.
        #expect(rows("console-hostile").first?["licensee"] as? String == "<script>alert(1)</script>")
        #expect((page("console-expiring")["expiring"] as? [String] ?? []).contains(soonID))
        #expect((page("console-denials")["denials"] as? [String] ?? []).contains("\(fullID) users"))
        #expect(page("console-unknown")["problem"] as? String == "No such license")
    }

    @Test("console: 401 without the password, 404 for an unknown license and through a license domain, 503 page without the database")
    func consoleStatuses() throws {
        #expect(try stack.request("/console/", host: "console.localhost").status == 401)
        #expect(try consolePage("/console/", authorization: "Authorization: Basic " + Data("console:wrong".utf8).base64EncodedString()).status == 401)
        #expect(try consolePage("/console/").status == 200)
        let unknown = try consolePage("/console/license/default/NO-SUCH-LICENSE")
        #expect(unknown.status == 404 && unknown.body.contains("No such license"))
        // The license domains' blocks never pass LICENSE_CONSOLE.
        #expect(try stack.request("/console/").status == 404)
        #expect(try stack.request("/console/", host: "b.localhost").status == 404)
        try #require(try stack.stack("pg-stop").status == 0)
        defer { _ = try? stack.stack("pg-start") }
        let down = try consolePage("/console/")
        #expect(down.status == 503 && down.body.contains("database is unavailable"), "\(down.status)")
        try #require(try stack.stack("pg-start").status == 0)
        #expect(try consolePage("/console/").status == 200)
    }

    @Test("console: its role reads the report views and nothing else, and writes nothing")
    func consoleRole() throws {
        func asReporter(_ statement: String) throws -> CommandResult {
            try Command.run("runuser", ["-u", "postgres", "--", "psql", "-h", stack.directory + "/pg", "-p", String(stack.pgPort),
                                        "-U", "reporter", "-d", "license", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement])
        }
        #expect(try asReporter("SELECT count(*) FROM report_licenses_fullest").status == 0)
        // The live counts read the leases through their functions, not the table.
        #expect(try asReporter("SELECT count(*) FROM report_usage_now").status == 0)
        #expect(try asReporter("SELECT seat_lease FROM report_leases").status == 0)
        for statement in ["SELECT count(*) FROM seats", "SELECT count(*) FROM licenses", "SELECT count(*) FROM usage_now",
                          "SELECT seat_lease FROM leases",
                          "INSERT INTO revocations (realm, license_id) VALUES ('default', 'x')", "UPDATE license_fullness SET percent_used = 0",
                          "DELETE FROM seats", "SELECT record_usage()"] {
            let refused = try asReporter(statement)
            #expect(refused.status != 0 && refused.standardError.contains("permission denied"), "\(statement): \(refused.standardError)")
        }
    }
}
