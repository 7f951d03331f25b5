import Foundation
import LicenseCore

/// The answers of `/bind` and `/unbind` to a program (SPEC §13): one line (`bound`, `unbound`,
/// `invalid REASON`), or the JSON object for a client that accepts `application/json`.
enum BindPresenter {
    /// What the answer says: done (`bound` / `unbound`) or the reason it was refused.
    static func answer(_ result: String, reason: CheckReason?, key: LicenseKey?, license: String?, bound: Int?,
                       json wantsJSON: Bool) -> ServiceResponse {
        let line = reason.map { "invalid " + $0.rawValue } ?? result
        guard wantsJSON else { return .text(200, line) }
        let answer = BindAnswer(result: reason == nil ? result : "invalid", reason: reason?.rawValue,
                                license: license ?? key?.licenseID, bound: bound, limit: key?.bindLimit)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, integers and nulls only: encoding cannot fail.
        return .json((try? encoder.encode(answer)).map { String(decoding: $0, as: UTF8.self) } ?? "{}")
    }

    /// A refusal before the store (rules 1–2), worded for `/bind`.
    static func invalid(_ reason: CheckReason, key: LicenseKey?, json: Bool) -> ServiceResponse {
        answer("invalid", reason: reason, key: key, license: nil, bound: nil, json: json)
    }
}

/// SPEC §13's JSON answer; unknown members are null, never left out.
struct BindAnswer: Encodable {
    let result: String
    let reason: String?
    let license: String?
    let bound: Int?
    let limit: Int?

    enum CodingKeys: String, CodingKey {
        case result, reason, license, bound, limit
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(result, forKey: .result)
        try container.encode(reason, forKey: .reason)
        try container.encode(license, forKey: .license)
        try container.encode(bound, forKey: .bound)
        try container.encode(limit, forKey: .limit)
    }
}
