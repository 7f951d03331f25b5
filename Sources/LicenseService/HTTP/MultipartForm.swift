import LicenseCore

/// `multipart/form-data` (RFC 7578) as a browser sends a form with a file input: the fields by
/// name, each part's body as bytes. Only what such a form sends is read (a `Content-Disposition`
/// with a `name` per part); anything else in the body makes the whole form unreadable (nil).
public enum MultipartForm {
    /// One part: its field name, the file name when it is a file, and its bytes.
    public struct Part: Equatable, Sendable {
        public let name: String
        public let fileName: String?
        public let value: [UInt8]
    }

    /// The boundary of a `multipart/form-data` content type; nil for another type, or a
    /// boundary RFC 2046 does not allow (1 to 70 characters).
    public static func boundary(ofContentType contentType: String) -> String? {
        let parameters = contentType.split(separator: ";").map { $0.trimmingBlanks() }
        guard let type = parameters.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0].trimmingBlanks().lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingBlanks()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
            guard (1...70).contains(value.utf8.count), value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 }) else {
                return nil
            }
            return String(value)
        }
        return nil
    }

    /// The parts of `body`, or nil when it is not a form of this boundary.
    public static func parts(of body: [UInt8], boundary: String) -> [Part]? {
        let delimiter = Array(("--" + boundary).utf8)
        let lineBreak: [UInt8] = [0x0D, 0x0A]
        guard var position = firstIndex(of: delimiter, in: body, from: 0) else { return nil }
        var parts: [Part] = []
        while true {
            position += delimiter.count
            if body[position...].starts(with: [0x2D, 0x2D]) { return parts }  // "--": the closing delimiter
            guard body[position...].starts(with: lineBreak) else { return nil }
            position += lineBreak.count
            guard let headersEnd = firstIndex(of: lineBreak + lineBreak, in: body, from: position),
                  let next = firstIndex(of: lineBreak + delimiter, in: body, from: headersEnd + 4) else { return nil }
            guard let part = part(headers: body[position..<headersEnd], value: Array(body[(headersEnd + 4)..<next])) else {
                return nil
            }
            parts.append(part)
            position = next + lineBreak.count
        }
    }

    /// A part from its header lines; nil without a `form-data` disposition that names it.
    private static func part(headers: ArraySlice<UInt8>, value: [UInt8]) -> Part? {
        guard headers.allSatisfy({ $0 == 0x0D || $0 == 0x0A || $0 == 0x09 || ($0 >= 0x20 && $0 < 0x7F) }) else { return nil }
        let text = String(decoding: headers, as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            let header = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard header.count == 2, header[0].trimmingBlanks().lowercased() == "content-disposition" else { continue }
            let parameters = header[1].split(separator: ";").map { $0.trimmingBlanks() }
            guard parameters.first?.lowercased() == "form-data" else { return nil }
            var name: String?
            var fileName: String?
            for parameter in parameters.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.count == 2 else { continue }
                var quoted = pair[1].trimmingBlanks()
                if quoted.count >= 2, quoted.hasPrefix("\""), quoted.hasSuffix("\"") { quoted = quoted.dropFirst().dropLast() }
                switch pair[0].trimmingBlanks().lowercased() {
                case "name": name = String(quoted)
                case "filename": fileName = String(quoted)
                default: break
                }
            }
            guard let name else { return nil }
            return Part(name: name, fileName: fileName, value: value)
        }
        return nil
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
