/// The `signature=` spelling of SPEC §1: the 64-byte Ed25519 signature in RFC 4648 base32,
/// lower case, without padding (103 characters), in groups of four joined by `.`, the last
/// group of three: `a7k5.552y.7b97.…`. There is exactly one spelling per signature.
public enum SignatureText {
    /// Bytes in an Ed25519 signature.
    public static let signatureLength = 64
    /// Base32 characters for 64 bytes without padding.
    static let base32Length = 103
    /// Characters in the dotted form: 103 base32 characters and 25 dots.
    public static let textLength = 128

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// The dotted base32 text of a 64-byte signature.
    public static func encode(_ signature: [UInt8]) -> String {
        // Callers pass a LicenseKey's signature (64 bytes by its initializer) or a fresh one.
        precondition(signature.count == signatureLength, "an Ed25519 signature has 64 bytes")
        var base32 = [UInt8]()
        base32.reserveCapacity(base32Length)
        var buffer: UInt32 = 0
        var bitCount = 0
        for byte in signature {
            buffer = (buffer << 8) | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                base32.append(alphabet[Int((buffer >> UInt32(bitCount)) & 0x1F)])
            }
        }
        if bitCount > 0 {
            base32.append(alphabet[Int((buffer << UInt32(5 - bitCount)) & 0x1F)])
        }
        var dotted = [UInt8]()
        dotted.reserveCapacity(textLength)
        for (index, character) in base32.enumerated() {
            if index > 0, index % 4 == 0 { dotted.append(ASCII.dot) }
            dotted.append(character)
        }
        return String(decoding: dotted, as: UTF8.self)
    }

    /// The 64 bytes of a dotted base32 signature, or nil for any other spelling (upper case,
    /// other grouping, wrong length, non-zero unused bits).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count == textLength else { return nil }
        var signature = [UInt8]()
        signature.reserveCapacity(signatureLength)
        var buffer: UInt32 = 0
        var bitCount = 0
        for (index, character) in characters.enumerated() {
            if index % 5 == 4 {
                guard character == ASCII.dot else { return nil }
                continue
            }
            let value: UInt8
            switch character {
            case 0x61...0x7A: value = character - 0x61
            case 0x32...0x37: value = character - 0x32 + 26
            default: return nil
            }
            buffer = (buffer << 5) | UInt32(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                signature.append(UInt8((buffer >> UInt32(bitCount)) & 0xFF))
            }
        }
        // 103 × 5 = 515 bits: the last 3 must be zero, or two texts would mean one signature.
        guard signature.count == signatureLength, buffer & ((1 << UInt32(bitCount)) - 1) == 0 else { return nil }
        return signature
    }
}
