/// A key line that cannot be read: what is wrong and where.
public struct LicenseKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `.malformedKey` or `.unsupportedField`, as SPEC §1 distinguishes them.
    public let reason: CheckReason
    /// What is wrong, in one line, without echoing the key's values.
    public let message: String
    /// The 1-based byte column in the key line where the offending token starts, when known.
    public let column: Int?

    public init(_ reason: CheckReason, _ message: String, column: Int? = nil) {
        self.reason = reason
        self.message = message
        self.column = column
    }

    static func malformed(_ message: String, column: Int? = nil) -> LicenseKeyError {
        LicenseKeyError(.malformedKey, message, column: column)
    }

    public var description: String {
        if let column { return "\(reason.rawValue) at column \(column): \(message)" }
        return "\(reason.rawValue): \(message)"
    }
}
