import CLibPQ

/// The rows of a statement, copied out of libpq's `PGresult` (which is freed at once), in
/// text format: small results, read by column name or index.
public struct PostgresRows: Sendable {
    public let columns: [String]
    /// Each row's values; nil for SQL NULL.
    public let rows: [[String?]]
    /// The count in the command tag (rows updated, inserted, deleted).
    public let affectedRows: Int

    init(taking result: OpaquePointer) {
        defer { PQclear(result) }
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        rows = (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1 ? nil
                    : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
        }
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The value of `column` in row `row` (nil for SQL NULL). A row or column the statement
    /// did not return is an error, not a trap: the schema and this code disagree, and a request
    /// must not kill the pool for it.
    public subscript(row: Int, column: String) -> String? {
        get throws(PostgresError) {
            guard let index = columns.firstIndex(of: column) else {
                throw PostgresError(code: nil, kind: .fault, message: "the result has no column \(column) (it has \(columns))")
            }
            guard rows.indices.contains(row) else {
                throw PostgresError(code: nil, kind: .fault, message: "the result has no row \(row) (it has \(rows.count))")
            }
            return rows[row][index]
        }
    }
}
