/// A moment in whole seconds, written `YYYY-MM-DDTHH:MM:SSZ` (SPEC §7's `t` and `until`).
public struct UTCTimestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let secondsSince1970: Int64

    public init(secondsSince1970: Int64) {
        self.secondsSince1970 = secondsSince1970
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (years 1970–9999); nil for anything else.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard ASCII.isDigit(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              year >= 1970, hour < 24, minute < 60, second < 60,
              let date = LicenseDate(year: year, month: month, day: day) else { return nil }
        secondsSince1970 = date.daysSince1970 * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    public var description: String {
        let date = LicenseDate(secondsSince1970: secondsSince1970)
        let secondOfDay = Int(((secondsSince1970 % 86_400) + 86_400) % 86_400)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(repeating: "0", count: max(0, 4 - "\(date.year)".count)) + "\(date.year)"
        return "\(year)-\(two(date.month))-\(two(date.day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }

    public static func < (lhs: UTCTimestamp, rhs: UTCTimestamp) -> Bool { lhs.secondsSince1970 < rhs.secondsSince1970 }
}
