import Synchronization

/// The pool's own figures since it started (SPEC §9), for `GET /metrics` in Prometheus' text
/// format 0.0.4. Counting takes the calling thread's shard only (no lock another worker waits
/// for); a scrape adds the shards up. No label value comes from what a client sent: realms are
/// those with an issuers folder (others are `unknown`), reasons are SPEC §3's tokens.
public final class PoolMetrics: Sendable {
    /// The routes counted and timed.
    public enum Route: String, Sendable, CaseIterable {
        case check, release, healthz, bind, unbind
    }

    /// What a request to `/check`, `/release`, `/bind` or `/unbind` came to.
    public enum Result: String, Sendable {
        case valid, invalid, released, bound, unbound
        case badRequest = "bad_request"
        case unavailable
    }

    /// `license_database_errors_total`'s kinds.
    public enum DatabaseError: String, Sendable, CaseIterable {
        case unavailable, timeout, other
    }

    /// Upper bounds of the duration histogram, in seconds (`+Inf` is added).
    static let bucketBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    struct CheckKey: Hashable {
        let realm: String
        let route: Route
        let result: Result
        let reason: String
    }

    struct Histogram {
        var buckets = [Int](repeating: 0, count: PoolMetrics.bucketBounds.count + 1)
        var sum = 0.0
        var count = 0

        mutating func add(_ seconds: Double, inBucket bucket: Int) {
            buckets[bucket] += 1
            sum += seconds
            count += 1
        }
    }

    struct Shard {
        var checks: [CheckKey: Int] = [:]
        var overdraftAdmissions: [String: Int] = [:]
        var durations: [Route: Histogram] = [:]
        var databaseErrors: [DatabaseError: Int] = [:]
    }

    private let shards = ThreadShards(count: 16) { Shard() }
    private let databaseUp = Atomic<Int>(0)
    private let busyWorkers = Atomic<Int>(0)
    private let knownRealms: Set<String>
    private let workerCount: Int

    /// - Parameters:
    ///   - realms: the realms that have an issuers folder; the only realm labels.
    ///   - workers: the pool's worker threads.
    public init(realms: Set<String>, workers: Int) {
        knownRealms = realms
        workerCount = workers
    }

    /// Counts a request to `/check` or `/release`.
    public func count(realm: String, route: Route, result: Result, reason: String = "") {
        let key = CheckKey(realm: knownRealms.contains(realm) ? realm : "unknown", route: route, result: result, reason: reason)
        shards.withCurrentShard { $0.checks[key, default: 0] += 1 }
    }

    /// Counts a start admitted past a limit, within its scope's overdraft (SPEC §15).
    public func countOverdraftAdmission(realm: String) {
        let label = knownRealms.contains(realm) ? realm : "unknown"
        shards.withCurrentShard { $0.overdraftAdmissions[label, default: 0] += 1 }
    }

    /// Adds a request's duration to its route's histogram.
    public func observe(route: Route, seconds: Double) {
        let bucket = Self.bucketBounds.firstIndex { seconds <= $0 } ?? Self.bucketBounds.count
        // Changed in place: a copy taken out of the dictionary would copy its buckets each request.
        shards.withCurrentShard { $0.durations[route, default: Histogram()].add(seconds, inBucket: bucket) }
    }

    /// Counts a failed database statement.
    public func countDatabaseError(_ kind: DatabaseError) {
        shards.withCurrentShard { $0.databaseErrors[kind, default: 0] += 1 }
    }

    /// Whether the pool's last statement reached the database.
    public func databaseReached(_ reached: Bool) {
        databaseUp.store(reached ? 1 : 0, ordering: .relaxed)
    }

    /// A worker took a request (`true`) or finished it.
    public func workerBusy(_ busy: Bool) {
        busyWorkers.add(busy ? 1 : -1, ordering: .relaxed)
    }

    /// The series every scrape has, from the first one on (SPEC §9), so that a rate or an alert
    /// has a value after a restart: per known realm, route `check` with results `valid`,
    /// `invalid`, `bad_request`, `unavailable`, and route `release` with `released`,
    /// `bad_request`, `unavailable`; reason empty.
    private var alwaysExposed: [CheckKey] {
        let results: [(Route, [Result])] = [(.check, [.valid, .invalid, .badRequest, .unavailable]),
                                            (.release, [.released, .badRequest, .unavailable])]
        return knownRealms.flatMap { realm in
            results.flatMap { route, results in results.map { CheckKey(realm: realm, route: route, result: $0, reason: "") } }
        }
    }

