import Foundation
import LicenseCrypto

/// The server secret that keys the hashes of user, instance and computer IDs (SPEC §4), so
/// that the database can count them but not name them.
public struct ServerSecret: Sendable {
    /// The fewest bytes a secret may have.
    public static let minimumLength = 32

    private let bytes: [UInt8]

    /// Reads a secret file; a trailing newline is not part of the secret.
    public init(contentsOf path: String) throws(ServiceSetupError) {
        guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
            throw ServiceSetupError("cannot read secret file \(path)")
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        guard bytes.count >= Self.minimumLength else {
            throw ServiceSetupError("secret file \(path) holds \(bytes.count) bytes; it needs at least \(Self.minimumLength)")
        }
        self.bytes = bytes
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count >= Self.minimumLength)
        self.bytes = bytes
    }

    /// The kinds of ID that are hashed; the kind is part of the hashed message, so a user ID
    /// and a system ID that happen to be equal do not hash alike.
    public enum Kind: String, Sendable {
        case user, instance, computer
    }

    /// HMAC-SHA-256 of `kind:value`, as PostgreSQL's bytea hex input (`\x…`).
    public func hash(_ kind: Kind, _ value: String) -> String {
        "\\x" + Digest.hex(Digest.hmacSHA256(key: bytes, message: Array((kind.rawValue + ":" + value).utf8)))
    }
}

/// The service cannot start as configured: one line saying why.
public struct ServiceSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
