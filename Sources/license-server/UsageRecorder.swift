import Foundation
import LicenseService
import Logging
import Postgres

/// Writes the pool's usage counts to the database once a minute, and at stop, in one batched
/// statement, and rolls active seats up into the usage history (`record_usage`). A dedicated
/// thread with its own connection: no worker ever waits for it.
///
/// Each minute it rolls up only the scopes it counted checks in (sql/003 says why that
/// suffices); every seat is rolled up at its first minute, at each new UTC day and once an
/// hour, since that costs seconds with a million seats.
final class UsageRecorder: Sendable {
    private static let fullRollUpInterval: TimeInterval = 3600

    private let counters: UsageCounters
    private let conninfo: String
    private let leaseSeconds: Int
    private let interval: Double
    private let logger: Logger
    private let stopRequested = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    init(counters: UsageCounters, conninfo: String, leaseSeconds: Int, interval: Double = 60, logger: Logger) {
        self.counters = counters
        self.conninfo = conninfo
        self.leaseSeconds = leaseSeconds
        self.interval = interval
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            run()
            stopped.signal()
        }
        thread.name = "usage-recorder"
        thread.start()
    }

    /// Writes what is pending and stops; false if that took longer than `timeout` seconds.
    func stop(timeout: Double) -> Bool {
        stopRequested.signal()
        return stopped.wait(timeout: .now() + timeout) == .success
    }

    private func run() {
        // Connected at once, so that this pool's lease is the database's from its start.
        var connection = try? open()
        var lastDay = Self.utcDay()
        var lastFullRollUp: Date?
        while true {
            let stopping = stopRequested.wait(timeout: .now() + interval) == .success
            do {
                let current = try connection ?? open()
                connection = current
                let dayChanged = lastDay != Self.utcDay()
                let fullRollUpDue = lastFullRollUp.map { -$0.timeIntervalSinceNow > Self.fullRollUpInterval } ?? true
                // Stopping rolls up only what this pool touched: a stop must stay quick.
                let full = !stopping && (dayChanged || fullRollUpDue)
                try record(on: current, dayChanged: dayChanged, full: full)
                lastDay = Self.utcDay()
                if full { lastFullRollUp = Date() }
            } catch {
                logger.error("usage history not written; trying again in a minute", metadata: ["error": "\(error)"])
                connection = nil
                // The scopes of a batch whose roll-up failed are caught by a full one.
                lastFullRollUp = nil
            }
            if stopping { return }
        }
    }

    /// A connection of its own, after writing this pool's lease to the database.
    private func open() throws -> PostgresConnection {
        do {
            let connection = try PostgresConnection(conninfo: conninfo, setupStatements: [
                // A full roll-up reads every seat of the month; no worker waits for it.
                "SET statement_timeout = '5min'", "SET lock_timeout = '5s'", "SET TimeZone = 'UTC'",
            ])
            // The lease lives in the database (sql/005), where every pool's statements and the
            // reports read it; this pool's --lease replaces what was there.
            let lease = "\(leaseSeconds) seconds"
            let previous = try connection.execute(
                "SELECT previous_seat_lease, previous_seat_lease = $1::interval AS same FROM set_leases($1::interval)", [lease])
            if try previous[0, "same"] == "f" {
                let was = try previous[0, "previous_seat_lease"] ?? ""
                logger.warning("this pool's --lease replaced another in the database; pools on one database share one lease",
                               metadata: ["was": "\(was)", "now": "\(lease)"])
            }
            return connection
        } catch {
            logger.error("the lease and usage history wait for the database", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func record(on connection: PostgresConnection, dayChanged: Bool, full: Bool) throws {
        let batch = counters.takeBatch()
        if !batch.isEmpty {
            do {
                try connection.execute("SELECT add_usage_counts(" + (1...24).map { "$\($0)" }.joined(separator: ", ") + ")",
                                       batch.arguments)
            } catch {
                counters.putBack(batch)
                throw error
            }
        }
        if dayChanged {
            // The last instant of yesterday: its users who checked again today are counted there too.
            try connection.execute("SELECT record_usage(date_trunc('day', now()) - interval '1 microsecond')")
        }
        if full {
            try connection.execute("SELECT record_usage(now())")
        } else if !batch.isEmpty {
            try connection.execute("SELECT record_usage(now(), $1, $2, $3, $4, $5)", batch.touchedScopeArguments)
        }
    }

    private static func utcDay() -> Int { Int(Date().timeIntervalSince1970) / 86_400 }
}
