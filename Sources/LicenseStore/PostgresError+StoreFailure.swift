import LicenseService
import Postgres

/// The check handler logs a store's failures by kind; PostgreSQL's are classified by SQLSTATE.
extension PostgresError: StoreFailure {
    public var failureKind: StoreFailureKind {
        switch kind {
        case .unavailable: .unavailable
        case .timedOut: .timedOut
        case .fault: .fault
        }
    }

    public var failureCode: String? { code?.rawValue }
}
