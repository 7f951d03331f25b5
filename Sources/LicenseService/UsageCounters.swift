import Foundation
import LicenseCore
import Synchronization

/// What the pool counted since its last flush: checks and denials per license scope and day,
/// denials per reason, domains and revisions. Shared by the workers; a check adds to it in
/// memory, and `UsageRecorder` writes it to the database in one batched statement a minute,
/// so history costs a check no statement (SPEC's reports, sql/002_usage_history.sql).
public final class UsageCounters: Sendable {
    struct ScopeDay: Hashable {
        let license: LicenseIdentity
        let scope: String
        let day: String
    }

    struct DenialDay: Hashable {
        let license: LicenseIdentity
        let day: String
        let reason: String
    }

    struct Client: Hashable {
        let license: LicenseIdentity
        let domain: String
        let revision: String
    }

    struct ClientSeen {
        var first: Date
        var last: Date
        var checks: Int
    }

    /// The most domain and revision pairs one license adds to a batch; the database keeps at
    /// most as many new ones per license and day (sql/007), so more would only cost memory.
    static let clientsPerLicense = 100

    /// One flush's worth of counts.
    public struct Batch: Sendable {
        var scopes: [ScopeDay: (checks: Int, denials: Int)] = [:]
        var denials: [DenialDay: Int] = [:]
        var clients: [Client: ClientSeen] = [:]
        /// How many entries of `clients` each license has.
        var clientCounts: [LicenseIdentity: Int] = [:]

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
                    clientCounts[key.license, default: 0] += 1
                }
            }
        }

        /// Counts a check from `domain` and `revision`, unless the license has its share of new ones.
        mutating func addClient(_ client: Client, at now: Date) {
            if var seen = clients[client] {
                seen.last = now
                seen.checks += 1
                clients[client] = seen
            } else if clientCounts[client.license, default: 0] < UsageCounters.clientsPerLicense {
                clients[client] = ClientSeen(first: now, last: now, checks: 1)
                clientCounts[client.license, default: 0] += 1
            }
        }

        /// The scopes this batch counted checks in, as the realm, issuer, product, license and
        /// scope arrays of `record_usage`: only they can have new users or peaks to roll up.
        public var touchedScopeArguments: [String?] {
            let keys = Array(scopes.keys)
            return Self.licenseArrays(keys.map(\.license)) + [SQLArray.text(keys.map(\.scope))]
        }

        /// The arguments of `add_usage_counts`, as PostgreSQL array literals.
        public var arguments: [String?] {
            let scopeKeys = Array(scopes.keys)
            let denialKeys = Array(denials.keys)
            let clientEntries = Array(clients)
            let timestamp = ISO8601DateFormatter()
            timestamp.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let scopeCounts = scopeKeys.map { scopes[$0] ?? (0, 0) }
            return Self.licenseArrays(scopeKeys.map(\.license)) + [
                SQLArray.text(scopeKeys.map(\.scope)), SQLArray.text(scopeKeys.map(\.day)),
                SQLArray.text(scopeCounts.map { String($0.checks) }), SQLArray.text(scopeCounts.map { String($0.denials) }),
            ] + Self.licenseArrays(denialKeys.map(\.license)) + [
                SQLArray.text(denialKeys.map(\.day)), SQLArray.text(denialKeys.map(\.reason)),
                SQLArray.text(denialKeys.map { String(denials[$0] ?? 0) }),
            ] + Self.licenseArrays(clientEntries.map(\.key.license)) + [
                SQLArray.text(clientEntries.map(\.key.domain)), SQLArray.text(clientEntries.map(\.key.revision)),
                SQLArray.text(clientEntries.map { timestamp.string(from: $0.value.first) }),
                SQLArray.text(clientEntries.map { timestamp.string(from: $0.value.last) }),
                SQLArray.text(clientEntries.map { String($0.value.checks) }),
            ]
        }

        /// The realm, issuer, product and id arrays of a list of licenses.
        private static func licenseArrays(_ licenses: [LicenseIdentity]) -> [String?] {
            [SQLArray.text(licenses.map(\.realm)), SQLArray.text(licenses.map(\.issuer)),
             SQLArray.text(licenses.map(\.product)), SQLArray.text(licenses.map(\.id))]
        }
    }

    /// Per group of workers, so that counting takes no lock another worker waits for.
    private let pending = ThreadShards(count: 8) { Batch() }
    /// Beyond this many keys a batch that cannot be written is dropped rather than grown.
    static let keyLimit = 1_000_000

    public init() {}

    /// Counts a check whose key verified: one check in each requested scope; a refusal also as
    /// a denial, in the scope that lacked room (limits) or the base scope (anything else); and
    /// the client's domain and revision, when given.
    public func recordCheck(license: LicenseIdentity, scopes: [String], client: (domain: String, revision: String)?,
                            refusal: (reason: CheckReason, scope: String)?, day: LicenseDate, at now: Date = Date()) {
        let dayText = day.description
        pending.withCurrentShard { batch in
            for scope in scopes {
                let key = ScopeDay(license: license, scope: scope, day: dayText)
                let current = batch.scopes[key] ?? (0, 0)
                batch.scopes[key] = (current.checks + 1, current.denials + (refusal?.scope == scope ? 1 : 0))
            }
            if let refusal {
                batch.denials[DenialDay(license: license, day: dayText, reason: refusal.reason.rawValue), default: 0] += 1
            }
            if let client {
                batch.addClient(Client(license: license, domain: client.domain, revision: client.revision), at: now)
            }
        }
    }

    /// Counts a key refused before its signature verified; it names no license one can trust.
    public func recordUnverifiedDenial(realm: String, reason: CheckReason, day: LicenseDate) {
        pending.withCurrentShard { batch in
            let key = DenialDay(license: .unverified(realm: realm), day: day.description, reason: reason.rawValue)
            batch.denials[key, default: 0] += 1
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
