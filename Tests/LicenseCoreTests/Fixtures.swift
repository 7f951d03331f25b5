import LicenseCore
import LicenseCrypto
import LicenseSigning

/// Issuers and signed keys shared by the core's tests; one key pair per process.
enum Fixtures {
    static let issuer = IssuerSigningKey(privateKey: try! Ed25519PrivateKey.generate())
    static let otherIssuer = IssuerSigningKey(privateKey: try! Ed25519PrivateKey.generate())
    /// A realm that trusts `issuer` as `default` and `otherIssuer` as `partner`.
    static let trusted = IssuerKeys(keys: ["default": try! issuer.privateKey.publicKey,
                                           "partner": try! otherIssuer.privateKey.publicKey])

    /// A well-formed signature field that signs nothing, for tests of the key's form.
    static let placeholderSignature = "signature=" + SignatureText.encode([UInt8](repeating: 0, count: 64))

    /// The fields of SPEC §1's example key, without its signature.
    static let specExampleFields = [
        "version=7.1", "type=floating", "rights=10", "users=5", "hosts=4", "option=Vario", "option=Channel",
        "rights=20", "option=DynamicServer", "hosts=1", "duration=11Dec2004-10Dec2006",
        "maintenance=11Dec2004-10Dec2005", "systemid=Sol_8068b73c", "systemid=Eth_08:00:2b:15:c7:d5", "host=example.com",
    ]

    static func terms(_ product: String, _ fields: [String]) throws -> LicenseTerms {
        try LicenseTerms(product: product, fields: fields.map { field in
            let equals = field.firstIndex(of: "=")!
            return LicenseTerms.Field(String(field[..<equals]), String(field[field.index(after: equals)...]))
        })
    }

    /// A key signed by `signer`.
    static func signedKey(_ product: String = "X-META-X", _ fields: [String], by signer: IssuerSigningKey = issuer) throws -> LicenseKey {
        try signer.sign(terms(product, fields))
    }
}
