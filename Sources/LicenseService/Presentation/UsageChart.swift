import StoreBoundary

/// The license page's chart (SPEC §12): distinct users and computers per day over the last 90
/// days, as inline SVG drawn here. Only numbers and `YYYY-MM-DD` days go into it, and those
/// through `HTMLText.escaped` all the same.
public struct UsageChart: Sendable {
    public static let dayCount = 90
    static let width = 720.0
    static let height = 220.0
    static let left = 44.0
    static let right = 12.0
    static let top = 12.0
    static let bottom = 28.0

    /// The days that have figures, within the 90.
    public let days: [ConsoleDay]
    public let firstDay: String
    public let today: String

    public init(days: [ConsoleDay], firstDay: String, today: String) {
        self.days = days.filter { (0..<Self.dayCount).contains($0.index) }
        self.firstDay = firstDay
        self.today = today
    }

    /// The SVG element: an axis, a line and one point (with its figures as a tooltip) per day that
    /// has figures, for users and for computers.
    public var svg: String {
        let largest = max(1, days.map { max($0.users, $0.hosts) }.max() ?? 1)
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        func x(_ index: Int) -> Double { Self.left + plotWidth * Double(index) / Double(Self.dayCount - 1) }
        func y(_ value: Int) -> Double { Self.top + plotHeight * (1 - Double(value) / Double(largest)) }
        // Whole and tenths, as SVG takes them (no locale, no exponent).
        func number(_ value: Double) -> String {
            let tenths = Int((value * 10).rounded())
            return "\(tenths / 10).\(abs(tenths % 10))"
        }

        var parts: [String] = []
        parts.append("<svg class=\"usage-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" role=\"img\" aria-label=\"Distinct users and computers per day, last 90 days\">")
        let axisBottom = number(Self.top + plotHeight)
        parts.append("<path class=\"axis\" d=\"M\(number(Self.left)) \(number(Self.top))V\(axisBottom)H\(number(Self.width - Self.right))\"/>")
        parts.append("<text class=\"label\" x=\"\(number(Self.left - 6))\" y=\"\(number(Self.top + 4))\" text-anchor=\"end\">\(largest)</text>")
        parts.append("<text class=\"label\" x=\"\(number(Self.left - 6))\" y=\"\(axisBottom)\" text-anchor=\"end\">0</text>")
        parts.append("<text class=\"label\" x=\"\(number(Self.left))\" y=\"\(number(Self.height - 8))\">\(HTMLText.escaped(firstDay))</text>")
        parts.append("<text class=\"label\" x=\"\(number(Self.width - Self.right))\" y=\"\(number(Self.height - 8))\" text-anchor=\"end\">\(HTMLText.escaped(today))</text>")
        for (series, value) in [("users", \ConsoleDay.users), ("computers", \ConsoleDay.hosts)] as [(String, KeyPath<ConsoleDay, Int>)] {
            let points = days.map { "\(number(x($0.index))),\(number(y($0[keyPath: value])))" }.joined(separator: " ")
            if days.count > 1 { parts.append("<polyline class=\"\(series)\" points=\"\(points)\"/>") }
            parts.append("<g class=\"\(series)-points\">")
            for day in days {
                let count = day[keyPath: value]
                parts.append("<circle class=\"point\" data-day=\"\(HTMLText.escaped(day.day))\" data-\(series)=\"\(count)\" cx=\"\(number(x(day.index)))\" cy=\"\(number(y(count)))\" r=\"3\"><title>\(HTMLText.escaped(day.day)): \(count) \(series)</title></circle>")
            }
            parts.append("</g>")
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}
