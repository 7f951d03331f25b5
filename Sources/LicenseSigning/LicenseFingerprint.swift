import LicenseCore
import LicenseCrypto

extension LicenseTerms {
    /// The first 16 lower-case hex digits of SHA-256 of the signed message (SPEC §1).
    public var fingerprint: String {
        String(Digest.hex(Digest.sha256(Array(signedMessage.utf8))).prefix(16))
    }

    /// The license's identity for seats: its `id`, else its fingerprint.
    public var licenseID: String {
        id ?? fingerprint
    }
}
