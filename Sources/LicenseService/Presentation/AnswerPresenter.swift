import Foundation
import LicenseCore
import StoreBoundary
import LicenseSigning

/// The answers of `/check` and `/release` (SPEC §3): one line of text, or the JSON object for
/// a client that accepts `application/json`.
public enum AnswerPresenter {
    /// `valid`, or the JSON object of a valid check of `license`; `heartbeat` the interval of
    /// SPEC §8 in seconds when a scope checked counts rights.
    /// `overdraftScopes`: the scopes in which the seat is past a limit (SPEC §15).
    static func valid(_ key: LicenseKey, license: String, scopes: [SeatScope],
                      usage: [String: ScopeUsage]?, heartbeat: Int64? = nil, overdraftScopes: Set<String> = []) -> ServiceResponse {
        guard let usage else { return .text(200, "valid") }
        return json(CheckAnswer(reason: nil, key: key, license: license, scopes: scopes, usage: usage, heartbeat: heartbeat,
                                overdraftScopes: overdraftScopes))
    }

    /// `invalid REASON`, or its JSON object; `license` is the key's license ID when the caller
    /// has it (else the key's is derived, for the JSON only); `scopes` and `usage` when seats were counted.
    static func invalid(_ reason: CheckReason, key: LicenseKey?, license: String? = nil, json wantsJSON: Bool,
                        scopes: [SeatScope] = [], usage: [String: ScopeUsage] = [:]) -> ServiceResponse {
        guard wantsJSON else { return .text(200, "invalid " + reason.rawValue) }
        return json(CheckAnswer(reason: reason, key: key, license: license ?? key?.licenseID, scopes: scopes, usage: usage))
    }

    static let released = ServiceResponse.text(200, "released")

    private static func json(_ answer: CheckAnswer) -> ServiceResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these members cannot fail: strings, integers and nulls only.
        let body = (try? encoder.encode(answer)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return .json(body)
    }
}

/// The JSON answer of SPEC §3. A member whose value is not known (a key that did not parse),
/// and a limit the key does not set, is `null`, never left out.
struct CheckAnswer: Encodable {
    struct Counts<Value: Encodable>: Encodable {
        let rights: Value
        let users: Value
        let hosts: Value
    }

    struct Scope: Encodable {
        let scope: String
        let limits: Counts<Int?>
        let inUse: Counts<Int>
        /// Whether this start's seat in the scope is past a limit, within its overdraft (SPEC §15).
        let overdraft: Bool

        enum CodingKeys: String, CodingKey {
            case scope, limits, overdraft
            case inUse = "in_use"
        }
    }

    let result: String
    let reason: String?
    let license: String?
    let product: String?
    let expires: String?
    let scopes: [Scope]
    /// Seconds between a running program's checks (SPEC §8); null unless a valid answer counts rights.
    let heartbeat: Int64?

    init(reason: CheckReason?, key: LicenseKey?, license: String?, scopes: [SeatScope],
         usage: [String: ScopeUsage], heartbeat: Int64? = nil, overdraftScopes: Set<String> = []) {
        result = reason == nil ? "valid" : "invalid"
        self.heartbeat = heartbeat
        self.reason = reason?.rawValue
        self.license = license
        product = key?.product
        expires = key?.duration?.last.description
        self.scopes = scopes.map { scope in
            let used = usage[scope.name] ?? ScopeUsage()
            return Scope(scope: scope.name,
                         limits: Counts(rights: scope.limits.rights, users: scope.limits.users, hosts: scope.limits.hosts),
                         inUse: Counts(rights: used.rights, users: used.users, hosts: used.hosts),
                         overdraft: overdraftScopes.contains(scope.name))
        }
    }

    enum CodingKeys: String, CodingKey {
        case result, reason, license, product, expires, scopes, heartbeat
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(result, forKey: .result)
        try container.encode(reason, forKey: .reason)
        try container.encode(license, forKey: .license)
        try container.encode(product, forKey: .product)
        try container.encode(expires, forKey: .expires)
        try container.encode(scopes, forKey: .scopes)
        try container.encode(heartbeat, forKey: .heartbeat)
    }
}

extension CheckAnswer.Counts {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // `encode`, not the synthesized `encodeIfPresent`: a limit the key does not set is null.
        try container.encode(rights, forKey: .rights)
        try container.encode(users, forKey: .users)
        try container.encode(hosts, forKey: .hosts)
    }

    enum CodingKeys: String, CodingKey {
        case rights, users, hosts
    }
}
