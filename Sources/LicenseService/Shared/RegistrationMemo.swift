import Foundation
import Synchronization

/// Which licenses this pool registered lately, so that registration costs a statement once a
/// minute per license and not once per check; `last_seen` of a license is that fresh. Workers
/// read their shard's copy of the times and reach the shared one only when theirs is stale.
///
/// The first worker to find a license due claims its registration; every other worker goes on
/// as if it were registered (a seat of a license the database does not know yet registers it
/// on the way). Without the claim, every worker that met the license in the same moment
/// registered it too, each waiting for the others' lock on the license's row (docs/performance.md,
/// issue 18).
public final class RegistrationMemo: Sendable {
    private struct Claim {
        /// When a worker of this pool claimed the license's registration.
        var time: Date
        /// Whether that registration is done; a shard copies only registrations that are.
        var isDone: Bool
    }

    private let interval: TimeInterval
    private let claims = Mutex<[String: Claim]>([:])
    private let recent = ThreadShards<[String: Date]>(count: 8) { [:] }

    public init(interval: TimeInterval = 60) {
        self.interval = interval
    }

    /// True for one caller per interval and license: that caller registers it, then calls
    /// `registered` or, when that failed, `registrationFailed`.
    public func claimRegistration(realm: String, fingerprint: String, now: Date = Date()) -> Bool {
        let key = Self.key(realm, fingerprint)
        if let seen = recent.withCurrentShard({ $0[key] }), now.timeIntervalSince(seen) < interval { return false }
        let current = claims.withLock { claims -> Claim? in
            if let claim = claims[key], now.timeIntervalSince(claim.time) < interval { return claim }
            if claims.count > 100_000 { claims.removeAll() }
            claims[key] = Claim(time: now, isDone: false)
            return nil
        }
        guard let current else { return true }
        if current.isDone { remember(key, current.time) }
        return false
    }

    /// The claimed registration is done.
    public func registered(realm: String, fingerprint: String) {
        let key = Self.key(realm, fingerprint)
        let time = claims.withLock { claims -> Date? in
            claims[key]?.isDone = true
            return claims[key]?.time
        }
        if let time { remember(key, time) }
    }

    /// The claimed registration failed (the database is away): the next check claims it again.
    public func registrationFailed(realm: String, fingerprint: String) {
        let key = Self.key(realm, fingerprint)
        _ = claims.withLock { $0.removeValue(forKey: key) }
    }

    private static func key(_ realm: String, _ fingerprint: String) -> String {
        realm + "/" + fingerprint
    }

    private func remember(_ key: String, _ time: Date) {
        recent.withCurrentShard { recent in
            if recent.count > 10_000 { recent.removeAll() }
            recent[key] = time
        }
    }
}
