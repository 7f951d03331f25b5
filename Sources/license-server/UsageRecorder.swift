import Foundation
import Synchronization
import LicenseService
import LicenseStore
import Logging

/// Writes the pool's usage counts to the database every `--usage-interval` (a minute), when
/// asked (SIGUSR1), and at stop, in one batched
/// statement, and rolls active seats up into the usage history (`record_usage`). A dedicated
/// thread with its own connection: no worker ever waits for it.
///
/// Each minute it rolls up only the scopes it counted checks in (sql/functions/usage.sql says why that
/// suffices); every seat is rolled up at its first minute, at each new UTC day and once an
/// hour, since that costs seconds with a million seats.
final class UsageRecorder: Sendable {
    private static let fullRollUpInterval: TimeInterval = 3600

    private let counters: UsageCounters
    private let conninfo: String
    private let leaseSeconds: Int
    private let instanceLeaseSeconds: Int
    private let interval: Double
    private let logger: Logger
    /// Signalled to write before the interval is up: to stop, or to flush (SIGUSR1).
    private let wake = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    init(counters: UsageCounters, conninfo: String, leaseSeconds: Int, instanceLeaseSeconds: Int, interval: Double = 60, logger: Logger) {
        self.counters = counters
        self.conninfo = conninfo
        self.leaseSeconds = leaseSeconds
        self.instanceLeaseSeconds = instanceLeaseSeconds
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
        stopping.store(true, ordering: .releasing)
        wake.signal()
        return stopped.wait(timeout: .now() + timeout) == .success
    }

    /// Writes what is pending now, as at a stop, and goes on (the pool's SIGUSR1).
    func flush() {
        wake.signal()
    }

    private func run() {
        // Connected at once, so that this pool's lease is the database's from its start.
        var store = try? open()
        var lastDay = Self.utcDay()
        var lastFullRollUp: Date?
        while true {
            let woken = wake.wait(timeout: .now() + interval) == .success
            let stopping = self.stopping.load(ordering: .acquiring)
            do {
                let current = try store ?? open()
                store = current
                let dayChanged = lastDay != Self.utcDay()
                let fullRollUpDue = lastFullRollUp.map { -$0.timeIntervalSinceNow > Self.fullRollUpInterval } ?? true
                // A stop or a flush rolls up only what this pool touched: it must stay quick.
                let full = !woken && (dayChanged || fullRollUpDue)
                let scopes = try record(on: current, dayChanged: dayChanged, full: full)
                logger.debug("usage history written", metadata: ["scopes": "\(scopes)", "full": "\(full)"])
                lastDay = Self.utcDay()
                if full { lastFullRollUp = Date() }
            } catch {
                logger.error("usage history not written; trying again in a minute", metadata: ["error": "\(error)"])
                store = nil
                // The scopes of a batch whose roll-up failed are caught by a full one.
                lastFullRollUp = nil
            }
            if stopping { return }
        }
    }

    /// A connection of its own, after writing this pool's lease to the database.
    private func open() throws -> UsageStore {
        do {
            let store = try UsageStore(conninfo: conninfo)
            // The leases live in the database (sql/functions/leases.sql), where every pool's statements and the
            // reports read it; this pool's --lease replaces what was there.
            if let replaced = try store.setLeases(seatSeconds: leaseSeconds, instanceSeconds: instanceLeaseSeconds) {
                logger.warning("this pool's --lease and --instance-lease replaced others in the database; pools on one database share them",
                               metadata: ["was": "\(replaced)", "now": "lease \(leaseSeconds) s, instance lease \(instanceLeaseSeconds) s"])
            }
            return store
        } catch {
            logger.error("the lease and usage history wait for the database", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Writes a batch and rolls up; the number of scopes the batch counted.
    private func record(on store: UsageStore, dayChanged: Bool, full: Bool) throws -> Int {
        let batch = counters.takeBatch()
        if !batch.isEmpty {
            do {
                try store.add(batch.counts)
            } catch {
                counters.putBack(batch)
                throw error
            }
        }
        if dayChanged { try store.rollUpYesterday() }
        if full {
            try store.rollUpEverything()
        } else if !batch.isEmpty {
            try store.rollUp(scopesOf: batch.counts)
        }
        return batch.counts.scopes.count
    }

    private static func utcDay() -> Int { Int(Date().timeIntervalSince1970) / 86_400 }
}
