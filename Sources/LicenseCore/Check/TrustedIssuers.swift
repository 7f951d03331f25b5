/// What a realm's trusted issuers say of a key's signature (SPEC §4 rule 2).
public enum SignatureVerdict: Equatable, Sendable {
    case verified
    /// The realm trusts no issuer of the key's `issuer` name.
    case unknownIssuer
    /// The issuer is trusted but the signature is not its signature of this key.
    case badSignature
}

/// The issuers a realm trusts. The core only asks; the public keys and the cryptography live
/// in `LicenseSigning`, so that the core stays free of C and I/O.
public protocol TrustedIssuers: Sendable {
    /// Whether `key`'s signature is its issuer's signature of its canonical message.
    func verdict(for key: LicenseKey) -> SignatureVerdict
}
