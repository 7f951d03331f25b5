import Foundation
import LicenseCore
import Synchronization

/// What the pool counted since its last flush: checks and denials per license scope and day,
/// denials per reason, domains and revisions. Shared by the workers; a check adds to it in
/// memory, and `UsageRecorder` writes it to the database in one batched statement a minute,
/// so history costs a check no statement (SPEC's reports, sql/002_usage_history.sql).
public final class UsageCounters: Sendable {
    struct ScopeDay: Hashable {
        let realm: String
        let licenseID: String
        let scope: String
        let day: String
    }

    struct DenialDay: Hashable {
        let realm: String
        let licenseID: String
        let day: String
        let reason: String
    }

    struct Client: Hashable {
        let realm: String
        let licenseID: String
        let domain: String
        let revision: String
    }

    struct ClientSeen {
        var first: Date
        var last: Date
        var checks: Int
    }

    /// One flush's worth of counts.
    public struct Batch: Sendable {
        var scopes: [ScopeDay: (checks: Int, denials: Int)] = [:]
        var denials: [DenialDay: Int] = [:]
        var clients: [Client: ClientSeen] = [:]

        public var isEmpty: Bool { scopes.isEmpty && denials.isEmpty && clients.isEmpty }

        /// Adds `other` (a batch that could not be written) to this one.
        mutating func merge(_ other: Batch) {
            for (key, value) in other.scopes {
                let current = scopes[key] ?? (0, 0)
                scopes[key] = (current.checks + value.checks, current.denials + value.denials)
            }
            for (key, value) in other.denials { denials[key, default: 0] += value }
            for (key, value) in other.clients {
                if let current = clients[key] {
                    clients[key] = ClientSeen(first: min(current.first, value.first), last: max(current.last, value.last),
                                              checks: current.checks + value.checks)
                } else {
                    clients[key] = value
                }
            }
        }

        /// The scopes this batch counted checks in, as the realm, license and scope arrays of
        /// `record_usage`: only they can have new users or peaks to roll up.
        public var touchedScopeArguments: [String?] {
            let keys = Array(scopes.keys)
            return [SQLArray.text(keys.map(\.realm)), SQLArray.text(keys.map(\.licenseID)), SQLArray.text(keys.map(\.scope))]
        }

        /// The arguments of `add_usage_counts`, as PostgreSQL array literals.
        public var arguments: [String?] {
            let scopeKeys = Array(scopes.keys)
            let denialKeys = Array(denials.keys)
            let clientKeys = Array(clients.keys)
            let timestamp = ISO8601DateFormatter()
            timestamp.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return [
                SQLArray.text(scopeKeys.map(\.realm)), SQLArray.text(scopeKeys.map(\.licenseID)), SQLArray.text(scopeKeys.map(\.scope)),
                SQLArray.text(scopeKeys.map(\.day)), SQLArray.text(scopeKeys.map { String(scopes[$0]!.checks) }),
                SQLArray.text(scopeKeys.map { String(scopes[$0]!.denials) }),
                SQLArray.text(denialKeys.map(\.realm)), SQLArray.text(denialKeys.map(\.licenseID)), SQLArray.text(denialKeys.map(\.day)),
                SQLArray.text(denialKeys.map(\.reason)), SQLArray.text(denialKeys.map { String(denials[$0]!) }),
                SQLArray.text(clientKeys.map(\.realm)), SQLArray.text(clientKeys.map(\.licenseID)), SQLArray.text(clientKeys.map(\.domain)),
                SQLArray.text(clientKeys.map(\.revision)), SQLArray.text(clientKeys.map { timestamp.string(from: clients[$0]!.first) }),
                SQLArray.text(clientKeys.map { timestamp.string(from: clients[$0]!.last) }),
                SQLArray.text(clientKeys.map { String(clients[$0]!.checks) }),
            ]
        }
    }

    /// Per group of workers, so that counting takes no lock another worker waits for.
    private let pending = ThreadShards(count: 8) { Batch() }
    /// Beyond this many keys a batch that cannot be written is dropped rather than grown.
    static let keyLimit = 1_000_000

    public init() {}

    /// Counts a check whose key verified: one check in each requested scope; a refusal also as
    /// a denial, in the scope that lacked room (limits) or the base scope (anything else).
    public func recordCheck(realm: String, licenseID: String, scopes: [String], domain: String, revision: String,
                            refusal: (reason: CheckReason, scope: String)?, day: LicenseDate, at now: Date = Date()) {
        let dayText = day.description
        pending.withCurrentShard { batch in
            for scope in scopes {
                let key = ScopeDay(realm: realm, licenseID: licenseID, scope: scope, day: dayText)
                let current = batch.scopes[key] ?? (0, 0)
                batch.scopes[key] = (current.checks + 1, current.denials + (refusal?.scope == scope ? 1 : 0))
            }
            if let refusal {
                batch.denials[DenialDay(realm: realm, licenseID: licenseID, day: dayText, reason: refusal.reason.rawValue), default: 0] += 1
            }
            let client = Client(realm: realm, licenseID: licenseID, domain: domain, revision: revision)
            if var seen = batch.clients[client] {
                seen.last = now
                seen.checks += 1
                batch.clients[client] = seen
            } else {
                batch.clients[client] = ClientSeen(first: now, last: now, checks: 1)
            }
        }
    }

    /// Counts a key refused before its signature verified; it names no license one can trust.
    public func recordUnverifiedDenial(realm: String, reason: CheckReason, day: LicenseDate) {
        pending.withCurrentShard { batch in
            batch.denials[DenialDay(realm: realm, licenseID: "", day: day.description, reason: reason.rawValue), default: 0] += 1
        }
    }

    /// Everything counted since the last call.
    public func takeBatch() -> Batch {
        var taken = Batch()
        pending.forEachShard { batch in
            taken.merge(batch)
            batch = Batch()
        }
        return taken
    }

    /// Puts back a batch that could not be written, to be tried with the next one.
    public func putBack(_ batch: Batch) {
        pending.withCurrentShard { pending in
            guard pending.scopes.count + pending.clients.count + batch.scopes.count + batch.clients.count < Self.keyLimit else { return }
            pending.merge(batch)
        }
    }
}
