import LicenseCore

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
                licenseID = key.terms.licenseID(fingerprint: fingerprint)
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

    private struct RecentKey: Hashable {
        let realm: String
        let keyLine: [UInt8]
    }

    /// One decision, shared by reference between the pool's cache and the shards, so that a
    /// shard's entry costs its key and a pointer.
    private final class Shared: Sendable {
        let authentication: Authentication
        init(_ authentication: Authentication) { self.authentication = authentication }
    }

    private let capacity: Int
    /// The pool's one cache: a key text is verified once, whichever worker sees it first.
    private let entries = Mutex<[Entry: Shared]>([:])
    /// Each group of workers' recent keys, by their text: the common path takes no shared lock
    /// and computes no digest.
    private let recent: ThreadShards<[RecentKey: Shared]>

    public init(capacity: Int = 4096) {
        self.capacity = capacity
        recent = ThreadShards(count: 8) { [:] }
    }

    /// Rules 1–2 for `keyLine` in `realm`, computed at most once while cached.
    public func authenticate(keyLine: [UInt8], realm: String, issuers: some TrustedIssuers) -> Authentication {
        let recentKey = RecentKey(realm: realm, keyLine: keyLine)
        if let known = recent.withCurrentShard({ $0[recentKey] }) { return known.authentication }
        // The digest, not the text, is the shared cache's key: 32 bytes per entry whatever the key's size.
        let entry = Entry(realm: realm, keyDigest: keyLineDigest(keyLine))
        let shared: Shared
        if let cached = entries.withLock({ $0[entry] }) {
            shared = cached
        } else {
            shared = Shared(Authentication(LicenseCheck.authenticate(keyLine: keyLine, issuers: issuers)))
            entries.withLock { entries in
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[entry] = shared
            }
        }
        recent.withCurrentShard { recent in
            if recent.count >= 2048 { recent.removeAll(keepingCapacity: true) }
            recent[recentKey] = shared
        }
        return shared.authentication
    }

    /// How many decisions are cached.
    public var count: Int { entries.withLock { $0.count } }
}
