import LicenseCore
import Testing

@Suite("License keys, SPEC §1")
struct LicenseKeyTests {
    @Test("SPEC §1's example key, re-signed, parses with the right scopes")
    func specExample() throws {
        let signed = try Fixtures.signedKey("X-META-X", Fixtures.specExampleFields)
        let key = try LicenseKey(parsing: signed.line)
        #expect(key == signed)
        #expect(key.product == "X-META-X")
        #expect(key.type == .floating)
        #expect(key.version == VersionRule(.exactly, DottedNumber("7.1")!))
        #expect(key.baseLimits == LicenseTerms.Limits(rights: 10, users: 5, hosts: 4))
        #expect(key.options.map(\.name) == ["Vario", "Channel", "DynamicServer"])
        #expect(key.terms.option(named: "Vario")?.limits.isUnlimited == true)
        #expect(key.terms.option(named: "Channel")?.limits == LicenseTerms.Limits(rights: 20))
        #expect(key.terms.option(named: "DynamicServer")?.limits == LicenseTerms.Limits(hosts: 1))
        #expect(key.duration?.keyText == "11Dec2004-10Dec2006")
        #expect(key.duration?.description == "2004-12-11 to 2006-12-10")
        #expect(key.maintenance?.keyText == "11Dec2004-10Dec2005")
        #expect(key.systemIDs == ["Sol_8068b73c", "Eth_08:00:2b:15:c7:d5"])
        #expect(key.hosts == [HostPattern("example.com")!])
        #expect(key.issuer == "default")
        #expect(key.id == nil)
        #expect(key.licensee == nil)
        #expect(key.signedMessage == "X-META-X " + Fixtures.specExampleFields.joined(separator: " "))
    }

    @Test("defaults: node-locked, issuer default, no limits, any version, host, system")
    func defaults() throws {
        let key = try LicenseKey(parsing: "P " + Fixtures.placeholderSignature)
        #expect(key.type == .nodelocked)
        #expect(key.issuer == "default")
        #expect(key.baseLimits.isUnlimited)
        #expect(key.version == nil && key.duration == nil && key.maintenance == nil)
        #expect(key.hosts.isEmpty && key.systemIDs.isEmpty && key.options.isEmpty)
        #expect(key.signedMessage == "P")
    }

    @Test("every field of the table is read", arguments: [
        ("id=ACME-1.x_2", "id"), ("licensee=ACME", "licensee"), ("version=+7.1", "version"), ("version=-7", "version"),
        ("type=nodelocked", "type"), ("rights=1", "rights"), ("users=2", "users"), ("hosts=3", "hosts"),
        ("option=Opt.1+b_c-d", "option"), ("duration=01Jan2020-31Dec2020", "duration"),
        ("maintenance=29Feb2024-29Feb2024", "maintenance"), ("host=*.example.com", "host"), ("host=127.0.0.1", "host"),
        ("host=[::1]", "host"), ("host=xn--bcher-kva.example", "host"), ("systemid=HP_2067101737", "systemid"),
        ("issuer=partner.2026", "issuer"), ("bind=3", "bind"), ("borrow=14d", "borrow"),
        ("overdraft=2", "overdraft"), ("linger=5m", "linger"),
    ])
    func everyField(field: String, name: String) throws {
        let key = try LicenseKey(parsing: "P \(field) " + Fixtures.placeholderSignature)
        #expect(key.fields.map(\.name) == [name])
    }

    @Test("typed values of the fields")
    func typedValues() throws {
        let key = try LicenseKey(parsing: #"P id=A-1 licensee="ACME Corp" version=-7.2 type=nodelocked users=3 option=O "#
            + "rights=2 host=a.example.com host=*.b.example.com systemid=Eth_08:00:2b:15:c7:d5 issuer=partner "
            + Fixtures.placeholderSignature)
        #expect(key.id == "A-1")
        #expect(key.licensee == "ACME Corp")
        #expect(key.version == VersionRule(.orOlder, DottedNumber("7.2")!))
        #expect(key.type == .nodelocked)
        #expect(key.baseLimits == LicenseTerms.Limits(users: 3))
        #expect(key.options == [LicenseTerms.Option(name: "O", limits: LicenseTerms.Limits(rights: 2))])
        #expect(key.hosts.map(\.description) == ["a.example.com", "*.b.example.com"])
        #expect(key.issuer == "partner")
    }

