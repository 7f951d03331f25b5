import LicenseCore

/// Where licenses and seats are kept (SPEC §4 rules 3, 9 and 10): PostgreSQL in the pool
/// (`LicenseStore.SeatStore`), memory in the handler's tests. One per worker thread.
///
/// Every method throws only `StoreError`, which answers 503 (clients skip): its kind says
/// whether the store was unavailable, busy or at fault, for the log and the metrics.
public protocol SeatStoring: AnyObject {
    /// Whether the store answers (`/healthz`).
    func isHealthy() -> Bool
    /// Registers (or updates) the license of a key whose signature verified.
    func register(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws(StoreError)
    /// Whether the license, or the key of `fingerprint`, is revoked in its realm (or every realm).
    func isRevoked(_ license: LicenseIdentity, fingerprint: String) throws(StoreError) -> Bool
    /// Rule 3 and rules 9–10: refreshes the seat or admits it when every scope has room.
    func seat(_ request: SeatRequest) throws(StoreError) -> SeatOutcome
    /// Active seats per scope name, each count at most `ScopeUsage.countLimit + 1`.
    func usage(_ request: SeatRequest) throws(StoreError) -> [String: ScopeUsage]
    /// Ends a user's instance in every scope of the license.
    func release(_ license: LicenseIdentity, user: SeatHash, instance: SeatHash) throws(StoreError)
    /// `/bind` (SPEC §13): binds the computer to the license unless `limit` computers are bound
    /// (`binding`) or the license is revoked, under the license's lock.
    func bind(_ license: LicenseIdentity, fingerprint: String, computer: SeatHash, limit: Int) throws(StoreError) -> BindingOutcome
    /// `/unbind` (SPEC §13): ends the computer's binding unless `limit` unbindings of the
    /// license happened in the last 30 days (`unbind-limit`).
    func unbind(_ license: LicenseIdentity, fingerprint: String, computer: SeatHash, limit: Int) throws(StoreError) -> BindingOutcome
    /// Whether the computer is bound to the license: rule 7 for a start another rule refuses
    /// anyway (a start that gets to its seat learns it from `seat`).
    func isBound(_ license: LicenseIdentity, computer: SeatHash) throws(StoreError) -> Bool
}

/// What became of a `/bind` or `/unbind`.
public enum BindingOutcome: Equatable, Sendable {
    /// Bound, or unbound: `bound` computers are bound to the license now.
    case done(bound: Int)
    /// `binding` (as many computers as the key allows are bound) or `unbind-limit`.
    case refused(CheckReason, bound: Int)
    /// The license or this key is revoked in this realm (rule 3).
    case revoked
    /// The store has no record of the license: register it, then ask again.
    case unregistered
}

/// A keyed hash of a user, instance or system ID (SPEC §4: the store never sees a raw one).
public struct SeatHash: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}

/// One scope a start asks for: the base product or an option, with the limits the key sets.
public struct SeatScope: Sendable, Equatable {
    /// `LicenseTerms.baseScope` or the option's name.
    public let name: String
    public let limits: LicenseTerms.Limits

    public init(name: String, limits: LicenseTerms.Limits) {
        self.name = name
        self.limits = limits
    }
}

/// A seat request: who asks for which scopes of which license (SPEC §4 rule 9).
public struct SeatRequest: Sendable {
    public let license: LicenseIdentity
    /// The fingerprint of the key presented, which may be revoked on its own.
    public let fingerprint: String
    /// The base product and each requested option; each name once.
    public let scopes: [SeatScope]
    public let user: SeatHash
    public let instance: SeatHash
    public let computer: SeatHash
    /// The rights this start debits (SPEC §2's `rights=` line, else one).
    public let rights: Int
    /// Rule 7 for a key its holder binds: the computer must be bound to the license (SPEC §13).
    public let computerMustBeBound: Bool
    /// A borrow (SPEC §14): the seat counts this many seconds from now, past its leases; nil: none.
    public let borrowSeconds: Int?

    public init(license: LicenseIdentity, fingerprint: String, scopes: [SeatScope], user: SeatHash, instance: SeatHash,
                computer: SeatHash, rights: Int = 1, computerMustBeBound: Bool = false, borrowSeconds: Int? = nil) {
        self.license = license
        self.fingerprint = fingerprint
        self.scopes = scopes
        self.user = user
        self.instance = instance
        self.computer = computer
        self.rights = rights
        self.computerMustBeBound = computerMustBeBound
        self.borrowSeconds = borrowSeconds
    }
}

/// What became of a seat request.
public enum SeatOutcome: Equatable, Sendable {
    /// The seat is active, refreshed or admitted, until `until` unless checked again: the moment
    /// the store counts it to (the leases the database counts with, or a borrow's end), for the
    /// signed answer's `until`; `lease` is the lease it was counted with, in seconds (a third of it is the heartbeat).
    /// `overdraftScopes`: the scopes in which it is past a limit, within their `overdraft=` (SPEC
    /// §15); `admitted`: it was admitted now (not refreshed).
    case seated(until: UTCTimestamp, leaseSeconds: Int64, overdraftScopes: [String] = [], admitted: Bool = false)
    /// The license or this key is revoked in this realm (rule 3).
    case revoked
    /// The request's computer had to be bound to the license and is not (rule 7, `system-id`).
    case computerNotBound
    /// A scope has no room: the limit's reason and the scope's name.
    case refused(CheckReason, scope: String)
    /// The store has no record of the license to admit against (the database was reset, or the
    /// row deleted, while the pool remembered registering it): register it, then ask again.
    case unregistered
}

/// Active seats of one scope, as the JSON answer shows them: `rights` is the sum of the running
/// instances' debits. Each count stops at
/// `countLimit + 1`: that figure means "more than `countLimit`", so that an answer costs the
/// same whatever the number of seats.
public struct ScopeUsage: Equatable, Sendable {
    /// The largest count shown exactly.
    public static let countLimit = 1000

    public var rights = 0
    public var users = 0
    public var hosts = 0

    public init(rights: Int = 0, users: Int = 0, hosts: Int = 0) {
        self.rights = rights
        self.users = users
        self.hosts = hosts
    }
}
