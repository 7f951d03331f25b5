/// A calendar day in UTC, as license keys spell it (`11Dec2004`).
public struct LicenseDate: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// A real date of the Gregorian calendar, years 1 to 9999; nil for `29Feb2021` and the like.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= LicenseDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Reads `DDMonYYYY`: two digits, `Jan` … `Dec`, four digits.
    public init?(keyText text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 9,
              bytes[0..<2].allSatisfy(ASCII.isDigit), bytes[5..<9].allSatisfy(ASCII.isDigit),
              let monthIndex = LicenseDate.monthNames.firstIndex(of: String(decoding: bytes[2..<5], as: UTF8.self))
        else { return nil }
        // Cannot fail: two and four ASCII digits, checked above.
        let day = Int(String(decoding: bytes[0..<2], as: UTF8.self))!
        let year = Int(String(decoding: bytes[5..<9], as: UTF8.self))!
        self.init(year: year, month: monthIndex + 1, day: day)
    }

    /// The UTC day holding `secondsSince1970`.
    public init(secondsSince1970 seconds: Int64) {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        // Howard Hinnant's civil_from_days.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days from 1 January 1970 to this day (negative before it).
    public var daysSince1970: Int64 {
        // Howard Hinnant's days_from_civil, the inverse of the above.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return Int64(era * 146_097 + dayOfEra - 719_468)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `DDMonYYYY`, as in keys.
    public var keyText: String {
        (day < 10 ? "0" : "") + "\(day)" + LicenseDate.monthNames[month - 1] + String(repeating: "0", count: 4 - "\(year)".count) + "\(year)"
    }

    /// `YYYY-MM-DD`, as in JSON answers and reports.
    public var description: String {
        String(repeating: "0", count: 4 - "\(year)".count) + "\(year)-" + (month < 10 ? "0" : "") + "\(month)-" + (day < 10 ? "0" : "") + "\(day)"
    }

    public static func < (lhs: LicenseDate, rhs: LicenseDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// `D1-D2`: from day D1 to day D2, both included.
public struct DateRange: Equatable, Sendable, CustomStringConvertible {
    public let first: LicenseDate
    public let last: LicenseDate

    /// A range; nil when `first` is after `last`.
    public init?(first: LicenseDate, last: LicenseDate) {
        guard first <= last else { return nil }
        self.first = first
        self.last = last
    }

    /// Reads `DDMonYYYY-DDMonYYYY`.
    public init?(keyText text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let first = LicenseDate(keyText: parts[0]), let last = LicenseDate(keyText: parts[1]) else {
            return nil
        }
        self.init(first: first, last: last)
    }

    public func contains(_ date: LicenseDate) -> Bool { first <= date && date <= last }

    public var keyText: String { first.keyText + "-" + last.keyText }

    public var description: String { "\(first) to \(last)" }
}
