/// The text of a key file (SPEC §1): exactly one key line; blank lines and lines starting
/// with `#` around it are ignored, and so are CR line ends, for files edited on Windows.
public enum KeyFileText {
    public struct Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The key line of a key file's text, without surrounding blanks.
    public static func keyLine(in text: String) throws(Error) -> String {
        var keyLines: [Substring] = []
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not split at "\n".
        for rawLine in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let line = Substring(rawLine.last == 0x0D ? rawLine.dropLast() : rawLine)
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            keyLines.append(line)
        }
        guard keyLines.count == 1, var line = keyLines.first else {
            throw Error(description: keyLines.isEmpty ? "the file holds no key line" : "the file holds \(keyLines.count) key lines; a key file holds exactly one")
        }
        while let first = line.first, first == " " || first == "\t" { line = line.dropFirst() }
        while let last = line.last, last == " " || last == "\t" { line = line.dropLast() }
        return String(line)
    }
}
