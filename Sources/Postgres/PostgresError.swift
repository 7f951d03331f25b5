import CLibPQ

/// A failed libpq call or statement, with the server's SQLSTATE when it sent one.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// SQLSTATE codes the code reacts to, by name (PostgreSQL appendix A).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let uniqueViolation = Code(rawValue: "23505")
        public static let serializationFailure = Code(rawValue: "40001")
        public static let deadlockDetected = Code(rawValue: "40P01")
        public static let lockNotAvailable = Code(rawValue: "55P03")
        public static let queryCanceled = Code(rawValue: "57014")
        public static let adminShutdown = Code(rawValue: "57P01")
        public static let cannotConnectNow = Code(rawValue: "57P03")
        public static let insufficientPrivilege = Code(rawValue: "42501")
        public static let undefinedTable = Code(rawValue: "42P01")

        public var description: String { rawValue }
    }

    /// The SQLSTATE, or nil when the failure happened before or without the server (no connection).
    public let code: Code?
    /// libpq's or the server's message, first line only.
    public let message: String

    public init(code: Code?, message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the database could not be reached or gave up on the statement (time-outs, lock
    /// waits, shutdown): a client should be told to retry later, not that its request was wrong.
    public var isUnavailable: Bool {
        guard let code else { return true }
        return [.queryCanceled, .lockNotAvailable, .adminShutdown, .cannotConnectNow].contains(code)
            || code.rawValue.hasPrefix("08") || code.rawValue.hasPrefix("53")
    }

    public var description: String {
        code.map { "\(message) (SQLSTATE \($0.rawValue))" } ?? message
    }

    static func firstLine(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown libpq error" }
        let message = String(cString: text)
        return String(message.split(separator: "\n", omittingEmptySubsequences: true).first ?? "unknown libpq error")
    }
}
