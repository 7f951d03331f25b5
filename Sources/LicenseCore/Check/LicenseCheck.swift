/// The result of a check as far as rules 1–8 of SPEC §4 go.
public enum CheckDecision: Equatable, Sendable {
    /// Rules 1–8 pass; seats (rules 9–10) are the service's to decide.
    case valid(LicenseKey)
    /// The first rule that fails; the key when it parsed.
    case invalid(CheckReason, LicenseKey?)

    /// The reason, or nil when valid.
    public var reason: CheckReason? {
        if case .invalid(let reason, _) = self { return reason }
        return nil
    }

    /// The key, when it parsed.
    public var key: LicenseKey? {
        switch self {
        case .valid(let key): key
        case .invalid(_, let key): key
        }
    }
}

/// The check of SPEC §4, rules 1–8, as pure functions: the first rule that fails gives the
/// reason. The service splits it where it must look at the database (revocation).
public enum LicenseCheck {
    /// Rules 1–2: the key parses, its issuer is trusted here, and its signature verifies.
    public static func authenticate(keyLine: [UInt8], issuers: some TrustedIssuers) -> CheckDecision {
        let key: LicenseKey
        do {
            key = try LicenseKey(parsingUTF8: keyLine)
        } catch {
            return .invalid(error.reason, nil)
        }
        switch issuers.verdict(for: key) {
        case .verified: return .valid(key)
        case .unknownIssuer: return .invalid(.unknownIssuer, key)
        case .badSignature: return .invalid(.badSignature, key)
        }
    }

    /// Rules 3–8 for an authenticated key.
    ///
    /// - Parameters:
    ///   - origin: the request's `Origin` header, when a browser sent it.
    ///   - isRevoked: whether the license is revoked in this realm.
    ///   - serverSystemID: this server's own system ID, which floating keys may be bound to.
    ///   - today: the current day in UTC.
    ///   - now: the current time, for a borrow, which must end within the key's duration.
    public static func evaluate(_ key: LicenseKey, code: StartupCode, origin: String?, isRevoked: Bool,
                                serverSystemID: String?, today: LicenseDate, now: UTCTimestamp) -> RulesVerdict {
        if isRevoked { return RulesVerdict(.revoked) }
        if let reason = datesProductAndPlace(key, code: code, origin: origin, today: today) { return RulesVerdict(reason) }
        var needsBinding = false
        if key.bindLimit != nil {
            // SPEC §4 rule 7 for a key its holder binds: the code must name its computer, and the
            // computer must be one the key names or one bound to the license, which only the store knows.
            guard let system = code.system else { return RulesVerdict(.systemID) }
            needsBinding = !key.systemIDs.contains(system)
        } else if !key.systemIDs.isEmpty {
            let boundID = key.type == .floating ? serverSystemID : code.system
            guard let boundID, key.systemIDs.contains(boundID) else { return RulesVerdict(.systemID) }
        }
        if code.options.contains(where: { key.terms.option(named: $0) == nil }) {
            return RulesVerdict(.option, needsBinding: needsBinding)
        }
        if let reason = borrowing(key, code: code, now: now) {
            return RulesVerdict(reason, needsBinding: needsBinding)
        }
        return RulesVerdict(nil, needsBinding: needsBinding)
    }

    /// Rule 8's second half (SPEC §14): a `borrow=` line asks for no more than the key's
    /// `borrow=` allows (a key without one allows none) and ends within the key's duration.
    public static func borrowing(_ key: LicenseKey, code: StartupCode, now: UTCTimestamp) -> CheckReason? {
        guard let asked = code.borrowSeconds else { return nil }
        guard let allowed = key.borrowSeconds, asked <= allowed else { return .borrow }
        if let last = key.lastValidMoment, now.secondsSince1970 + Int64(asked) > last.secondsSince1970 { return .borrow }
        return nil
    }

    /// Rules 4–6: the day, the program (product and version) and where it runs (domain, origin).
    /// What `/bind` asks of a key besides its signature and revocation (SPEC §13).
    public static func datesProductAndPlace(_ key: LicenseKey, code: StartupCode, origin: String?,
                                            today: LicenseDate) -> CheckReason? {
        if let reason = dates(key, today: today) { return reason }
        if let program = code.product, program != key.product { return .product }
        if let rule = key.version, !rule.allows(code.revision) { return .version }
        if !key.hosts.isEmpty, !key.hosts.contains(where: { $0.covers(code.domain) }) { return .host }
        if let origin, HostName(origin: origin) != code.domain { return .host }
        return nil
    }

    /// Rule 4: today (UTC) is inside the key's `duration`.
    public static func dates(_ key: LicenseKey, today: LicenseDate) -> CheckReason? {
        guard let duration = key.duration else { return nil }
        if today < duration.first { return .notYetValid }
        if today > duration.last { return .expired }
        return nil
    }
}

/// What rules 3–8 say of a start (SPEC §4). For a key its holder binds (`bind=`), rule 7 may
/// depend on a binding in the store: then `needsBinding`, and `reason` is what the rules say
/// if the computer is bound (if it is not, the reason is `system-id`).
public struct RulesVerdict: Equatable, Sendable {
    /// The first rule that fails, the binding aside; nil: the start goes on to its seat.
    public let reason: CheckReason?
    /// Whether rule 7 passes only if the code's computer is bound to the license.
    public let needsBinding: Bool

    public init(_ reason: CheckReason?, needsBinding: Bool = false) {
        self.reason = reason
        self.needsBinding = needsBinding
    }

    /// The reason when the binding is known: `system-id` for a computer that is not bound.
    public func reason(isBound: Bool) -> CheckReason? {
        needsBinding && !isBound ? .systemID : reason
    }
}
