import Postgres
import StoreBoundary

extension StoreError {
    /// Runs `body`; PostgreSQL's error, a row that is not what the SQL promises included, as the
    /// store's.
    static func translating<T>(_ body: () throws(PostgresError) -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw StoreError(error)
        }
    }

    /// PostgreSQL's error, classified by its SQLSTATE (`PostgresError.kind`).
    init(_ error: PostgresError) {
        let kind: Kind = switch error.kind {
        case .unavailable: .unavailable
        case .timedOut: .timedOut
        case .fault: .fault
        }
        self.init(kind: kind, code: error.code?.rawValue, message: error.message)
    }
}
