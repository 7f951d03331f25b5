import Foundation
import LicenseCore
import LicenseCrypto

/// The public keys of the issuers one realm trusts: file `NAME.pem` in its folder is issuer
/// `NAME` (SPEC §1). Loaded once at start-up and then only read, so it is shared by threads.
public struct IssuerKeys: TrustedIssuers {
    public let keys: [String: Ed25519PublicKey]

    public init(keys: [String: Ed25519PublicKey]) {
        self.keys = keys
    }

    /// Loads every `NAME.pem` of `directory`; other files (such as `NAME.key`) and folders are
    /// left alone. A `.pem` file that is not an Ed25519 public key is an error, not skipped:
    /// a server must not start with fewer issuers than its operator gave it.
    public init(directory: String) throws(IssuerKeysError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw IssuerKeysError("cannot read issuers directory \(directory)")
        }
        var keys: [String: Ed25519PublicKey] = [:]
        for fileName in names.sorted() where fileName.hasSuffix(".pem") {
            let path = directory + "/" + fileName
            let issuer = String(fileName.dropLast(4))
            guard LicenseTerms.isIssuerName(issuer) else {
                throw IssuerKeysError("\(path): '\(issuer)' is not a valid issuer name")
            }
            guard let pem = FileManager.default.contents(atPath: path) else {
                throw IssuerKeysError("cannot read \(path)")
            }
            do {
                keys[issuer] = try Ed25519PublicKey(pem: Array(pem))
            } catch {
                throw IssuerKeysError("\(path) is not an Ed25519 public key (\(error))")
            }
        }
        self.keys = keys
    }

    public func verdict(for key: LicenseKey) -> SignatureVerdict {
        guard let publicKey = keys[key.issuer] else { return .unknownIssuer }
        // A failure inside OpenSSL (out of memory) cannot vouch for the key, so it counts as bad.
        let verifies = (try? publicKey.isValidSignature(key.signature, for: Array(key.signedMessage.utf8))) ?? false
        return verifies ? .verified : .badSignature
    }
}

/// An issuers directory that cannot be used, with the file at fault.
public struct IssuerKeysError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
