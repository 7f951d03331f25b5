import LicenseCore
import Testing

@Suite("The dotted base32 signature spelling")
struct SignatureTextTests {
    @Test("64 bytes give 103 lower-case base32 characters in groups of four, the last of three")
    func shape() {
        let text = SignatureText.encode((0..<64).map { UInt8($0 * 3 & 0xFF) })
        #expect(text.count == 128)
        let groups = text.split(separator: ".", omittingEmptySubsequences: false)
        #expect(groups.count == 26)
        #expect(groups.dropLast().allSatisfy { $0.count == 4 })
        #expect(groups.last?.count == 3)
        #expect(text.allSatisfy { $0 == "." || ("a"..."z").contains($0) || ("2"..."7").contains($0) })
    }

    @Test("RFC 4648 base32 of known bytes")
    func knownVector() {
        // "foobar" is MZXW6YTBOI in RFC 4648; followed by 58 zero bytes.
        let bytes = Array("foobar".utf8) + [UInt8](repeating: 0, count: 58)
        #expect(SignatureText.encode(bytes).hasPrefix("mzxw.6ytb.oiaa"))
    }

    @Test("decode inverts encode for varied signatures")
    func roundTrip() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let bytes = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(SignatureText.decode(SignatureText.encode(bytes)) == bytes)
        }
    }

    @Test("every other spelling is refused")
    func otherSpellings() {
        let text = SignatureText.encode([UInt8](repeating: 0xA5, count: 64))
        #expect(SignatureText.decode(text) != nil)
        #expect(SignatureText.decode(text.uppercased()) == nil)
        #expect(SignatureText.decode(text.replacingOccurrences(".", with: "")) == nil)
        #expect(SignatureText.decode(String(text.dropLast())) == nil)
        #expect(SignatureText.decode(text + "a") == nil)
        #expect(SignatureText.decode("." + text.dropLast()) == nil)
        #expect(SignatureText.decode(text.replacingOccurrences("a", with: "1")) == nil || !text.contains("a"))
        // The last character carries 2 bits and 3 unused ones, which must be zero.
        let unusedBitsSet = String(text.dropLast()) + "b"
        #expect(SignatureText.decode(unusedBitsSet) == nil)
    }
}

/// SplitMix64: a reproducible generator, so a failing property names its case.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
