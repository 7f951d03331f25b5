/// What the service needs of an HTTP request, as nginx passes it through FastCGI.
public struct ServiceRequest: Sendable {
    public var method: String
    /// The path without the query string.
    public var path: String
    public var query: String
    public var contentType: String?
    public var accept: String?
    public var origin: String?
    /// `Access-Control-Request-Method` of a CORS preflight.
    public var corsRequestMethod: String?
    /// `LICENSE_REALM` from nginx; the default realm when nginx sets none.
    public var realm: String
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", contentType: String? = nil, accept: String? = nil,
                origin: String? = nil, corsRequestMethod: String? = nil, realm: String = RealmIssuers.defaultRealm,
                body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.contentType = contentType
        self.accept = accept
        self.origin = origin
        self.corsRequestMethod = corsRequestMethod
        self.realm = realm
        self.body = body
    }
}

/// An answer: status, headers, body.
public struct ServiceResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    /// A `text/plain` answer of one line.
    public static func text(_ status: Int, _ line: String, headers: [(String, String)] = []) -> ServiceResponse {
        ServiceResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: line + "\n")
    }

    public static func json(_ body: String) -> ServiceResponse {
        ServiceResponse(status: 200, headers: [("Content-Type", "application/json")], body: body + "\n")
    }

    /// The CGI form libfcgi sends back to nginx: `Status:` and headers, a blank line, the body.
    public var cgiBytes: [UInt8] {
        var head = "Status: \(status) \(Self.reasonPhrase(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        return Array(head.utf8) + Array(body.utf8)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Content Too Large"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// `application/x-www-form-urlencoded` decoding, for query strings and form bodies.
enum FormDecoding {
    /// The first value of `name`, percent-decoded, `+` as space; nil when absent or not decodable.
    static func value(of name: String, in text: [UInt8]) -> [UInt8]? {
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
