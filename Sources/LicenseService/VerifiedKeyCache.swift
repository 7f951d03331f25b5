import LicenseCore
import LicenseCrypto
import LicenseSigning
import Synchronization

/// Rules 1–2 of a key text already seen, with what is derived from a verified key, so that a
/// key's Ed25519 signature (about 150 µs) and its fingerprint are computed once per realm, not
/// once per check. Bounded: when full, it starts over, which costs one verification per key and
/// never a wrong answer.
public final class VerifiedKeyCache: Sendable {
    /// What rules 1–2 said of a key text, and the identity of the license when they passed.
    public struct Authentication: Sendable {
        public let decision: CheckDecision
        /// The license ID (`id=`, else the fingerprint), for a key that verified.
        public let licenseID: String
        /// The fingerprint, for a key that verified.
        public let fingerprint: String

        init(_ decision: CheckDecision) {
            self.decision = decision
            if case .valid(let key) = decision {
                fingerprint = key.fingerprint
                licenseID = key.id ?? fingerprint
            } else {
                fingerprint = ""
                licenseID = ""
            }
        }
    }

    private struct Entry: Hashable {
        let realm: String
        let keyDigest: [UInt8]
    }

    private let capacity: Int
    private let entries = Mutex<[Entry: Authentication]>([:])

    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// Rules 1–2 for `keyLine` in `realm`, computed at most once while cached.
    public func authenticate(keyLine: [UInt8], realm: String, issuers: some TrustedIssuers) -> Authentication {
        // The digest, not the text, is the cache key: 32 bytes per entry whatever the key's size.
        let entry = Entry(realm: realm, keyDigest: Digest.sha256(keyLine))
        if let cached = entries.withLock({ $0[entry] }) { return cached }
        let authentication = Authentication(LicenseCheck.authenticate(keyLine: keyLine, issuers: issuers))
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[entry] = authentication
        }
        return authentication
    }

    /// How many decisions are cached.
    public var count: Int { entries.withLock { $0.count } }
}
