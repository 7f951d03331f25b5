import LicenseCore
import LicenseSigning
import Testing

@Suite("The check, SPEC §4 rules 1–8")
struct LicenseCheckTests {
    static let today = LicenseDate(year: 2026, month: 11, day: 22)!
    /// Noon of `today`.
    static let now = UTCTimestamp(secondsSince1970: today.daysSince1970 * 86_400 + 43_200)

    static func code(_ keyLine: String, revision: String = "7.1", domain: String = "app.example.com",
                     system: String? = nil, options: [String] = [], product: String? = nil, borrow: String? = nil) throws -> StartupCode {
        try StartupCode(keyLine: keyLine, revision: revision, userID: "user-0001", domain: domain, system: system, options: options,
                        product: product, borrow: borrow)
    }

    /// Rules 1–8, as the check handler applies them: rules 1–2, then 3–8 for a key that passed.
    static func decision(code: StartupCode, origin: String? = nil, serverSystemID: String?, isRevoked: Bool = false,
                         isBound: Bool = false) -> CheckDecision {
        let authenticated = LicenseCheck.authenticate(keyLine: code.keyLine, issuers: Fixtures.trusted)
        guard case .valid(let key) = authenticated else { return authenticated }
        if let reason = LicenseCheck.evaluate(key, code: code, origin: origin, isRevoked: isRevoked, serverSystemID: serverSystemID,
                                              today: today, now: now).reason(isBound: isBound) {
            return .invalid(reason, key)
        }
        return .valid(key)
    }

    static func decide(_ keyLine: String, revision: String = "7.1", domain: String = "app.example.com",
                       system: String? = nil, options: [String] = [], product: String? = nil, origin: String? = nil,
                       serverSystemID: String? = "Eth_52:54:00:00:00:01", revoked: Bool = false, bound: Bool = false,
                       borrow: String? = nil) throws -> CheckReason? {
        decision(code: try code(keyLine, revision: revision, domain: domain, system: system, options: options, product: product,
                                borrow: borrow),
                 origin: origin, serverSystemID: serverSystemID, isRevoked: revoked, isBound: bound).reason
    }

    static func key(_ fields: [String], by signer: IssuerSigningKey = Fixtures.issuer) throws -> String {
        try Fixtures.signedKey("X-META-X", fields, by: signer).line
    }

    @Test("a key within every rule is valid")
    func valid() throws {
        let line = try Self.key(["id=ACME-1", "version=+7", "type=nodelocked", "option=Vario", "duration=01Jan2026-31Dec2026",
                                 "host=*.example.com", "systemid=Eth_08:00:2b:15:c7:d5"])
        let decision = Self.decision(code: try Self.code(line, system: "Eth_08:00:2b:15:c7:d5", options: ["Vario"]),
                                     origin: "https://app.example.com:8443", serverSystemID: nil)
        #expect(decision.reason == nil)
        #expect(decision.key?.id == "ACME-1")
    }

    @Test("1: malformed-key and unsupported-field")
    func rule1() throws {
        #expect(try Self.decide("X-META-X users=0 " + Fixtures.placeholderSignature) == .malformedKey)
        #expect(try Self.decide("X-META-X seats=5 " + Fixtures.placeholderSignature) == .unsupportedField)
        #expect(try Self.decide("") == .malformedKey)
    }

    @Test("2: unknown-issuer and bad-signature")
    func rule2() throws {
        #expect(try Self.decide(Self.key(["issuer=nobody"])) == .unknownIssuer)
        // Signed by the partner's key but naming the default issuer.
        #expect(try Self.decide(Self.key(["users=5"], by: Fixtures.otherIssuer)) == .badSignature)
        #expect(try Self.decide(Self.key(["issuer=partner"], by: Fixtures.otherIssuer)) == nil)
        // A valid signature moved onto other terms.
        let genuine = try Fixtures.signedKey("X-META-X", ["users=5"])
        #expect(try Self.decide(genuine.line.replacingOccurrences("users=5", with: "users=6")) == .badSignature)
        #expect(try Self.decide("X-META-X users=5 " + Fixtures.placeholderSignature) == .badSignature)
    }

    @Test("3: revoked")
    func rule3() throws {
        #expect(try Self.decide(Self.key(["id=R-1"]), revoked: true) == .revoked)
    }

