import LicenseCore

/// The store of a worker that has no database connection yet: every call fails as
/// unavailable, so that the routes answer as they do when a connection drops (`/check` and
/// `/release` 503 and counted, `/healthz` 503) and `/metrics` still answers.
public final class UnreachableStore: SeatStoring {
    /// Why the store could not be reached (the connection's error, for the log).
    public struct Failure: StoreFailure, CustomStringConvertible {
        public let description: String
        public var failureKind: StoreFailureKind { .unavailable }
        public var failureCode: String? { nil }
    }

    private let failure: Failure

    public init(reason: String) {
        failure = Failure(description: reason)
    }

    public func isHealthy() -> Bool { false }
    public func register(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws { throw failure }
    public func isRevoked(_ license: LicenseIdentity, fingerprint: String) throws -> Bool { throw failure }
    public func seat(_ request: SeatRequest) throws -> SeatOutcome { throw failure }
    public func usage(_ request: SeatRequest) throws -> [String: ScopeUsage] { throw failure }
    public func release(_ license: LicenseIdentity, userHash: String, instanceHash: String) throws { throw failure }
}
