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
    public static func evaluate(_ key: LicenseKey, code: StartupCode, origin: String?, isRevoked: Bool,
                                serverSystemID: String?, today: LicenseDate) -> CheckReason? {
        if isRevoked { return .revoked }
        if let duration = key.duration {
            if today < duration.first { return .notYetValid }
            if today > duration.last { return .expired }
        }
        if let program = code.product, program != key.product { return .product }
        if let rule = key.version, !rule.allows(code.revision) { return .version }
        if !key.hosts.isEmpty, !key.hosts.contains(where: { $0.covers(code.domain) }) { return .host }
        if let origin, HostName(origin: origin) != code.domain { return .host }
        if !key.systemIDs.isEmpty {
            let boundID = key.type == .floating ? serverSystemID : code.system
            guard let boundID, key.systemIDs.contains(boundID) else { return .systemID }
        }
        if code.options.contains(where: { key.terms.option(named: $0) == nil }) { return .option }
        return nil
    }
}
