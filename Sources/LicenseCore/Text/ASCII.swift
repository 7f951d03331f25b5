/// Byte classes of the key and code grammars, on UTF-8 bytes.
enum ASCII {
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let equals: UInt8 = 0x3D
    static let dot: UInt8 = 0x2E
    static let hyphen: UInt8 = 0x2D
    static let underscore: UInt8 = 0x5F
    static let colon: UInt8 = 0x3A

    static func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    static func isLetterOrDigit(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }
    static func isHexDigit(_ byte: UInt8) -> Bool { isDigit(byte) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66) }

    /// `[A-Za-z0-9][A-Za-z0-9._+-]*`: products and option names.
    static func isProductName<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        guard let first = bytes.first, isLetterOrDigit(first) else { return false }
        return bytes.allSatisfy { isLetterOrDigit($0) || $0 == dot || $0 == underscore || $0 == 0x2B || $0 == hyphen }
    }

    /// Every byte in `allowed`, and a length within `lengths`.
    static func matches<C: Collection<UInt8>>(_ bytes: C, lengths: ClosedRange<Int>, allowed: (UInt8) -> Bool) -> Bool {
        lengths.contains(bytes.count) && bytes.allSatisfy(allowed)
    }

    /// `[A-Za-z0-9._~-]`: user and instance IDs.
    static func isIDCharacter(_ byte: UInt8) -> Bool {
        isLetterOrDigit(byte) || byte == dot || byte == underscore || byte == 0x7E || byte == hyphen
    }
}
