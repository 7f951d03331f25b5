import Foundation
import LicenseCore
import LicenseCrypto
import SystemCalls

/// An issuer's private key, which signs license keys: the vendor's side of SPEC §1.
public struct IssuerSigningKey: Sendable {
    public let privateKey: Ed25519PrivateKey

    public init(privateKey: Ed25519PrivateKey) {
        self.privateKey = privateKey
    }

    /// Reads a PKCS#8 PEM private key file (`NAME.key`).
    public init(contentsOf path: String) throws(IssuerKeysError) {
        guard let pem = FileManager.default.contents(atPath: path) else {
            throw IssuerKeysError("cannot read signing key \(path)")
        }
        do {
            privateKey = try Ed25519PrivateKey(pem: Array(pem))
        } catch {
            throw IssuerKeysError("\(path) is not an Ed25519 private key (\(error))")
        }
    }

    /// The signed key for `terms`.
    public func sign(_ terms: LicenseTerms) throws -> LicenseKey {
        LicenseKey(terms: terms, signature: try privateKey.signature(for: Array(terms.signedMessage.utf8)))
    }

    /// Writes a new key pair as `directory/NAME.key` (PKCS#8, mode 0600) and
    /// `directory/NAME.pem` (SubjectPublicKeyInfo, mode 0644), never over existing files.
    public static func generateFiles(in directory: String, name: String) throws -> (privateKeyPath: String, publicKeyPath: String) {
        guard LicenseTerms.isIssuerName(name) else {
            throw IssuerKeysError("'\(name)' is not a valid issuer name (1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.')")
        }
        let key = try Ed25519PrivateKey.generate()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let privatePath = directory + "/" + name + ".key"
        let publicPath = directory + "/" + name + ".pem"
        for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw IssuerKeysError("\(path) exists already; keygen never replaces a key")
        }
        try writeNewFile(privatePath, contents: try key.pem(), mode: 0o600)
        try writeNewFile(publicPath, contents: try key.publicKey.pem(), mode: 0o644)
        return (privatePath, publicPath)
    }

    /// A new key file; the public key stays readable by the server whatever the umask.
    private static func writeNewFile(_ path: String, contents: [UInt8], mode: mode_t) throws(IssuerKeysError) {
        do {
            try createNewFile(path, contents, mode: mode)
        } catch {
            throw IssuerKeysError(error.description)
        }
    }
}
