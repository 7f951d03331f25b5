/// The form of a system ID (`systemid=` in keys, `system=` in codes): `TYPE_VALUE`, TYPE letters,
/// VALUE printable ASCII without spaces or quotes, 64 characters in all at most.
public enum SystemIDSyntax {
    /// The longest system ID, in characters.
    public static let maximumLength = 64

    /// Whether `text` is a well-formed system ID such as `Eth_08:00:2b:15:c7:d5`.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumLength, let separator = bytes.firstIndex(of: ASCII.underscore), separator > 0 else {
            return false
        }
        let type = bytes[..<separator]
        let value = bytes[(separator + 1)...]
        return type.allSatisfy(ASCII.isLetter)
            && !value.isEmpty
            && value.allSatisfy { $0 >= 0x21 && $0 <= 0x7E && $0 != ASCII.quote && $0 != 0x27 }
    }
}
