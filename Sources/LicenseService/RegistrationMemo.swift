import Foundation
import Synchronization

/// Which licenses this pool registered lately, so that registration costs a statement once a
/// minute per license and not once per check; `last_seen` of a license is that fresh.
public final class RegistrationMemo: Sendable {
    private let interval: TimeInterval
    private let lastRegistered = Mutex<[String: Date]>([:])

    public init(interval: TimeInterval = 60) {
        self.interval = interval
    }

    public func needsRegistration(realm: String, fingerprint: String) -> Bool {
        let now = Date()
        return lastRegistered.withLock { memo in
            guard let last = memo[realm + "/" + fingerprint] else { return true }
            return now.timeIntervalSince(last) >= interval
        }
    }

    public func registered(realm: String, fingerprint: String) {
        let now = Date()
        lastRegistered.withLock { memo in
            if memo.count > 100_000 { memo.removeAll() }
            memo[realm + "/" + fingerprint] = now
        }
    }
}
