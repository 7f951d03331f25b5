/// The `version=` field: which revisions of the product the key covers.
public struct VersionRule: Equatable, Sendable, CustomStringConvertible {
    public enum Comparison: Equatable, Sendable {
        /// `V`: that version exactly.
        case exactly
        /// `+V`: that version or newer.
        case orNewer
        /// `-V`: that version or older.
        case orOlder
    }

    public let comparison: Comparison
    public let version: DottedNumber

    public init(_ comparison: Comparison, _ version: DottedNumber) {
        self.comparison = comparison
        self.version = version
    }

    /// Reads a `version=` value: `V`, `+V` or `-V`.
    public init?(_ text: some StringProtocol) {
        let comparison: Comparison
        var number = Substring(text)
        switch number.first {
        case "+": comparison = .orNewer; number = number.dropFirst()
        case "-": comparison = .orOlder; number = number.dropFirst()
        default: comparison = .exactly
        }
        guard let version = DottedNumber(number) else { return nil }
        self.init(comparison, version)
    }

    /// Whether `revision` satisfies the rule.
    public func allows(_ revision: DottedNumber) -> Bool {
        switch comparison {
        case .exactly: revision == version
        case .orNewer: revision >= version
        case .orOlder: revision <= version
        }
    }

    public var description: String {
        switch comparison {
        case .exactly: "\(version) exactly"
        case .orNewer: "\(version) or newer"
        case .orOlder: "\(version) or older"
        }
    }
}
