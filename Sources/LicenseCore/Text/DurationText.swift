/// Durations as the command lines write them (SPEC §6): a number and a unit, `90s`, `15m`,
/// `24h`, `400d`.
public enum DurationText {
    /// The duration in seconds, or nil when `text` is not of that form (or is 0).
    public static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, text.count >= 2 else { return nil }
        let digits = text.dropLast()
        guard digits.utf8.allSatisfy(ASCII.isDigit), let number = Int(digits), number > 0 else { return nil }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default: return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow || seconds > 100 * 365 * 86_400 ? nil : seconds
    }
}