    @Test("bind=N: the holder's computers, on node-locked keys (absent type included)")
    func bindLimit() throws {
        #expect(try LicenseKey(parsing: "P bind=3 " + Fixtures.placeholderSignature).bindLimit == 3)
        #expect(try LicenseKey(parsing: "P type=nodelocked bind=1 systemid=Eth_1 " + Fixtures.placeholderSignature).bindLimit == 1)
        #expect(try LicenseKey(parsing: "P users=2 " + Fixtures.placeholderSignature).bindLimit == nil)
        #expect(throws: LicenseKeyError.self) { try LicenseTerms(product: "P", fields: [.init("bind", "2"), .init("type", "floating")]) }
    }

    @Test("overdraft= and linger= belong to the scope they stand in, like rights=")
    func overdraftAndLinger() throws {
        let key = try LicenseKey(parsing: "P users=3 overdraft=2 option=O rights=5 linger=90s overdraft=1 " + Fixtures.placeholderSignature)
        #expect(key.baseLimits == LicenseTerms.Limits(users: 3, overdraft: 2))
        #expect(key.options == [LicenseTerms.Option(name: "O", limits: LicenseTerms.Limits(rights: 5, overdraft: 1, lingerSeconds: 90))])
        // Overdraft or linger alone limits nothing.
        #expect(LicenseTerms.Limits(overdraft: 2, lingerSeconds: 60).isUnlimited)
    }

    @Test("borrow=DURATION: the longest borrow in seconds, for the whole license wherever it stands")
    func borrowLimit() throws {
        #expect(try LicenseKey(parsing: "P option=O borrow=14d " + Fixtures.placeholderSignature).borrowSeconds == 14 * 86_400)
        #expect(try LicenseKey(parsing: "P users=2 " + Fixtures.placeholderSignature).borrowSeconds == nil)
        let key = try LicenseKey(parsing: "P duration=01Jan2026-31Dec2026 " + Fixtures.placeholderSignature)
        #expect(key.lastValidMoment == UTCTimestamp("2026-12-31T23:59:59Z"))
    }

    @Test("limits before the first option are the base product's, after it the option's")
    func scopes() throws {
        let key = try LicenseKey(parsing: "P rights=1 option=A users=2 option=B hosts=3 rights=4 " + Fixtures.placeholderSignature)
        #expect(key.baseLimits == LicenseTerms.Limits(rights: 1))
        #expect(key.terms.option(named: "A")?.limits == LicenseTerms.Limits(users: 2))
        #expect(key.terms.option(named: "B")?.limits == LicenseTerms.Limits(rights: 4, hosts: 3))
    }

    @Test("no option may be named base, the base product's scope (malformed-key); Base and base2 may")
    func optionNamedBase() throws {
        #expect(throws: LicenseKeyError.self) { try LicenseKey(parsing: "P option=base users=2 " + Fixtures.placeholderSignature) }
        #expect(throws: LicenseKeyError.self) { try LicenseTerms(product: "P", fields: [LicenseTerms.Field("option", "base")]) }
        let key = try LicenseKey(parsing: "P option=Base option=base2 " + Fixtures.placeholderSignature)
        #expect(key.options.map(\.name) == ["Base", "base2"])
    }

    @Test("fields other than limits apply to the whole license wherever they stand")
    func globalFieldsAfterOptions() throws {
        let key = try LicenseKey(parsing: "P option=A users=2 type=floating host=x.example " + Fixtures.placeholderSignature)
        #expect(key.type == .floating)
        #expect(key.hosts.count == 1)
        // users=9 still follows option=A, so it is a second users= for A.
        #expect(throws: LicenseKeyError.self) { try LicenseKey(parsing: "P option=A users=2 type=floating users=9 " + Fixtures.placeholderSignature) }
        #expect(key.terms.option(named: "A")?.limits.users == 2)
    }

    @Test("runs of spaces and tabs separate tokens; blanks around the key are ignored")
    func whitespace() throws {
        let plain = try LicenseKey(parsing: "P users=5 host=example.com " + Fixtures.placeholderSignature)
        let spaced = try LicenseKey(parsing: " \t P \t\t users=5   host=example.com\t" + Fixtures.placeholderSignature + " \t")
        #expect(plain == spaced)
        #expect(spaced.signedMessage == "P users=5 host=example.com")
    }

