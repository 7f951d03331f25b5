import LicenseCore
import Testing

@Suite("Version rules and dates")
struct VersionAndDateTests {
    @Test("dotted numbers compare part by part as numbers; missing parts are 0", arguments: [
        ("7.10", "7.9", 1), ("7.1", "7.1.0", 0), ("7.1.2", "7.1", 1), ("007.01", "7.1", 0), ("10", "9", 1),
        ("123456789012345678901234567890", "123456789012345678901234567889", 1), ("0", "0.0.0", 0), ("1.0.1", "1.1", -1),
    ])
    func comparison(left: String, right: String, order: Int) throws {
        let a = try #require(DottedNumber(left))
        let b = try #require(DottedNumber(right))
        #expect((a < b ? -1 : a == b ? 0 : 1) == order)
        #expect((b < a ? -1 : a == b ? 0 : 1) == -order)
        if order == 0 { #expect(a.hashValue == b.hashValue) }
    }

    @Test("not dotted numbers", arguments: ["", ".", "7.", ".7", "7..1", "7.x", "-7", "7 1", "٣"])
    func notDotted(text: String) {
        #expect(DottedNumber(text) == nil)
    }

    @Test("V exactly, +V or newer, -V or older", arguments: [
        ("7.1", "7.1", true), ("7.1", "7.1.0", true), ("7.1", "7.1.2", false), ("7.1", "7.0", false),
        ("+7.1", "7.1", true), ("+7.1", "7.10", true), ("+7.1", "7.0.9", false),
        ("-7.1", "7.1", true), ("-7.1", "6.99", true), ("-7.1", "7.1.1", false),
    ])
    func versionRule(rule: String, revision: String, allowed: Bool) throws {
        let versionRule = try #require(VersionRule(rule))
        #expect(versionRule.allows(try #require(DottedNumber(revision))) == allowed)
    }

    @Test("DDMonYYYY: real dates only", arguments: [
        ("11Dec2004", true), ("29Feb2024", true), ("29Feb2000", true), ("29Feb1900", false), ("29Feb2021", false),
        ("31Jun2021", false), ("00Jan2021", false), ("32Jan2021", false), ("01JAN2021", false), ("1Jan2021", false),
        ("01Jan21", false), ("01Jan0000", false), ("31Dec9999", true), ("01Sept2021", false),
    ])
    func dates(text: String, valid: Bool) {
        #expect((LicenseDate(keyText: text) != nil) == valid)
        if let date = LicenseDate(keyText: text) { #expect(date.keyText == text) }
    }

    @Test("a range includes both ends")
    func rangeInclusive() throws {
        let range = try #require(DateRange(keyText: "11Dec2004-10Dec2006"))
        #expect(range.contains(LicenseDate(year: 2004, month: 12, day: 11)!))
        #expect(range.contains(LicenseDate(year: 2006, month: 12, day: 10)!))
        #expect(!range.contains(LicenseDate(year: 2004, month: 12, day: 10)!))
        #expect(!range.contains(LicenseDate(year: 2006, month: 12, day: 11)!))
        #expect(DateRange(keyText: "10Dec2006-11Dec2004") == nil)
        #expect(DateRange(keyText: "10Dec2006-10Dec2006") != nil)
    }

    @Test("the UTC day of a Unix time", arguments: [
        (Int64(0), "1970-01-01"), (Int64(86_399), "1970-01-01"), (Int64(86_400), "1970-01-02"), (Int64(-1), "1969-12-31"),
        (Int64(951_782_400), "2000-02-29"), (Int64(1_795_305_600), "2026-11-22"), (Int64(253_402_300_799), "9999-12-31"),
    ])
    func unixTime(seconds: Int64, day: String) {
        #expect(LicenseDate(secondsSince1970: seconds).description == day)
    }
}
