import LicenseCore
import LicenseCrypto
import Synchronization

/// Rules 1–2 of a key text already seen, so that a key's Ed25519 signature (about 150 µs) is
/// verified once per realm, not once per check. Bounded: when full, it starts over, which
/// costs one verification per key and never a wrong answer.
public final class VerifiedKeyCache: Sendable {
    private struct Entry: Hashable {
        let realm: String
        let keyDigest: [UInt8]
    }

    private let capacity: Int
    private let entries = Mutex<[Entry: CheckDecision]>([:])

    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The decision of rules 1–2 for `keyLine` in `realm`, computed at most once while cached.
    public func authenticate(keyLine: [UInt8], realm: String, issuers: some TrustedIssuers) -> CheckDecision {
        // The digest, not the text, is the cache key: 32 bytes per entry whatever the key's size.
        let entry = Entry(realm: realm, keyDigest: Digest.sha256(keyLine))
        if let cached = entries.withLock({ $0[entry] }) { return cached }
        let decision = LicenseCheck.authenticate(keyLine: keyLine, issuers: issuers)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[entry] = decision
        }
        return decision
    }

    /// How many decisions are cached.
    public var count: Int { entries.withLock { $0.count } }
}
