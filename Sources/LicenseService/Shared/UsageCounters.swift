import Foundation
import LicenseCore
import StoreBoundary
import Synchronization

/// What the pool counted since its last flush: checks and denials per license scope and day,
/// denials per reason, domains and revisions. Shared by the workers; a check adds to it in
/// memory, and `UsageRecorder` writes it to the database in one batched statement a minute,
/// so history costs a check no statement (SPEC's reports, sql/functions/usage.sql).
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

    /// The most domain and revision pairs one license adds to a batch: the database keeps at
    /// most as many new ones per license and day, so more would only cost memory.
    static let newClientsPerLicense = UsageCounts.newClientsPerLicenseAndDay

    /// One flush's worth of counts.
    public struct Batch: Sendable {
        var scopes: [ScopeDay: (checks: Int, denials: Int)] = [:]
        var denials: [DenialDay: Int] = [:]
        var clients: [Client: ClientSeen] = [:]
        /// How many entries of `clients` each license has.
        var clientsPerLicense: [LicenseIdentity: Int] = [:]

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
                    clientsPerLicense[key.license, default: 0] += 1
                }
            }
        }

        /// Counts a check from `domain` and `revision`, unless the license has its share of new ones.
        mutating func addClient(_ client: Client, at now: Date) {
            if var seen = clients[client] {
                seen.last = now
                seen.checks += 1
                clients[client] = seen
            } else if clientsPerLicense[client.license, default: 0] < UsageCounters.newClientsPerLicense {
                clients[client] = ClientSeen(first: now, last: now, checks: 1)
                clientsPerLicense[client.license, default: 0] += 1
            }
        }

        /// The batch as the usage store writes it.
        public var counts: UsageCounts {
            UsageCounts(
                scopes: scopes.map { UsageCounts.Scope(license: $0.key.license, scope: $0.key.scope, day: $0.key.day,
                                                        checks: $0.value.checks, denials: $0.value.denials) },
                denials: denials.map { UsageCounts.Denial(license: $0.key.license, day: $0.key.day, reason: $0.key.reason,
                                                           denials: $0.value) },
                clients: clients.map { UsageCounts.Client(license: $0.key.license, domain: $0.key.domain, revision: $0.key.revision,
                                                          first: $0.value.first, last: $0.value.last, checks: $0.value.checks) })
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
