import CLibPQ

/// The rows of a statement, copied out of libpq's `PGresult` (which is freed at once): small
/// results, read by column name as typed values.
public struct PostgresRows: Sendable {
    public let columns: [String]
    /// Each row's values in text format; nil for SQL NULL. Read them through `PostgresRow`.
    let values: [[String?]]

    init(taking result: OpaquePointer) {
        defer { PQclear(result) }
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        values = (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1 ? nil
                    : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
        }
    }

    /// The rows, in order.
    public var rows: [PostgresRow] { values.indices.map { PostgresRow(rows: self, index: $0) } }

    public var isEmpty: Bool { values.isEmpty }
    public var count: Int { values.count }

    /// The only row of a statement that returns exactly one; anything else is a fault.
    public func single() throws(PostgresError) -> PostgresRow {
        guard values.count == 1 else {
            throw PostgresError(code: nil, kind: .fault, message: "expected one row, the statement returned \(values.count)")
        }
        return PostgresRow(rows: self, index: 0)
    }
}

/// One row of `PostgresRows`. A column the statement did not return, a NULL where the caller
/// wants a value, or a value that is not of the type asked for is a `.fault` error, never a
/// default and never a trap: the schema and this code disagree, and a request must not kill the
/// pool for it.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    /// The text of `column`, nil for NULL.
    private func raw(_ column: String) throws(PostgresError) -> String? {
        guard let position = rows.columns.firstIndex(of: column) else {
            throw PostgresError(code: nil, kind: .fault, message: "the result has no column \(column) (it has \(rows.columns))")
        }
        return rows.values[index][position]
    }

    private func required(_ column: String) throws(PostgresError) -> String {
        guard let text = try raw(column) else {
            throw PostgresError(code: nil, kind: .fault, message: "column \(column) is NULL")
        }
        return text
    }

    private func parsed<T>(_ column: String, as type: String, _ parse: (String) -> T?) throws(PostgresError) -> T? {
        guard let text = try raw(column) else { return nil }
        guard let value = parse(text) else {
            throw PostgresError(code: nil, kind: .fault, message: "column \(column) is not \(type): \(text.prefix(40))")
        }
        return value
    }

    private func present<T>(_ value: T?, _ column: String) throws(PostgresError) -> T {
        guard let value else { throw PostgresError(code: nil, kind: .fault, message: "column \(column) is NULL") }
        return value
    }

    public func string(_ column: String) throws(PostgresError) -> String { try required(column) }
    public func optionalString(_ column: String) throws(PostgresError) -> String? { try raw(column) }

    public func optionalInteger(_ column: String) throws(PostgresError) -> Int64? { try parsed(column, as: "an integer") { Int64($0) } }
    public func integer(_ column: String) throws(PostgresError) -> Int64 { try present(try optionalInteger(column), column) }

    public func optionalDouble(_ column: String) throws(PostgresError) -> Double? { try parsed(column, as: "a number") { Double($0) } }

    public func boolean(_ column: String) throws(PostgresError) -> Bool {
        try present(try parsed(column, as: "a boolean") { $0 == "t" ? true : $0 == "f" ? false : nil }, column)
    }

    /// A one-dimensional `text[]` without NULL elements; NULL reads as empty.
    public func textArray(_ column: String) throws(PostgresError) -> [String] {
        try parsed(column, as: "a text array", Self.textArrayElements) ?? []
    }

    /// The elements of an array in PostgreSQL's text format, `{a,"b c","d\"e"}`; nil for
    /// another form (a NULL element, nested arrays, bounds).
    static func textArrayElements(_ text: String) -> [String]? {
        var scalars = Substring(text).unicodeScalars[...]
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        guard !scalars.isEmpty else { return [] }
        var elements: [String] = []
        while true {
            var element = String.UnicodeScalarView()
            if scalars.first == "\"" {
                scalars = scalars.dropFirst()
                while true {
                    guard let scalar = scalars.popFirst() else { return nil }
                    if scalar == "\"" { break }
                    if scalar == "\\" {
                        guard let escaped = scalars.popFirst() else { return nil }
                        element.append(escaped)
                    } else {
                        element.append(scalar)
                    }
                }
            } else {
                while let scalar = scalars.first, scalar != "," {
                    guard scalar != "{", scalar != "\"" else { return nil }
                    element.append(scalar)
                    scalars = scalars.dropFirst()
                }
                if String(element) == "NULL" { return nil }
            }
            elements.append(String(element))
            guard let separator = scalars.popFirst() else { return elements }
            guard separator == "," else { return nil }
        }
    }
}
