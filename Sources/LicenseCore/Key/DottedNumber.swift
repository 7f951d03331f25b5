/// A version or revision number: `[0-9]+(\.[0-9]+)*`, compared part by part as numbers of any
/// length; leading zeros are ignored and missing parts are 0 (`7.1` = `7.1.0`, `7.10` > `7.9`).
public struct DottedNumber: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The text as written.
    public let text: String
    /// Each part without leading zeros, trailing zero parts removed: the comparable form.
    private let significantParts: [Substring]

    /// Reads `text`, or returns nil when it is not a dotted number.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(ASCII.isDigit) }) else { return nil }
        var significant = parts.map { part -> Substring in
            let trimmed = part.drop { $0 == "0" }
            return Substring(trimmed.isEmpty ? "0" : trimmed)
        }
        while significant.count > 1, significant.last == "0" { significant.removeLast() }
        if significant == ["0"] { significant = [] }
        self.text = String(text)
        self.significantParts = significant
    }

    public var description: String { text }

    public static func == (lhs: DottedNumber, rhs: DottedNumber) -> Bool {
        lhs.significantParts == rhs.significantParts
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(significantParts)
    }

    public static func < (lhs: DottedNumber, rhs: DottedNumber) -> Bool {
        let count = max(lhs.significantParts.count, rhs.significantParts.count)
        for index in 0..<count {
            let left = index < lhs.significantParts.count ? lhs.significantParts[index] : "0"
            let right = index < rhs.significantParts.count ? rhs.significantParts[index] : "0"
            // Without leading zeros, a longer number is a larger one.
            if left.count != right.count { return left.count < right.count }
            if left != right { return left < right }
        }
        return false
    }
}
