/// Why a check could not be made or answered; unlike `CheckOutcome.skipped`, these are mistakes
/// to fix (a bad key file, a wrong CA, a server that rejects the code), never a reason to run.
public struct LicenseClientError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The configuration is unusable: the server URL, the key file, a field of the code.
        case configuration
        /// The user ID file cannot be read or written.
        case userIDFile
        /// The server's certificate did not verify, or the CA file cannot be loaded.
        case tls
        /// The server answered 400: it names what is wrong with the code.
        case rejected
        /// An answer this client does not understand (another status, another body).
        case unexpectedAnswer
        /// The server cannot be reached, or is busy or without its database: for a request that
        /// is no startup check (`bind`, `unbind`), which cannot be skipped.
        case unavailable
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
