/// Why a store could not answer; every kind answers 503 (SPEC §3: clients skip the check).
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// Unreachable, going away or out of resources: nothing to mend here.
        case unavailable
        /// Up but too busy: a statement or lock wait timed out.
        case timedOut
        /// A fault of the schema, the configuration or the code: a person must look.
        case fault
    }

    public let kind: Kind
    /// The store's own code for it (an SQLSTATE), when it has one.
    public let code: String?
    /// One line for the log; never a parameter (no ID reaches the log).
    public let message: String

    public init(kind: Kind, code: String? = nil, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String {
        code.map { "\(message) (SQLSTATE \($0))" } ?? message
    }
}
