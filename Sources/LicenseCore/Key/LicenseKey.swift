/// A signed license key (SPEC §1): its terms and the Ed25519 signature over their canonical
/// message. Reading a key checks its form only; whether the signature verifies is for the
/// issuer's public key to say (`TrustedIssuers`).
@dynamicMemberLookup
public struct LicenseKey: Equatable, Sendable {
    public let terms: LicenseTerms
    /// The 64 signature bytes.
    public let signature: [UInt8]

    public init(terms: LicenseTerms, signature: [UInt8]) {
        // The parser passes what SignatureText.decode returned, always 64 bytes; other callers
        // sign or build keys themselves.
        precondition(signature.count == SignatureText.signatureLength, "an Ed25519 signature has 64 bytes")
        self.terms = terms
        self.signature = signature
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<LicenseTerms, Value>) -> Value {
        terms[keyPath: keyPath]
    }

    /// The key in canonical form: the signed message, then `signature=…`.
    public var line: String {
        terms.signedMessage + " signature=" + SignatureText.encode(signature)
    }

    /// Reads one key line (the line itself: no line breaks; blanks around it are ignored).
    public init(parsing line: some StringProtocol) throws(LicenseKeyError) {
        try self.init(parsingUTF8: Array(line.utf8))
    }

    /// Reads one key line from its bytes, which must be UTF-8 without control characters.
    public init(parsingUTF8 bytes: [UInt8]) throws(LicenseKeyError) {
        var parser = LicenseKeyParser(bytes)
        self = try parser.parse()
    }
}
