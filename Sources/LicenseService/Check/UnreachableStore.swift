import LicenseCore
import StoreBoundary

/// The store of a worker that has no database connection yet: every call fails as
/// unavailable, so that the routes answer as they do when a connection drops (`/check` and
/// `/release` 503 and counted, `/healthz` 503) and `/metrics` still answers.
public final class UnreachableStore: SeatStoring {
    private let failure: StoreError

    /// - Parameter reason: why the store could not be reached (the connection's error, for the log).
    public init(reason: String) {
        failure = StoreError(kind: .unavailable, message: reason)
    }

    public func isHealthy() -> Bool { false }
    public func register(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws(StoreError) { throw failure }
    public func isRevoked(_ license: LicenseIdentity, fingerprint: String) throws(StoreError) -> Bool { throw failure }
    public func seat(_ request: SeatRequest) throws(StoreError) -> SeatOutcome { throw failure }
    public func usage(_ request: SeatRequest) throws(StoreError) -> [String: ScopeUsage] { throw failure }
    public func release(_ license: LicenseIdentity, user: SeatHash, instance: SeatHash) throws(StoreError) { throw failure }
    public func bind(_ license: LicenseIdentity, fingerprint: String, computer: SeatHash, limit: Int) throws(StoreError) -> BindingOutcome {
        throw failure
    }
    public func unbind(_ license: LicenseIdentity, fingerprint: String, computer: SeatHash, limit: Int) throws(StoreError) -> BindingOutcome {
        throw failure
    }
    public func isBound(_ license: LicenseIdentity, computer: SeatHash) throws(StoreError) -> Bool { throw failure }
}
