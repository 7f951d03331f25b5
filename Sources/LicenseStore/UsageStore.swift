import Foundation
import LicenseService
import Postgres

/// The usage history's SQL for a pool (sql/002, 003, 005, 007): its lease, the counts it
/// writes once a minute, and the roll-ups of seats into days and months. One connection of its
/// own, used by one thread (the pool's usage recorder).
public final class UsageStore {
    private let connection: PostgresConnection

    /// A full roll-up reads every seat of the month: it may take minutes, and no worker waits for it.
    private static let sessionSettings = ["SET statement_timeout = '5min'", "SET lock_timeout = '5s'", "SET TimeZone = 'UTC'"]

    public init(conninfo: String) throws(PostgresError) {
        connection = try PostgresConnection(conninfo: conninfo, setupStatements: Self.sessionSettings)
    }

    /// Writes the pool's leases (`leases`, sql/005 and 009); returns the ones it replaced when they were others.
    public func setLeases(seatSeconds: Int, instanceSeconds: Int) throws -> String? {
        let previous = try connection.execute("""
            SELECT previous_seat_lease, previous_instance_lease,
                   previous_seat_lease = $1::interval AND previous_instance_lease = $2::interval AS same
            FROM set_leases($1::interval, $2::interval)
            """, ["\(seatSeconds) seconds", "\(instanceSeconds) seconds"])
        guard try previous[0, "same"] == "f" else { return nil }
        return "lease \(try previous[0, "previous_seat_lease"] ?? ""), instance lease \(try previous[0, "previous_instance_lease"] ?? "")"
    }

    /// Adds a batch of counts (`add_usage_counts`, sql/007).
    public func add(_ batch: UsageCounters.Batch) throws {
        let scopes = batch.scopeCounts
        let denials = batch.denialCounts
        let clients = batch.clientCounts
        let timestamp = ISO8601DateFormatter()
        timestamp.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let arguments: [String?] = Self.licenseArrays(scopes.map(\.license)) + [
            SQLArray.text(scopes.map(\.scope)), SQLArray.text(scopes.map(\.day)),
            SQLArray.numbers(scopes.map(\.checks)), SQLArray.numbers(scopes.map(\.denials)),
        ] + Self.licenseArrays(denials.map(\.license)) + [
            SQLArray.text(denials.map(\.day)), SQLArray.text(denials.map(\.reason)), SQLArray.numbers(denials.map(\.denials)),
        ] + Self.licenseArrays(clients.map(\.license)) + [
            SQLArray.text(clients.map(\.domain)), SQLArray.text(clients.map(\.revision)),
            SQLArray.text(clients.map { timestamp.string(from: $0.first) }), SQLArray.text(clients.map { timestamp.string(from: $0.last) }),
            SQLArray.numbers(clients.map(\.checks)),
        ]
        try connection.execute("SELECT add_usage_counts(" + (1...arguments.count).map { "$\($0)" }.joined(separator: ", ") + ")",
                               arguments)
    }

    /// Rolls up the scopes `batch` counted checks in: only they can have new users or peaks (sql/003).
    public func rollUp(scopesOf batch: UsageCounters.Batch) throws {
        let scopes = batch.scopeCounts
        try connection.execute("SELECT record_usage(now(), $1, $2, $3, $4, $5)",
                               Self.licenseArrays(scopes.map(\.license)) + [SQLArray.text(scopes.map(\.scope))])
    }

    /// Rolls up every seat of the month.
    public func rollUpEverything() throws {
        try connection.execute("SELECT record_usage(now())")
    }

    /// Rolls yesterday up once more at its last instant: its users who checked again today count there too.
    public func rollUpYesterday() throws {
        try connection.execute("SELECT record_usage(date_trunc('day', now()) - interval '1 microsecond')")
    }

    /// The realm, issuer, product and id arrays of a list of licenses.
    private static func licenseArrays(_ licenses: [LicenseIdentity]) -> [String?] {
        [SQLArray.text(licenses.map(\.realm)), SQLArray.text(licenses.map(\.issuer)),
         SQLArray.text(licenses.map(\.product)), SQLArray.text(licenses.map(\.id))]
    }
}
