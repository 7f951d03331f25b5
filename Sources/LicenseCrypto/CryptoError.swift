import COpenSSL

/// An OpenSSL call that failed, with the reasons OpenSSL queued for it.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in terms a caller can act on.
    public enum Code: Sendable, Equatable {
        /// The input is not a PEM file of the expected kind.
        case invalidPEM
        /// The key is of another algorithm than Ed25519.
        case notEd25519
        /// A raw key or signature has the wrong length.
        case invalidLength
        /// OpenSSL failed for a reason of its own (out of memory, internal error).
        case library
    }

    public let code: Code
    /// The OpenSSL operation, for the message.
    public let operation: String
    /// OpenSSL's own error strings, oldest first; may be empty.
    public let reasons: [String]

    public init(_ code: Code, operation: String, reasons: [String] = []) {
        self.code = code
        self.operation = operation
        self.reasons = reasons
    }

    public var description: String {
        reasons.isEmpty ? "\(operation) failed" : "\(operation) failed: \(reasons.joined(separator: "; "))"
    }

    /// The error of `operation`, with every reason OpenSSL queued for it.
    static func drainQueue(_ code: Code, operation: String) -> CryptoError {
        CryptoError(code, operation: operation, reasons: OpenSSLErrorQueue.drain())
    }
}

/// OpenSSL's per-thread queue of error reasons, in one place for every wrapper of OpenSSL.
public enum OpenSSLErrorQueue {
    /// Takes every error OpenSSL queued on this thread, oldest first, so that the next call starts clean.
    public static func drain() -> [String] {
        var reasons: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while license_openssl_next_error(&buffer, buffer.count) == 1 {
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons
    }
}

/// Turns OpenSSL's "1 is success" return convention into a thrown `CryptoError`, in one place.
@inline(__always)
func requireSuccess(_ result: Int32, _ operation: String, code: CryptoError.Code = .library) throws {
    if result != 1 {
        throw CryptoError.drainQueue(code, operation: operation)
    }
}
