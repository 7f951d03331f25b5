/// `application/x-www-form-urlencoded` decoding, for query strings and form bodies.
public enum FormDecoding {
    /// The code of a request: `?code=` of a GET, the `code=` field of a form body, or the
    /// whole body (a bare code; clients such as curl label it form-encoded all the same).
    public static func code(of request: ServiceRequest) -> [UInt8]? {
        if request.method == "GET" { return value(of: "code", in: Array(request.query.utf8)) }
        if let field = value(of: "code", in: request.body) { return field }
        var body = request.body[...]
        while let last = body.last, last == 0x0A || last == 0x0D || last == 0x20 { body = body.dropLast() }
        return body.isEmpty ? nil : Array(body)
    }

    /// The first value of `name`, percent-decoded, `+` as space; nil when absent or not decodable.
    public static func value(of name: String, in text: [UInt8]) -> [UInt8]? {
        for pair in text.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = percentDecoded(parts[0]), key == Array(name.utf8) else { continue }
            return parts.count == 2 ? percentDecoded(parts[1]) : []
        }
        return nil
    }

    static func percentDecoded(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < text.endIndex,
                      let high = hexValue(text[index + 1]), let low = hexValue(text[index + 2]) else { return nil }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? 0x20 : byte)
                index += 1
            }
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
