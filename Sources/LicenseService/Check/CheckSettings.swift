import LicenseSigning
import Foundation
import LicenseCore
import Logging

/// What the check handlers are configured with: the pool's settings, fixed at start.
public struct CheckSettings: Sendable {
    public let realms: RealmIssuers
    public let secret: ServerSecret
    /// This server's own system ID, which floating keys may be bound to (rule 7).
    public let serverSystemID: String?
    /// Today in UTC; a function so that tests can move the clock.
    public let today: @Sendable () -> LicenseDate
    /// The clock of signed answers (`t`, `until`).
    public let now: @Sendable () -> UTCTimestamp
    public let logger: Logger
    /// The realms' answer keys (SPEC §7); a realm without one answers unsigned.
    public let answerKeys: AnswerKeys
    /// How many unbindings a license may have in any 30 days (SPEC §13, `--unbind-limit`).
    public let unbindLimit: Int

    /// The unbindings a license may have in 30 days when the pool is not told otherwise.
    public static let defaultUnbindLimit = 3

    public init(realms: RealmIssuers, secret: ServerSecret, serverSystemID: String?, logger: Logger,
                answerKeys: AnswerKeys = AnswerKeys(), unbindLimit: Int = CheckSettings.defaultUnbindLimit,
                now: @escaping @Sendable () -> UTCTimestamp = CheckSettings.systemClock,
                today: @escaping @Sendable () -> LicenseDate) {
        self.realms = realms
        self.secret = secret
        self.serverSystemID = serverSystemID
        self.today = today
        self.now = now
        self.logger = logger
        self.answerKeys = answerKeys
        self.unbindLimit = unbindLimit
    }

    /// This computer's clock, in whole seconds.
    public static let systemClock: @Sendable () -> UTCTimestamp = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UTCTimestamp(secondsSince1970: Int64(now.tv_sec))
    }
}

/// What the pool's workers share besides settings: the caches that spare a check work, and the
/// usage counters. One of each per pool.
public struct SharedCheckState: Sendable {
    /// Rules 1–2 of a key text, computed once per realm.
    public let keyCache: VerifiedKeyCache
    /// Which licenses were registered in the last minute.
    public let registrations: RegistrationMemo
    /// Realms nginx named that have no issuers folder, each logged once.
    public let unknownRealms: UnknownRealms
    /// Checks, denials and clients counted for the usage history.
    public let usage: UsageCounters
    /// The pool's own figures for `/metrics`.
    public let metrics: PoolMetrics

    public init(metrics: PoolMetrics, keyCache: VerifiedKeyCache = VerifiedKeyCache(),
                registrations: RegistrationMemo = RegistrationMemo(), unknownRealms: UnknownRealms = UnknownRealms(),
                usage: UsageCounters = UsageCounters()) {
        self.metrics = metrics
        self.keyCache = keyCache
        self.registrations = registrations
        self.unknownRealms = unknownRealms
        self.usage = usage
    }
}
