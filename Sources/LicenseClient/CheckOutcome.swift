import LicenseCore

/// What a program learns from its startup check (SPEC §2, §3).
public enum CheckOutcome: Equatable, Sendable {
    /// The license allows this start.
    case valid
    /// The license refuses this start, for the reason the server gave.
    case invalid(CheckReason)
    /// No answer (unreachable, timed out, busy, database down): run, and check at the next start.
    case skipped(String)
    /// An answer the answer key does not vouch for (SPEC §7): the program must not run on it.
    case forged(String)
    /// No answer, but the kept verified `valid` answer holds until then (`answerCache:`).
    case validOffline(until: UTCTimestamp)
    /// No answer and no kept one, with `failClosed`: the program must not run.
    case offline(String)
    /// No answer, and this computer's clock reads more than an hour before a time the server
    /// signed (SPEC §14, `invalid clock`): a kept answer is not used; the program must not run.
    case clock(String)
}

extension CheckOutcome {
    /// The line `licensectl check` prints for this outcome (and the C library's result text).
    public var line: String {
        switch self {
        case .valid: "valid"
        case .invalid(let reason): "invalid \(reason.rawValue)"
        case .skipped: "skipped: server unreachable"
        case .forged: "invalid forged-answer"
        case .validOffline(let until): "valid (offline until \(until))"
        case .offline: "invalid offline"
        case .clock: "invalid clock"
        }
    }

    /// Why, for standard error, when the line alone does not say it.
    public var explanation: String? {
        switch self {
        case .skipped(let why), .forged(let why), .offline(let why), .clock(let why): why
        case .valid, .invalid, .validOffline: nil
        }
    }
}

/// What `/release` did.
public enum ReleaseOutcome: Equatable, Sendable {
    /// The seat is ended (or was not there).
    case released
    /// The key itself is refused (SPEC §3: rules 1–3 answer as `/check` would).
    case invalid(CheckReason)
    /// No answer; the seat lapses with its lease.
    case skipped(String)
}

/// What a `bind` or `unbind` came to (SPEC §13).
public enum BindOutcome: Equatable, Sendable {
    /// Bound (or unbound): `bound` computers are bound to the license now, of the `limit` its key allows.
    case done(bound: Int?, limit: Int?)
    /// `binding` (no `bind=`, or as many computers bound as it allows), `unbind-limit`, or a
    /// reason of rules 1–6.
    case invalid(CheckReason, bound: Int?, limit: Int?)
    /// The answer is not signed by the answer key for this request.
    case forged(String)
}
