import Foundation
import LicenseCrypto

/// The server secret that keys the hashes of user, instance and computer IDs (SPEC §4), so
/// that the database can count them but not name them.
public struct ServerSecret: Sendable {
    /// The fewest bytes a secret may have.
    public static let minimumLength = 32

    private let bytes: [UInt8]

    /// Reads a secret file: either raw bytes (the package's 32 random bytes), all of which are
    /// the secret, or a line of text (`head -c 32 /dev/urandom | base64`), whose line end is not.
    public init(contentsOf path: String) throws(ServerSecretError) {
        guard let contents = FileManager.default.contents(atPath: path).map(Array.init) else {
            throw ServerSecretError("cannot read secret file \(path)")
        }
        let bytes = Self.secret(inFile: contents)
        guard bytes.count >= Self.minimumLength else {
            throw ServerSecretError("secret file \(path) holds \(bytes.count) bytes; it needs at least \(Self.minimumLength)")
        }
        self.bytes = bytes
    }

    /// The secret a file holds. Random bytes end in a newline byte one time in 256; only text
    /// loses its line end, so such a secret keeps all its bytes.
    static func secret(inFile contents: [UInt8]) -> [UInt8] {
        var line = contents[...]
        if line.last == 0x0A { line.removeLast() }
        if line.last == 0x0D { line.removeLast() }
        let isText = line.allSatisfy { (0x20...0x7E).contains($0) }
        return isText ? Array(line) : contents
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

    /// HMAC-SHA-256 of `kind:value`.
    public func hash(_ kind: Kind, _ value: String) -> [UInt8] {
        Digest.hmacSHA256(key: bytes, message: Array((kind.rawValue + ":" + value).utf8))
    }
}

/// A secret file that cannot be used: one line saying why.
public struct ServerSecretError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
