import LicenseCore
import LicenseCrypto

extension LicenseTerms {
    /// The first 16 lower-case hex digits of SHA-256 of the signed message (SPEC §1).
    public var fingerprint: String {
        String(Digest.hex(Digest.sha256(Array(signedMessage.utf8))).prefix(16))
    }

    /// The license's id (SPEC §1): its `id`, else its fingerprint.
    public var licenseID: String {
        licenseID(fingerprint: fingerprint)
    }

    /// The same, with the fingerprint already at hand.
    public func licenseID(fingerprint: String) -> String {
        id ?? fingerprint
    }
}

/// The SHA-256 of a key line's bytes, which the pool's key cache is keyed by (a key line may be 4 KiB).
public func keyLineDigest(_ keyLine: [UInt8]) -> [UInt8] {
    Digest.sha256(keyLine)
}