    @Test("4: not-yet-valid and expired, days inclusive in UTC")
    func rule4() throws {
        #expect(try Self.decide(Self.key(["duration=23Nov2026-31Dec2027"])) == .notYetValid)
        #expect(try Self.decide(Self.key(["duration=22Nov2026-22Nov2026"])) == nil)
        #expect(try Self.decide(Self.key(["duration=01Jan2020-21Nov2026"])) == .expired)
        // Maintenance is not a reason to refuse.
        #expect(try Self.decide(Self.key(["maintenance=01Jan2020-01Jan2021"])) == nil)
    }

    @Test("5: version")
    func rule5() throws {
        #expect(try Self.decide(Self.key(["version=7.1"]), revision: "7.1.0") == nil)
        #expect(try Self.decide(Self.key(["version=7.1"]), revision: "7.1.2") == .version)
        #expect(try Self.decide(Self.key(["version=+7.9"]), revision: "7.10") == nil)
        #expect(try Self.decide(Self.key(["version=-7.9"]), revision: "7.10") == .version)
    }

    @Test("6: host, by host= fields and by a browser's Origin")
    func rule6() throws {
        let line = try Self.key(["host=example.com", "host=*.example.org"])
        #expect(try Self.decide(line, domain: "EXAMPLE.com") == nil)
        #expect(try Self.decide(line, domain: "a.b.example.org") == nil)
        #expect(try Self.decide(line, domain: "example.org") == .host)
        #expect(try Self.decide(line, domain: "www.example.com") == .host)
        let anyHost = try Self.key(["users=5"])
        #expect(try Self.decide(anyHost, domain: "anything.example") == nil)
        #expect(try Self.decide(anyHost, domain: "app.example.com", origin: "https://APP.example.com:444") == nil)
        #expect(try Self.decide(anyHost, domain: "app.example.com", origin: "https://evil.example") == .host)
        #expect(try Self.decide(anyHost, domain: "app.example.com", origin: "null") == .host)
    }

    @Test("7: system-id, the client's for node-locked, the server's for floating")
    func rule7() throws {
        let nodeLocked = try Self.key(["systemid=Eth_08:00:2b:15:c7:d5", "systemid=Sol_8068b73c"])
        #expect(try Self.decide(nodeLocked, system: "Sol_8068b73c") == nil)
        #expect(try Self.decide(nodeLocked, system: "Sol_8068b73d") == .systemID)
        #expect(try Self.decide(nodeLocked, system: nil) == .systemID)
        #expect(try Self.decide(nodeLocked, system: "sol_8068b73c") == .systemID)
        let floating = try Self.key(["type=floating", "systemid=Eth_52:54:00:00:00:01"])
        #expect(try Self.decide(floating, system: "Sol_8068b73c") == nil)
        #expect(try Self.decide(floating, serverSystemID: "Eth_52:54:00:00:00:02") == .systemID)
        #expect(try Self.decide(floating, serverSystemID: nil) == .systemID)
    }

    @Test("5: product, when the code names one, is the key's; before version")
    func rule5Product() throws {
        let line = try Self.key(["version=+8"])
        #expect(try Self.decide(line, revision: "8", product: "X-META-X") == nil)
        #expect(try Self.decide(line, revision: "8") == nil)
        #expect(try Self.decide(line, revision: "8", product: "X-LITE") == .product)
        #expect(try Self.decide(line, revision: "8", product: "x-meta-x") == .product)
        // product before version, expiry before product.
        #expect(try Self.decide(line, revision: "7", product: "X-LITE") == .product)
        let expired = try Self.key(["duration=01Jan2020-01Jan2021"])
        #expect(try Self.decide(expired, product: "X-LITE") == .expired)
        #expect(try Self.decide(expired, product: "X-LITE", revoked: true) == .revoked)
    }

    @Test("8: option")
    func rule8() throws {
        let line = try Self.key(["option=Vario", "option=Channel", "rights=20"])
        #expect(try Self.decide(line, options: ["Vario", "Channel"]) == nil)
        #expect(try Self.decide(line, options: ["Vario", "DynamicServer"]) == .option)
        #expect(try Self.decide(line, options: ["vario"]) == .option)
    }

