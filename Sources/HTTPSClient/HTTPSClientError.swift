/// Why an HTTPS exchange did not produce an answer.
public struct HTTPSClientError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The host name did not resolve.
        case unresolvable
        /// No connection: refused, or no route to the host.
        case unreachable
        /// The deadline passed: while connecting, in the handshake, or waiting for the answer.
        case timedOut
        /// The server's certificate did not verify for the host, or the handshake failed.
        case tls
        /// The CA file could not be loaded.
        case caFile
        /// The answer is not HTTP/1.1 as this client reads it, or is too large.
        case badAnswer
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
