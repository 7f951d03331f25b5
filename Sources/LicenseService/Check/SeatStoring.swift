import LicenseCore

/// Where licenses and seats are kept (SPEC §4 rules 3, 9 and 10): PostgreSQL in the pool
/// (`LicenseStore.SeatStore`), memory in the handler's tests. One per worker thread.
///
/// What an implementation throws that is not `LicenseNotRegistered` answers 503 (clients
/// skip); conforming its errors to `StoreFailure` says whether the store was unavailable or
/// at fault, for the log.
public protocol SeatStoring: AnyObject {
    /// Whether the store answers (`/healthz`).
    func isHealthy() -> Bool
    /// Registers (or updates) the license of a key whose signature verified.
    func register(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws
    /// Whether the license, or the key of `fingerprint`, is revoked in its realm (or every realm).
    func isRevoked(_ license: LicenseIdentity, fingerprint: String) throws -> Bool
    /// Rule 3 and rules 9–10: refreshes the seat or admits it when every scope has room.
    /// Throws `LicenseNotRegistered` when the license has no record to admit against.
    func seat(_ request: SeatRequest) throws -> SeatOutcome
    /// Active seats per scope, each count at most `ScopeUsage.countLimit + 1`.
    func usage(_ request: SeatRequest) throws -> [String: ScopeUsage]
    /// Ends a user's instance in every scope of the license.
    func release(_ license: LicenseIdentity, userHash: String, instanceHash: String) throws
}

/// How a store failed, for the log: both kinds answer 503.
public enum StoreFailureKind: String, Sendable {
    /// Unreachable, going away or out of resources: nothing to mend here.
    case unavailable
    /// Up but too busy: a statement or lock wait timed out.
    case timedOut
    /// A fault of the schema, the configuration or the code: a person must look.
    case fault
}

/// An error a store classifies itself.
public protocol StoreFailure: Error {
    var failureKind: StoreFailureKind { get }
    /// The store's own code for it (an SQLSTATE), when it has one.
    var failureCode: String? { get }
}

/// A seat request: who asks for which scopes of which license (SPEC §4 rule 9). IDs are
/// already hashed; the store never sees a raw one.
public struct SeatRequest: Sendable {
    public let license: LicenseIdentity
    /// The fingerprint of the key presented, which may be revoked on its own.
    public let fingerprint: String
    /// The base product (`SeatRequest.baseScope`) and each requested option, with their limits; each name once.
    public let scopes: [(name: String, limits: LicenseTerms.Limits)]
    public let userHash: String
    public let instanceHash: String
    public let computerHash: String

    /// The base product's scope name in the store; options are named as in the key.
    public static let baseScope = ""

    public init(license: LicenseIdentity, fingerprint: String, scopes: [(name: String, limits: LicenseTerms.Limits)],
                userHash: String, instanceHash: String, computerHash: String) {
        self.license = license
        self.fingerprint = fingerprint
        self.scopes = scopes
        self.userHash = userHash
        self.instanceHash = instanceHash
        self.computerHash = computerHash
    }
}

/// An admission found no record of its license (the database was reset or the row deleted
/// while this pool remembered having registered it): register again, then retry.
public struct LicenseNotRegistered: Error {
    public init() {}
}

/// What became of a seat request.
public enum SeatOutcome: Equatable, Sendable {
    /// The seat is active: refreshed, or admitted.
    case seated
    /// The license or this key is revoked in this realm (rule 3).
    case revoked
    /// A scope has no room: the limit's reason and the scope's name.
    case refused(CheckReason, scope: String)
}

/// Active seats of one scope, as the JSON answer shows them. Each count stops at
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
