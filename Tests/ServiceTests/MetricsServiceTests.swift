import Foundation
import LicenseCore
import TestSupport
import Testing

/// `/metrics` through nginx's metrics server block (SPEC §9), after a known sequence of requests.
extension ServiceTests {
    /// The pool's metrics as the local Prometheus scrapes them.
    func scrapeMetrics() throws -> (text: String, samples: [String: Double]) {
        let scraped = try Command.run("curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(stack.metricsPort)/metrics"])
        try #require(scraped.status == 0, "\(scraped.standardError)")
        var samples: [String: Double] = [:]
        for line in scraped.standardOutput.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return (scraped.standardOutput, samples)
    }

    @Test("metrics: counters move by exactly the requests made, the histogram counts them, no client value in a label")
    func metricsThroughNginx() throws {
        let key = try issue(["id=" + uniqueID("M"), "users=1"])
        let expired = try issue(["duration=01Jan2000-31Dec2000"])
        let before = try scrapeMetrics().samples
        let unique = "metrics-\(UUID().uuidString.prefix(8).lowercased()).example"
        #expect(try answer(try code(key, user: "metrics-user-1", domain: unique)) == "valid")
        #expect(try answer(try code(key, revision: "9.8.7654321", user: "metrics-user-1")) == "valid")
        #expect(try answer(try code(key, user: "metrics-user-2")) == "invalid users")
        #expect(try answer(try code(expired, user: "metrics-user-1")) == "invalid expired")
        #expect(try check("not-a-code").status == 400)
        #expect(try stack.request("/release", method: "POST", body: Data(try code(key, user: "metrics-user-1").utf8)).body == "released\n")
        try #require(try stack.stack("pg-stop").status == 0)
        let refused = try check(try code(key, user: "metrics-user-1"))
        try #require(try stack.stack("pg-start").status == 0)
        #expect(refused.status == 503)
        #expect(try answer(try code(key, user: "metrics-user-1")) == "valid")

        let (text, after) = try scrapeMetrics()
        func delta(_ name: String) -> Double { (after[name] ?? 0) - (before[name] ?? 0) }
        func checks(_ route: String, _ result: String, _ reason: String = "") -> Double {
            delta("license_checks_total{realm=\"default\",route=\"\(route)\",result=\"\(result)\",reason=\"\(reason)\"}")
        }
        #expect(checks("check", "valid") == 3)
        #expect(checks("check", "invalid", "users") == 1)
        #expect(checks("check", "invalid", "expired") == 1)
        #expect(checks("check", "bad_request") == 1)
        #expect(checks("check", "unavailable") == 1)
        #expect(checks("release", "released") == 1)
        #expect(delta("license_request_duration_seconds_count{route=\"check\"}") == 7)
        #expect(delta("license_request_duration_seconds_count{route=\"release\"}") == 1)
        #expect(delta("license_database_errors_total{kind=\"unavailable\"}") >= 1)
        #expect(after["license_database_up"] == 1)
        #expect(after["license_workers{state=\"busy\"}"].map { $0 >= 0 } == true)
        #expect(after["license_build_info{version=\"\(ProductVersion.current)\"}"] == 1)
        // Nothing a client sent becomes a label: not its domain, revision or user.
        for sent in [unique, "9.8.7654321", "metrics-user"] { #expect(!text.contains(sent), "\(sent)") }
        // Prometheus' own checker accepts the exposition.
        let checked = try Command.run("promtool", ["check", "metrics"], input: Data(text.utf8))
        #expect(checked.status == 0, "\(checked.standardOutput) \(checked.standardError)")
        // Through a public server block, /metrics is a 404.
        #expect(try stack.request("/metrics").status == 404)
    }
}

extension ServiceTests {
    @Test("a pool that starts while the database is down: /metrics answers (database_up 0), checks 503 and are counted")
    func metricsWithoutDatabase() throws {
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        try #require(try stack.stack("pg-stop").status == 0)
        try #require(try stack.stack("pool-stop").status == 0)
        try #require(try stack.stack("pool-start").status == 0)
        defer { _ = try? stack.stack("pg-start") }
        let before = try scrapeMetrics().samples
        #expect(before["license_database_up"] == 0)
        let refused = try check(try code(key, user: "no-database-user"))
        #expect(refused.status == 503 && refused.headers["retry-after"] == "5")
        #expect(try stack.request("/healthz").status == 503)
        let after = try scrapeMetrics().samples
        let unavailable = "license_checks_total{realm=\"default\",route=\"check\",result=\"unavailable\",reason=\"\"}"
        #expect((after[unavailable] ?? 0) - (before[unavailable] ?? 0) == 1)
        try #require(try stack.stack("pg-start").status == 0)
        #expect(try answer(try code(key, user: "no-database-user")) == "valid")
        #expect(try scrapeMetrics().samples["license_database_up"] == 1)
    }

    @Test("a socket from systemd (systemd-socket-activate): no --socket, checks through nginx, SIGTERM exits 0")
    func socketActivation() throws {
        try #require(try stack.stack("pool-stop").status == 0)
        defer { _ = try? stack.stack("pool-start") }
        let socket = stack.directory + "/fcgi.sock"
        let pool = [stack.binaries + "/license-server", "--database", "'host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=license_server'",
                    "--issuers", stack.directory + "/issuers", "--secret", stack.directory + "/secret", "--log-level", "debug",
                    "--instance-lease", ServiceStack.instanceLease]
        let activated = try BackgroundProcess("/bin/sh", ["-c", "exec systemd-socket-activate -l \(socket) " + pool.joined(separator: " ")],
                                              log: stack.directory + "/log/activated.log")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(50_000) }
        // What the unit's SocketMode=0660 and SocketGroup=www-data do: nginx's workers may connect.
        let group = try #require(getgrnam("www-data")).pointee.gr_gid
        #expect(chown(socket, uid_t.max, group) == 0 && chmod(socket, 0o660) == 0)
        let key = try issue(["id=" + uniqueID("U"), "users=5"])
        #expect(try answer(try code(key, user: "activated-user-1")) == "valid")
        activated.signal(SIGTERM)
        #expect(activated.exitStatus(within: 10) == 0)
        // systemd would keep its socket; this test is done with it.
        unlink(socket)
        let log = try String(contentsOfFile: stack.directory + "/log/activated.log", encoding: .utf8)
        #expect(log.contains("socket=from systemd"), "\(log)")
    }
}
