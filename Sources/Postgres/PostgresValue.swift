/// A statement parameter: the Swift values this project binds, each sent in PostgreSQL's text
/// format, spelled here and nowhere above (no `"t"`, array literal or `\x` outside this module).
///
/// Text rather than binary format: every parameter is a short key, a few hashes or a short
/// array, cheap for the server to parse next to the statement it feeds; binary would need each
/// type's OID and wire layout here (docs/decisions.md).
public enum PostgresValue: Sendable, Equatable {
    case null
    case text(String)
    case integer(Int64)
    case boolean(Bool)
    case bytes([UInt8])
    /// A `text[]`; its elements are never NULL.
    case textArray([String])
    /// A `bigint[]`; nil elements are NULL.
    case integerArray([Int64?])

    /// An optional text: `.null` when nil.
    public static func text(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }

    /// An integer in `bigint` range.
    public static func integer(_ value: Int) -> PostgresValue { .integer(Int64(value)) }

    /// The text format of the value (nil for NULL), as `PQexecParams` takes it.
    var textFormat: String? {
        switch self {
        case .null: return nil
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .boolean(let value): return value ? "t" : "f"
        case .bytes(let value): return "\\x" + Self.hex(value)
        case .textArray(let values): return Self.arrayLiteral(values)
        case .integerArray(let values): return "{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}"
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            digits.append(hexDigits[Int(byte >> 4)])
            digits.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// `{"a","b"}`: every element quoted, `"` and `\` escaped, so that no value (`NULL`, a comma, a
    /// brace, a quote) changes the array's shape.
    static func arrayLiteral(_ values: [String]) -> String {
        var literal = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { literal += "," }
            literal += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return literal + "}"
    }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }
}
