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

    /// The value of `column` in row `row`.
    public subscript(row: Int, column: String) -> String? {
        guard let index = columns.firstIndex(of: column) else {
            preconditionFailure("no column \(column) in \(columns)")
        }
        return rows[row][index]
    }
}
