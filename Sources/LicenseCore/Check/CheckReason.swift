/// Why a check refuses a license: exactly the reason tokens of SPEC §3, in the order of SPEC §4.
public enum CheckReason: String, Sendable, CaseIterable, Equatable, Hashable {
    case malformedKey = "malformed-key"
    case unsupportedField = "unsupported-field"
    case unknownIssuer = "unknown-issuer"
    case badSignature = "bad-signature"
    case revoked
    case notYetValid = "not-yet-valid"
    case expired
    case product
    case version
    case host
    case systemID = "system-id"
    case option
    /// Rule 8: the code asks to borrow longer than the key allows, past its duration, or at all
    /// when the key has no `borrow=` (SPEC §14).
    case borrow
    case users
    case hosts
    case rights
    /// `/bind`: the key has no `bind=`, or as many computers as it allows are bound (SPEC §13).
    case binding
    /// `/unbind`: the license's unbindings of the last 30 days are used up (SPEC §13).
    case unbindLimit = "unbind-limit"

    /// Whether a check refused for this reason passed rules 3–6 (the license stands, and this
    /// program, revision and domain may use it) and failed only at the computer, options or
    /// seats: its domain and revision are worth recording.
    public var isAfterRuleSix: Bool {
        switch self {
        case .systemID, .option, .borrow, .users, .hosts, .rights: true
        default: false
        }
    }
}
