/// Splits a key line into its product and `name=value` tokens (SPEC §1) and hands them to
/// `LicenseTermsBuilder`; the first problem from the left gives the error.
struct LicenseKeyParser {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parse() throws(LicenseKeyError) -> LicenseKey {
        try checkCharacters()
        var builder = LicenseTermsBuilder()
        skipBlanks()
        guard position < bytes.count else { throw .malformed("the key is empty") }
        let productColumn = position + 1
        let product = readBareWord()
        try builder.setProduct(String(decoding: product, as: UTF8.self), column: productColumn)

        while true {
            skipBlanks()
            guard position < bytes.count else { throw .malformed("the key has no signature field", column: position + 1) }
            let column = position + 1
            let field = try readField(column: column)
            if field.name == "signature" {
                guard let signature = SignatureText.decode(field.value) else {
                    throw .malformed("signature: must be 103 lower-case base32 characters in dot-separated groups of four", column: column)
                }
                skipBlanks()
                guard position == bytes.count else {
                    throw .malformed("signature must be the last field", column: position + 1)
                }
                return LicenseKey(terms: try builder.build(), signature: signature)
            }
            try builder.add(field, column: column)
        }
    }

    /// UTF-8, no line breaks and no control characters but the tab that separates tokens.
    private func checkCharacters() throws(LicenseKeyError) {
        for (index, byte) in bytes.enumerated() where (byte < 0x20 && byte != ASCII.tab) || byte == 0x7F {
            throw .malformed(byte == ASCII.lineFeed || byte == ASCII.carriageReturn
                ? "the key must be one line" : "control character in the key", column: index + 1)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .malformed("the key is not valid UTF-8")
        }
        // C1 controls (U+0080–U+009F) are control characters too.
        if let index = text.unicodeScalars.firstIndex(where: { (0x80...0x9F).contains($0.value) }) {
            throw .malformed("control character in the key", column: text.utf8.distance(from: text.utf8.startIndex, to: index) + 1)
        }
    }

    private mutating func skipBlanks() {
        while position < bytes.count, ASCII.isBlank(bytes[position]) { position += 1 }
    }

    private mutating func readBareWord() -> ArraySlice<UInt8> {
        let start = position
        while position < bytes.count, !ASCII.isBlank(bytes[position]) { position += 1 }
        return bytes[start..<position]
    }

    private mutating func readField(column: Int) throws(LicenseKeyError) -> LicenseTerms.Field {
        let nameStart = position
        while position < bytes.count, bytes[position] != ASCII.equals, !ASCII.isBlank(bytes[position]),
              bytes[position] != ASCII.quote {
            position += 1
        }
        guard position < bytes.count, bytes[position] == ASCII.equals, position > nameStart else {
            throw .malformed("expected name=value", column: column)
        }
        let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
        position += 1
        let value: [UInt8]
        if position < bytes.count, bytes[position] == ASCII.quote {
            value = try readQuotedValue(column: column, name: name)
        } else {
            let word = readBareWord()
            guard !word.contains(ASCII.quote) else {
                throw .malformed("\(name): a '\"' inside a bare value; quote the whole value", column: column)
            }
            value = Array(word)
        }
        return LicenseTerms.Field(name, String(decoding: value, as: UTF8.self))
    }

    /// `"…"` with `\"` and `\\` as the only escapes, ending at a blank or the end of the line.
    private mutating func readQuotedValue(column: Int, name: String) throws(LicenseKeyError) -> [UInt8] {
        position += 1
        var value: [UInt8] = []
        while true {
            guard position < bytes.count else { throw .malformed("\(name): unterminated quoted value", column: column) }
            let byte = bytes[position]
            position += 1
            if byte == ASCII.quote { break }
            if byte == ASCII.backslash {
                guard position < bytes.count, bytes[position] == ASCII.quote || bytes[position] == ASCII.backslash else {
                    throw .malformed("\(name): only \\\" and \\\\ are escapes in a quoted value", column: column)
                }
                value.append(bytes[position])
                position += 1
            } else {
                value.append(byte)
            }
        }
        guard position == bytes.count || ASCII.isBlank(bytes[position]) else {
            throw .malformed("\(name): text right after a closing quote", column: column)
        }
        return value
    }
}
