import CLibPQ

/// A failed libpq call or statement, with the server's SQLSTATE when it sent one.
///
/// Every failure is classified here, once (`kind`): the callers decide what to answer and
/// what to log from the kind, never from message text.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// SQLSTATE codes the code reacts to, by name (PostgreSQL appendix A).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let lockNotAvailable = Code(rawValue: "55P03")
        public static let queryCanceled = Code(rawValue: "57014")
        public static let adminShutdown = Code(rawValue: "57P01")
        public static let crashShutdown = Code(rawValue: "57P02")
        public static let cannotConnectNow = Code(rawValue: "57P03")
        public static let readOnlySQLTransaction = Code(rawValue: "25006")

        /// The two-character class (`08` connection exception, `53` insufficient resources, …).
        public var errorClass: Substring { rawValue.prefix(2) }

        public var description: String { rawValue }
    }

    /// What a failure means for the caller.
    public enum Kind: String, Sendable, Equatable {
        /// The server could not be reached or is going away or out of resources (no SQLSTATE,
        /// class 08, 57P01–57P03, class 53), or takes no writes (25006: a standby, or a primary
        /// demoted under this connection): try again later, on a new connection if this one died.
        case unavailable
        /// The statement was cancelled by a time-out (57014) or could not get a lock in time
        /// (55P03): the server is up but busy; try again later.
        case timedOut
        /// Anything else (a missing table, a privilege, a constraint, an answer this code does not
        /// expect): a fault of the schema, the configuration or this code, which no retry mends.
        case fault
    }

    /// The SQLSTATE, or nil when the failure happened before or without the server (no connection).
    public let code: Code?
    /// libpq's or the server's message, first line only.
    public let message: String
    /// The failure's class; see `Kind`.
    public let kind: Kind

    /// A failure the server reported (or, without a code, libpq: no connection), classified by its SQLSTATE.
    public init(code: Code?, message: String) {
        self.init(code: code, kind: Self.kind(of: code), message: message)
    }

    /// A failure whose kind is known otherwise (a result that lacks what this code expects).
    public init(code: Code?, kind: Kind, message: String) {
        self.code = code
        self.kind = kind
        self.message = message
    }

    /// SQLSTATE classes 08, 53, 57P01–57P03 and 25006 mean unavailable, 57014 and 55P03 timed out, the rest a fault.
    static func kind(of code: Code?) -> Kind {
        guard let code else { return .unavailable }
        switch code {
        case .queryCanceled, .lockNotAvailable: return .timedOut
        case .adminShutdown, .crashShutdown, .cannotConnectNow, .readOnlySQLTransaction: return .unavailable
        default: return code.errorClass == "08" || code.errorClass == "53" ? .unavailable : .fault
        }
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
