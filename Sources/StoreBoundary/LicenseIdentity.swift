import LicenseCore


/// Which license a verified key belongs to (SPEC §1): in a realm, keys with the same issuer,
/// product and id are one license and share its seats; the same id from another issuer or for
/// another product is another license.
public struct LicenseIdentity: Hashable, Sendable {
    public let realm: String
    public let issuer: String
    public let product: String
    /// The key's `id=`, else its fingerprint.
    public let id: String

    public init(realm: String, issuer: String, product: String, id: String) {
        self.realm = realm
        self.issuer = issuer
        self.product = product
        self.id = id
    }

    /// The license of `key`, verified in `realm`.
    public init(realm: String, key: LicenseKey, id: String) {
        self.init(realm: realm, issuer: key.issuer, product: key.product, id: id)
    }

    /// What refusals of keys that never verified are counted under: they name no license one can trust.
    public static func unverified(realm: String) -> LicenseIdentity {
        LicenseIdentity(realm: realm, issuer: "", product: "", id: "")
    }
}
