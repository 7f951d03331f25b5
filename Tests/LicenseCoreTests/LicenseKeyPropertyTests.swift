import LicenseCore
import LicenseSigning
import Testing

/// Properties over generated keys, from a fixed seed so that a failure can be replayed.
@Suite("Generated keys")
struct LicenseKeyPropertyTests {
    /// A random valid key: every field kind, random order of the global fields, random values.
    static func randomFields(_ generator: inout SeededGenerator) -> (product: String, fields: [String]) {
        func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &generator)] }
        func chance() -> Bool { Bool.random(using: &generator) }
        func word(_ alphabet: String, _ lengths: ClosedRange<Int>) -> String {
            let characters = Array(alphabet)
            return String((0..<Int.random(in: lengths, using: &generator)).map { _ in pick(characters) })
        }
        let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        func limits() -> [String] {
            ["rights", "users", "hosts"].filter { _ in chance() }.map { "\($0)=\(Int.random(in: 1...100_000, using: &generator))" }
        }
        var global: [String] = []
        if chance() { global.append("id=" + word(letters + "._-", 1...20)) }
        if chance() { global.append("licensee=" + pick(["ACME", "ACME Corp", "Müller \"&\" Söhne", "a\\b", "x\ty"])) }
        if chance() { global.append("version=" + pick(["", "+", "-"]) + word("0123456789", 1...3) + "." + word("0123456789", 1...2)) }
        if chance() { global.append("type=" + pick(["floating", "nodelocked"])) }
        if chance() { global.append("duration=" + pick(["11Dec2004-10Dec2006", "29Feb2024-01Mar2024", "01Jan2000-31Dec9999"])) }
        if chance() { global.append("maintenance=" + pick(["11Dec2004-10Dec2005", "01Jan2026-01Jan2026"])) }
        for _ in 0..<Int.random(in: 0...2, using: &generator) {
            global.append("host=" + pick(["", "*."]) + word("abcdefghijklmnopqrstuvwxyz", 1...8) + pick([".com", ".example", ""]))
        }
        for _ in 0..<Int.random(in: 0...2, using: &generator) {
            global.append("systemid=" + pick(["Eth_", "Sol_", "HP_"]) + word(letters + ":", 1...20))
        }
        if chance() { global.append("issuer=default") }
        var fields = limits()
        for index in 0..<Int.random(in: 0...3, using: &generator) {
            fields.append("option=Opt\(index)" + word(letters, 0...4))
            fields += limits()
        }
        // Global fields may stand anywhere, even between an option and its limits' end.
        for field in global {
            fields.insert(field, at: Int.random(in: 0...fields.count, using: &generator))
        }
        // An inserted global field never changes which scope a limit belongs to, so the
        // key stays valid; the product is random too.
        return (word(letters, 1...1) + word(letters + "._+-", 0...10), fields)
    }

    @Test("parse(canonical(k)) == k")
    func canonicalRoundTrip() throws {
        var generator = SeededGenerator(seed: 2026)
        for _ in 0..<300 {
            let (product, fields) = Self.randomFields(&generator)
            let key = try Fixtures.signedKey(product, fields)
            #expect(try LicenseKey(parsing: key.line) == key, "\(key.line)")
            #expect(Fixtures.trusted.verdict(for: try LicenseKey(parsing: key.line)) == .verified)
        }
    }

    @Test("changing any single byte of a signed key makes it fail, unless one blank becomes another")
    func singleByteChanges() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<8 {
            let (product, fields) = Self.randomFields(&generator)
            let key = try Fixtures.signedKey(product, fields.filter { !$0.hasPrefix("licensee=") } + ["licensee=Tab\tand space"])
            let bytes = Array(key.line.utf8)
            for position in bytes.indices {
                var changed = bytes
                // Alternate a neighbouring byte and a random one, so both small and wild changes are tried.
                changed[position] = position % 2 == 0 ? bytes[position] ^ 0x01 : UInt8.random(in: 0...255, using: &generator)
                if changed[position] == bytes[position] { changed[position] ^= 0x20 }
                let decision = LicenseCheck.authenticate(keyLine: changed, issuers: Fixtures.trusted)
                let blankForBlank = [0x20, 0x09].contains(bytes[position]) && [0x20, 0x09].contains(changed[position])
                if blankForBlank, case .valid(let changedKey) = decision {
                    // A separator may be any run of blanks: the key must mean exactly what it did.
                    #expect(changedKey == key, "byte \(position) of \(key.line)")
                } else {
                    #expect(decision.reason != nil, "byte \(position) of \(key.line) changed to \(changed[position])")
                }
            }
        }
    }
}