    /// Every metric in the text format, shards added up.
    public func exposition(keyCacheEntries: Int, version: String) -> String {
        var checks = Dictionary(uniqueKeysWithValues: alwaysExposed.map { ($0, 0) })
        var durations: [Route: Histogram] = [:]
        var databaseErrors: [DatabaseError: Int] = [:]
        var overdraftAdmissions = Dictionary(uniqueKeysWithValues: knownRealms.map { ($0, 0) })
        shards.forEachShard { shard in
            for (key, value) in shard.checks { checks[key, default: 0] += value }
            for (realm, value) in shard.overdraftAdmissions { overdraftAdmissions[realm, default: 0] += value }
            for (route, histogram) in shard.durations {
                var total = durations[route] ?? Histogram()
                for index in total.buckets.indices { total.buckets[index] += histogram.buckets[index] }
                total.sum += histogram.sum
                total.count += histogram.count
                durations[route] = total
            }
            for (kind, value) in shard.databaseErrors { databaseErrors[kind, default: 0] += value }
        }
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        family("license_checks_total", "counter", "Requests to /check, /release, /bind and /unbind by realm, route, result and reason.")
        for (key, value) in checks.sorted(by: { Self.order($0.key) < Self.order($1.key) }) {
            lines.append("license_checks_total{realm=\(Self.quoted(key.realm)),route=\"\(key.route.rawValue)\","
                         + "result=\"\(key.result.rawValue)\",reason=\(Self.quoted(key.reason))} \(value)")
        }
        family("license_request_duration_seconds", "histogram", "Time from accepting a request to its answer, by route.")
        for route in Route.allCases {
            let histogram = durations[route] ?? Histogram()
            var cumulative = 0
            for (index, bound) in Self.bucketBounds.enumerated() {
                cumulative += histogram.buckets[index]
                lines.append("license_request_duration_seconds_bucket{route=\"\(route.rawValue)\",le=\"\(bound)\"} \(cumulative)")
            }
            lines.append("license_request_duration_seconds_bucket{route=\"\(route.rawValue)\",le=\"+Inf\"} \(histogram.count)")
            lines.append("license_request_duration_seconds_sum{route=\"\(route.rawValue)\"} \(histogram.sum)")
            lines.append("license_request_duration_seconds_count{route=\"\(route.rawValue)\"} \(histogram.count)")
        }
        family("license_database_errors_total", "counter", "Failed database statements by kind.")
        for kind in DatabaseError.allCases {
            lines.append("license_database_errors_total{kind=\"\(kind.rawValue)\"} \(databaseErrors[kind] ?? 0)")
        }
        family("license_database_up", "gauge", "1 when the pool's last statement reached the database, else 0.")
        lines.append("license_database_up \(databaseUp.load(ordering: .relaxed))")
        family("license_workers", "gauge", "Worker threads by state.")
        let busy = max(0, min(workerCount, busyWorkers.load(ordering: .relaxed)))
        lines.append("license_workers{state=\"busy\"} \(busy)")
        lines.append("license_workers{state=\"idle\"} \(workerCount - busy)")
        family("license_key_cache_entries", "gauge", "Key texts whose verification is cached.")
        lines.append("license_key_cache_entries \(keyCacheEntries)")
        family("license_overdraft_admissions_total", "counter", "Starts admitted past a limit, within the scope's overdraft=, by realm.")
        for (realm, value) in overdraftAdmissions.sorted(by: { $0.key < $1.key }) {
            lines.append("license_overdraft_admissions_total{realm=\(Self.quoted(realm))} \(value)")
        }
        family("license_build_info", "gauge", "The pool's version.")
        lines.append("license_build_info{version=\(Self.quoted(version))} 1")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func order(_ key: CheckKey) -> String {
        "\(key.realm)\u{0}\(key.route.rawValue)\u{0}\(key.result.rawValue)\u{0}\(key.reason)"
    }

    /// A label value in the text format: `\`, `"` and line feeds escaped.
    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
