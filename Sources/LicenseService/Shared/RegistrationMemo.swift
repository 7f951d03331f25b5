import Foundation
import Synchronization

/// Which licenses this pool registered lately, so that registration costs a statement once a
/// minute per license and not once per check; `last_seen` of a license is that fresh. Workers
/// read their shard's copy of the times and reach the shared one only when theirs is stale.
public final class RegistrationMemo: Sendable {
    private let interval: TimeInterval
    private let lastRegistered = Mutex<[String: Date]>([:])
    private let recent = ThreadShards<[String: Date]>(count: 8) { [:] }

    public init(interval: TimeInterval = 60) {
        self.interval = interval
    }

    public func needsRegistration(realm: String, fingerprint: String) -> Bool {
        let key = realm + "/" + fingerprint
        let now = Date()
        if let seen = recent.withCurrentShard({ $0[key] }), now.timeIntervalSince(seen) < interval { return false }
        guard let last = lastRegistered.withLock({ $0[key] }), now.timeIntervalSince(last) < interval else { return true }
        remember(key, last)
        return false
    }

    public func registered(realm: String, fingerprint: String) {
        let key = realm + "/" + fingerprint
        let now = Date()
        lastRegistered.withLock { memo in
            if memo.count > 100_000 { memo.removeAll() }
            memo[key] = now
        }
        remember(key, now)
    }

    private func remember(_ key: String, _ time: Date) {
        recent.withCurrentShard { recent in
            if recent.count > 10_000 { recent.removeAll() }
            recent[key] = time
        }
    }
}
