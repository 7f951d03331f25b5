import LicenseCore
import LicenseSigning

/// The JSON answer of SPEC §3.
enum AnswerJSON {
    static func render(reason: CheckReason?, key: LicenseKey?, scopes: [(name: String, limits: LicenseTerms.Limits)],
                       usage: [String: ScopeUsage]) -> String {
        func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }
        let scopeObjects = scopes.map { scope -> String in
            let used = usage[scope.name] ?? ScopeUsage()
            let name = scope.name == SeatStore.baseScope ? "base" : scope.name
            return #"{"scope": \#(string(name)), "limits": {"rights": \#(number(scope.limits.rights)), "#
                + #""users": \#(number(scope.limits.users)), "hosts": \#(number(scope.limits.hosts))}, "#
                + #""in_use": {"rights": \#(used.rights), "users": \#(used.users), "hosts": \#(used.hosts)}}"#
        }
        return "{" + [
            #""result": \#(string(reason == nil ? "valid" : "invalid"))"#,
            #""reason": \#(reason.map { string($0.rawValue) } ?? "null")"#,
            #""license": \#(key.map { string($0.licenseID) } ?? "null")"#,
            #""product": \#(key.map { string($0.product) } ?? "null")"#,
            #""expires": \#(key?.duration.map { string($0.last.description) } ?? "null")"#,
            #""scopes": [\#(scopeObjects.joined(separator: ", "))]"#,
        ].joined(separator: ", ") + "}"
    }

    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