    @Test("quoted values: whitespace inside, \\\" and \\\\ escapes, canonical quoting only when needed")
    func quoting() throws {
        let key = try LicenseKey(parsing: "P licensee=\"ACME \\\"Best\\\"\t\\\\ Corp\" " + Fixtures.placeholderSignature)
        #expect(key.licensee == "ACME \"Best\"\t\\ Corp")
        #expect(key.signedMessage == "P licensee=\"ACME \\\"Best\\\"\t\\\\ Corp\"")
        let unneeded = try LicenseKey(parsing: #"P licensee="ACME" "# + Fixtures.placeholderSignature)
        #expect(unneeded.signedMessage == "P licensee=ACME")
        let unicode = try LicenseKey(parsing: #"P licensee="Müller GmbH" "# + Fixtures.placeholderSignature)
        #expect(unicode.licensee == "Müller GmbH")
        let quotedBare = try LicenseKey(parsing: #"P users="5" "# + Fixtures.placeholderSignature)
        #expect(quotedBare.baseLimits.users == 5)
        #expect(quotedBare.signedMessage == "P users=5")
    }

    static let malformed: [(String, String)] = [
        ("", "empty key"),
        ("   ", "blank key"),
        ("-P", "product starting with '-'"),
        ("P/Q", "product with '/'"),
        ("P users", "token without '='"),
        ("P =5", "empty name"),
        ("P users=", "empty value"),
        (#"P licensee="""#, "empty quoted value"),
        ("P users=0", "limit 0"),
        ("P users=05", "leading zero"),
        ("P users=-1", "negative limit"),
        ("P users=5x", "limit not a number"),
        ("P users=99999999999999999999", "limit too large"),
        ("P users=5 users=6", "users twice for the base product"),
        ("P option=A rights=1 rights=2", "rights twice for one option"),
        ("P option=A option=A", "the same option twice"),
        ("P option=-A", "option name starting with '-'"),
        ("P id=a id=b", "id twice"),
        ("P id=" + String(repeating: "a", count: 65), "id too long"),
        ("P id=a/b", "id with '/'"),
        ("P licensee=a licensee=b", "licensee twice"),
        (#"P licensee="ACME"#, "unterminated quote"),
        (#"P licensee="A\qB""#, "unknown escape"),
        (#"P licensee="A"B"#, "text after the closing quote"),
        (#"P licensee=A"B"#, "quote inside a bare value"),
        ("P version=7.x", "version not dotted numbers"),
        ("P version=+", "version sign only"),
        ("P version=7..1", "version empty part"),
        ("P version=*7", "version unknown sign"),
        ("P version=7 version=8", "version twice"),
        ("P type=Floating", "type in other case"),
        ("P type=floating type=nodelocked", "type twice"),
        ("P duration=29Feb2021-01Mar2021", "impossible date"),
        ("P duration=31Apr2021-01May2021", "April 31st"),
        ("P duration=11Dec2006-10Dec2004", "first day after last"),
        ("P duration=11dec2004-10Dec2006", "month in lower case"),
        ("P duration=1Dec2004-10Dec2006", "one-digit day"),
        ("P duration=11Dec04-10Dec2006", "two-digit year"),
        ("P duration=11Dec2004", "one date"),
        ("P duration=2004-12-11-2006-12-10", "ISO dates"),
        ("P duration=00Dec2004-10Dec2006", "day 0"),
        ("P maintenance=30Feb2020-01Mar2020", "impossible maintenance date"),
        ("P duration=01Jan2020-01Jan2021 duration=01Jan2020-01Jan2021", "duration twice"),
        ("P host=example..com", "empty label"),
        ("P host=*example.com", "wildcard without dot"),
        ("P host=a.*.com", "wildcard inside"),
        ("P host=exa$mple.com", "'$' in a host"),
        ("P host=" + String(repeating: "a", count: 64) + ".com", "label of 64 characters"),
        ("P systemid=Eth", "system ID without '_'"),
        ("P systemid=_abc", "system ID without type"),
        ("P systemid=E1h_abc", "system ID type with a digit"),
        ("P systemid=Eth_", "system ID without value"),
        ("P systemid=Eth_" + String(repeating: "a", count: 61), "system ID of 65 characters"),
        (#"P systemid="Eth_a b""#, "system ID with a space"),
        ("P issuer=../evil", "issuer with a path"),
        ("P issuer=.hidden", "issuer starting with '.'"),
        ("P issuer=a issuer=b", "issuer twice"),
        ("P users=5", "no signature"),
        ("P SIG users=5", "signature not last"),
        ("P SIG SIG", "signature twice"),
        ("P signature=abcd", "signature too short"),
        ("P UPPERSIG", "signature in upper case"),
        ("P UNGROUPED", "signature not grouped"),
        ("P UNUSEDBITS", "signature with non-zero unused bits"),
        ("P licensee=a\u{1}b SIG", "control character"),
        ("P licensee=a\u{7F}b SIG", "DEL"),
        ("P licensee=a\u{85}b SIG", "C1 control character"),
        ("P users=5\nSIG", "line break"),
        ("P users=5\rSIG", "carriage return"),
        ("P bind=0", "bind of zero"),
        ("P bind=-1", "negative bind"),
        ("P bind=02", "bind with a leading zero"),
        ("P bind=2 bind=3", "bind twice"),
        ("P bind=2 type=floating", "bind on a floating key"),
        ("P type=floating bind=2", "bind on a floating key, type first"),
        ("P borrow=0d", "borrow of zero"),
        ("P borrow=14", "borrow without a unit"),
        ("P borrow=2w", "borrow in weeks"),
        ("P borrow=1d borrow=2d", "borrow twice"),
        ("P overdraft=0", "overdraft of zero"),
        ("P overdraft=-2", "negative overdraft"),
        ("P overdraft=2 overdraft=3", "overdraft twice in one scope"),
        ("P linger=0s", "linger of zero"),
        ("P linger=5", "linger without a unit"),
        ("P option=O linger=1m linger=2m", "linger twice in one scope"),
    ]

    @Test("malformed keys are malformed-key", arguments: malformed)
    func malformedKeys(line: String, what: String) {
        let zeros = SignatureText.encode([UInt8](repeating: 0, count: 64))
        var text = line.replacingOccurrences("UPPERSIG", with: "signature=" + zeros.uppercased())
        text = text.replacingOccurrences("UNGROUPED", with: "signature=" + zeros.replacingOccurrences(".", with: ""))
        text = text.replacingOccurrences("UNUSEDBITS", with: "signature=" + zeros.dropLast() + "b")
        text = text.replacingOccurrences(" SIG", with: " " + Fixtures.placeholderSignature)
        if !line.contains("SIG"), what != "no signature", !line.contains("signature=") {
            text += " " + Fixtures.placeholderSignature
        }
        #expect(throws: LicenseKeyError.self, "\(what)") { try LicenseKey(parsing: text) }
        do {
            _ = try LicenseKey(parsing: text)
        } catch {
            #expect(error.reason == .malformedKey, "\(what): \(error)")
        }
    }

    @Test("invalid UTF-8 is malformed-key")
    func invalidUTF8() {
        let bytes = Array("P licensee=".utf8) + [0xC3, 0x28] + Array((" " + Fixtures.placeholderSignature).utf8)
        #expect(throws: LicenseKeyError(.malformedKey, "the key is not valid UTF-8")) { try LicenseKey(parsingUTF8: bytes) }
    }

    @Test("unknown names are unsupported-field, case included", arguments: [
        "P Users=5", "P expires=01Jan2030", "P foo=bar", "P option=A seats=3", "P foo=bar users=0", "P SIGNATURE=x",
    ])
    func unsupportedFields(line: String) {
        do {
            _ = try LicenseKey(parsing: line + " " + Fixtures.placeholderSignature)
            Issue.record("\(line) parsed")
        } catch {
            #expect(error.reason == .unsupportedField, "\(error)")
        }
    }

    @Test("errors say where: the column of the offending token")
    func errorColumn() {
        #expect(throws: LicenseKeyError(.malformedKey, "users: must be a whole number from 1, without leading zeros", column: 13)) {
            try LicenseKey(parsing: "P  rights=1 users=0 " + Fixtures.placeholderSignature)
        }
        #expect(throws: LicenseKeyError(.unsupportedField, "unknown field 'Users'", column: 3)) {
            try LicenseKey(parsing: "P Users=1 " + Fixtures.placeholderSignature)
        }
    }

    @Test("issuing validates the same way: fields are checked, signature refused")
    func termsValidation() throws {
        #expect(throws: LicenseKeyError.self) { try Fixtures.terms("P", ["users=0"]) }
        #expect(throws: LicenseKeyError.self) { try Fixtures.terms("P", ["signature=x"]) }
        #expect(throws: LicenseKeyError.self) { try Fixtures.terms("-P", []) }
        let terms = try Fixtures.terms("P", ["licensee=ACME Corp", "users=5"])
        #expect(terms.signedMessage == #"P licensee="ACME Corp" users=5"#)
    }
}

extension String {
    /// Foundation-free replacement, so the core's tests need nothing but the core.
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
