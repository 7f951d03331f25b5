import Foundation
import Postgres
import StoreBoundary

/// The usage history's SQL for a pool (sql/functions/usage.sql and leases.sql): its leases, the
/// counts it writes once a minute, and the roll-ups of seats into days and months. One
/// connection of its own, used by one thread (the pool's usage recorder).
public final class UsageStore {
    private let connection: PostgresConnection

    /// A full roll-up reads every seat of the month: it may take minutes, and no worker waits for it.
    private static let sessionSettings = ["SET statement_timeout = '5min'", "SET lock_timeout = '5s'", "SET TimeZone = 'UTC'"]

    public init(conninfo: String) throws(StoreError) {
        connection = try StoreError.translating { () throws(PostgresError) in
            try PostgresConnection(conninfo: conninfo, setupStatements: Self.sessionSettings)
        }
    }

    /// Runs `sql`, its failure as the store's.
    @discardableResult
    private func execute(_ sql: String, _ parameters: [PostgresValue]) throws(StoreError) -> PostgresRows {
        try StoreError.translating { () throws(PostgresError) in try connection.execute(sql, parameters) }
    }

    /// Writes the pool's leases (`set_leases`); the ones it replaced when they were others.
    public func setLeases(seatSeconds: Int, instanceSeconds: Int) throws(StoreError) -> String? {
        let previous = try execute("""
            SELECT previous_seat_lease::text AS seat, previous_instance_lease::text AS instance,
                   previous_seat_lease = $1::interval AND previous_instance_lease = $2::interval AS same
            FROM set_leases($1::interval, $2::interval)
            """, [.text("\(seatSeconds) seconds"), .text("\(instanceSeconds) seconds")])
        return try StoreError.translating { () throws(PostgresError) -> String? in
            let row = try previous.single()
            guard try !row.boolean("same") else { return nil }
            return "lease \(try row.string("seat")), instance lease \(try row.string("instance"))"
        }
    }

    /// Adds a batch of counts (`add_usage_counts`).
    public func add(_ counts: UsageCounts) throws(StoreError) {
        let timestamp = ISO8601DateFormatter()
        timestamp.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let arguments: [PostgresValue] = Self.licenseArrays(counts.scopes.map(\.license)) + [
            .textArray(counts.scopes.map(\.scope)), .textArray(counts.scopes.map(\.day)),
            .integerArray(counts.scopes.map { Int64($0.checks) }), .integerArray(counts.scopes.map { Int64($0.denials) }),
        ] + Self.licenseArrays(counts.denials.map(\.license)) + [
            .textArray(counts.denials.map(\.day)), .textArray(counts.denials.map(\.reason)),
            .integerArray(counts.denials.map { Int64($0.denials) }),
        ] + Self.licenseArrays(counts.clients.map(\.license)) + [
            .textArray(counts.clients.map(\.domain)), .textArray(counts.clients.map(\.revision)),
            .textArray(counts.clients.map { timestamp.string(from: $0.first) }),
            .textArray(counts.clients.map { timestamp.string(from: $0.last) }),
            .integerArray(counts.clients.map { Int64($0.checks) }),
            .integer(UsageCounts.newClientsPerLicenseAndDay),
        ]
        try execute("SELECT add_usage_counts(" + (1...arguments.count).map { "$\($0)" }.joined(separator: ", ") + ")", arguments)
    }

    /// Rolls up the scopes `counts` counted checks in: only they can have new users or peaks.
    public func rollUp(scopesOf counts: UsageCounts) throws(StoreError) {
        try execute("SELECT record_usage(now(), $1, $2, $3, $4, $5)",
                    Self.licenseArrays(counts.scopes.map(\.license)) + [.textArray(counts.scopes.map(\.scope))])
    }

    /// Rolls up every seat of the month.
    public func rollUpEverything() throws(StoreError) {
        try execute("SELECT record_usage(now())", [])
    }

    /// Rolls yesterday up once more at its last instant: its users who checked again today count there too.
    public func rollUpYesterday() throws(StoreError) {
        try execute("SELECT record_usage(date_trunc('day', now()) - interval '1 microsecond')", [])
    }

    /// The realm, issuer, product and id arrays of a list of licenses.
    private static func licenseArrays(_ licenses: [LicenseIdentity]) -> [PostgresValue] {
        [.textArray(licenses.map(\.realm)), .textArray(licenses.map(\.issuer)),
         .textArray(licenses.map(\.product)), .textArray(licenses.map(\.id))]
    }
}