    @Test("7 with bind=: the key's systemids or a bound computer; a code without system= is system-id")
    func rule7Binding() throws {
        let listed = try Self.key(["type=nodelocked", "bind=2", "systemid=Eth_1"])
        #expect(try Self.decide(listed, system: "Eth_1") == nil)
        #expect(try Self.decide(listed, system: "Eth_2") == .systemID)
        #expect(try Self.decide(listed, system: "Eth_2", bound: true) == nil)
        #expect(try Self.decide(listed) == .systemID)
        #expect(try Self.decide(listed, bound: true) == .systemID)
        let unlisted = try Self.key(["bind=1", "option=Vario"])
        #expect(try Self.decide(unlisted, system: "Eth_3") == .systemID)
        #expect(try Self.decide(unlisted, system: "Eth_3", bound: true) == nil)
        // Rule 7 before rule 8: an unbound computer asking for a missing option is system-id.
        #expect(try Self.decide(unlisted, system: "Eth_3", options: ["X"]) == .systemID)
        #expect(try Self.decide(unlisted, system: "Eth_3", options: ["X"], bound: true) == .option)
        let code = try Self.code(unlisted, system: "Eth_3")
        let verdict = LicenseCheck.evaluate(try LicenseKey(parsing: unlisted), code: code, origin: nil, isRevoked: false,
                                            serverSystemID: nil, today: Self.today, now: Self.now)
        #expect(verdict == RulesVerdict(nil, needsBinding: true))
        let plain = LicenseCheck.evaluate(try LicenseKey(parsing: try Self.key(["users=1"])), code: code, origin: nil,
                                          isRevoked: false, serverSystemID: nil, today: Self.today, now: Self.now)
        #expect(plain == RulesVerdict(nil))
    }

    @Test("8: borrow= asks for no more than the key's borrow=, none without it, never past the key's last day")
    func rule8Borrow() throws {
        let line = try Self.key(["borrow=14d", "option=Vario", "duration=01Jan2026-31Dec2026"])
        #expect(try Self.decide(line, borrow: "14d") == nil)
        #expect(try Self.decide(line, borrow: "336h") == nil)
        #expect(try Self.decide(line, borrow: "15d") == .borrow)
        #expect(try Self.decide(line, borrow: "1209601s") == .borrow)
        #expect(try Self.decide(try Self.key(["users=2"]), borrow: "1d") == .borrow)
        #expect(try Self.decide(try Self.key(["users=2"])) == nil)
        // Rule 8 asks for the options first.
        #expect(try Self.decide(line, options: ["Missing"], borrow: "15d") == .option)
        // The key ends on 30 Nov 2026 (today is 22 Nov, noon): 8 days and 12 hours are left.
        let ending = try Self.key(["borrow=14d", "duration=01Jan2026-30Nov2026"])
        #expect(try Self.decide(ending, borrow: "8d") == nil)
        #expect(try Self.decide(ending, borrow: "9d") == .borrow)
        #expect(try Self.decide(ending, borrow: "203h") == nil)
        #expect(try Self.decide(ending, borrow: "204h") == .borrow)
    }

    @Test("the first failing rule gives the reason")
    func order() throws {
        let everythingWrong = try Self.key(["version=1", "duration=01Jan2020-01Jan2021", "host=other.example", "systemid=Eth_1"])
        #expect(try Self.decide(everythingWrong, options: ["X"], revoked: true) == .revoked)
        #expect(try Self.decide(everythingWrong, options: ["X"]) == .expired)
        let afterDate = try Self.key(["version=1", "host=other.example", "systemid=Eth_1"])
        #expect(try Self.decide(afterDate, options: ["X"]) == .version)
        #expect(try Self.decide(afterDate, revision: "1", options: ["X"]) == .host)
        #expect(try Self.decide(afterDate, revision: "1", domain: "other.example", options: ["X"]) == .systemID)
        #expect(try Self.decide(afterDate, revision: "1", domain: "other.example", system: "Eth_1", options: ["X"]) == .option)
    }

    @Test("reason tokens are exactly SPEC §3's")
    func tokens() {
        #expect(CheckReason.allCases.map(\.rawValue) == [
            "malformed-key", "unsupported-field", "unknown-issuer", "bad-signature", "revoked", "not-yet-valid",
            "expired", "product", "version", "host", "system-id", "option", "borrow", "users", "hosts", "rights",
            "binding", "unbind-limit",
        ])
    }
}
