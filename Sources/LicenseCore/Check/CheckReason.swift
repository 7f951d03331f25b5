/// Why a check refuses a license: exactly the reason tokens of SPEC §3, in the order of SPEC §4.
public enum CheckReason: String, Sendable, CaseIterable, Equatable, Hashable {
    case malformedKey = "malformed-key"
    case unsupportedField = "unsupported-field"
    case unknownIssuer = "unknown-issuer"
    case badSignature = "bad-signature"
    case revoked
    case notYetValid = "not-yet-valid"
    case expired
    case version
    case host
    case systemID = "system-id"
    case option
    case users
    case hosts
    case rights
}
