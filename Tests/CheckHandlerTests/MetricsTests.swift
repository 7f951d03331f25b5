import StoreBoundary
import Foundation
import InMemorySeatStore
import LicenseCore
@testable import LicenseService
import Testing

/// The pool's metrics (SPEC §9) as the handlers count them, in this process.
@Suite("Metrics, in process")
struct MetricsTests {
    /// The samples of an exposition, by name and labels.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test("every request's result and reason counted once; failures by kind; only known realms as labels")
    func counting() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=MET-1", "users=1"])
        #expect(harness.check(try harness.code(key)) == "valid")
        #expect(harness.check(try harness.code(key)) == "valid")
        #expect(harness.check(try harness.code(key, user: "user-00002")) == "invalid users")
        #expect(harness.check(try harness.code(try harness.key(["duration=01Jan2000-31Dec2000"]))) == "invalid expired")
        #expect(harness.request(query: "code=nope").status == 400)
        #expect(harness.request("/release", method: "POST", body: Array(try harness.code(key).utf8)).status == 200)
        _ = harness.router.respond(to: ServiceRequest(method: "GET", path: "/check", query: "code=" + (try harness.code(key)),
                                                      realm: "made-up-by-a-client"))
        harness.store.failure = InMemorySeatStoreFailure.down
        #expect(harness.request(query: "code=" + (try harness.code(key))).status == 503)
        harness.store.failure = nil

        let metrics = harness.request("/metrics", exposesMetrics: true)
        #expect(metrics.status == 200 && metrics.headers.contains { $0 == ("Content-Type", "text/plain; version=0.0.4; charset=utf-8") })
        let samples = Self.samples(metrics.body)
        func checks(_ route: String, _ result: String, _ reason: String = "", realm: String = "default") -> Double? {
            samples["license_checks_total{realm=\"\(realm)\",route=\"\(route)\",result=\"\(result)\",reason=\"\(reason)\"}"]
        }
        #expect(checks("check", "valid") == 2)
        #expect(checks("check", "invalid", "users") == 1)
        #expect(checks("check", "invalid", "expired") == 1)
        #expect(checks("check", "bad_request") == 1)
        #expect(checks("release", "released") == 1)
        #expect(checks("check", "unavailable") == 1)
        #expect(checks("check", "invalid", "unknown-issuer", realm: "unknown") == 1)
        #expect(!metrics.body.contains("made-up-by-a-client"))
        #expect(samples["license_database_errors_total{kind=\"unavailable\"}"] == 1)
        #expect(samples["license_database_up"] == 0)
        #expect(samples["license_build_info{version=\"\(ProductVersion.current)\"}"] == 1)
        #expect(samples["license_workers{state=\"idle\"}"] == 4)
        #expect((samples["license_key_cache_entries"] ?? 0) >= 2)
    }

    @Test("the first scrape, before any check, has license_checks_total at 0 for every known realm, route and result")
    func firstScrape() throws {
        let harness = try HandlerHarness()
        let samples = Self.samples(harness.request("/metrics", exposesMetrics: true).body)
        for (route, results) in [("check", ["valid", "invalid", "bad_request", "unavailable"]), ("release", ["released", "bad_request", "unavailable"])] {
            for result in results {
                #expect(samples["license_checks_total{realm=\"default\",route=\"\(route)\",result=\"\(result)\",reason=\"\"}"] == 0,
                        "\(route) \(result)")
            }
        }
        #expect(samples.keys.filter { $0.hasPrefix("license_checks_total") }.count == 7)
        for kind in ["unavailable", "timeout", "other"] {
            #expect(samples["license_database_errors_total{kind=\"\(kind)\"}"] == 0)
        }
        // SPEC §15's counter is there from the first scrape too, at 0 per known realm.
        #expect(samples["license_overdraft_admissions_total{realm=\"default\"}"] == 0)
    }

    @Test("/metrics is a 404 unless nginx passes LICENSE_METRICS 1")
    func onlyWhereNginxSays() throws {
        let harness = try HandlerHarness()
        #expect(harness.request("/metrics").status == 404)
        #expect(harness.request("/metrics", exposesMetrics: true).status == 200)
        #expect(harness.request("/metrics", method: "POST", exposesMetrics: true).status == 405)
    }

    @Test("the histogram is cumulative and its count is the observations")
    func histogram() {
        let metrics = PoolMetrics(realms: [], workers: 1)
        for seconds in [0.0001, 0.003, 0.003, 7.0] { metrics.observe(route: .check, seconds: seconds) }
        let samples = Self.samples(metrics.exposition(keyCacheEntries: 0, version: "x"))
        #expect(samples["license_request_duration_seconds_bucket{route=\"check\",le=\"0.0005\"}"] == 1)
        #expect(samples["license_request_duration_seconds_bucket{route=\"check\",le=\"0.005\"}"] == 3)
        #expect(samples["license_request_duration_seconds_bucket{route=\"check\",le=\"5.0\"}"] == 3)
        #expect(samples["license_request_duration_seconds_bucket{route=\"check\",le=\"+Inf\"}"] == 4)
        #expect(samples["license_request_duration_seconds_count{route=\"check\"}"] == 4)
        #expect(samples["license_request_duration_seconds_count{route=\"release\"}"] == 0)
    }
}
