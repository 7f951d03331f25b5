/// An answer read over HTTPS.
public struct HTTPSAnswer: Sendable {
    public let status: Int
    /// Header names in lower case, in the order received.
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first value of the header `name` (any case).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name == lowered }?.value
    }
}

/// A minimal HTTP/1.1 client over TLS for short exchanges: one request per connection, a
/// deadline over the whole exchange, certificates always verified.
public struct HTTPSClient: Sendable {
    public let context: TLSContext
    /// The longest a whole exchange may take: connect, handshake, request and answer.
    public let timeout: Duration
    /// The largest answer read.
    public static let answerLimit = 65_536

    public init(context: TLSContext, timeout: Duration) {
        self.context = context
        self.timeout = timeout
    }

    /// Sends one request and reads its answer.
    public func send(method: String, host: String, port: Int, path: String, headers: [(String, String)] = [],
                     body: [UInt8] = []) throws(HTTPSClientError) -> HTTPSAnswer {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let connection = try TLSConnection(host: host, port: port, context: context, deadline: deadline)
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (port == 443 ? "" : ":\(port)")
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method == "POST" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        try connection.write(Array((head + "\r\n").utf8) + body)
        let received = try connection.read(limit: Self.answerLimit) { Self.isComplete($0) }
        return try Self.parse(received)
    }

    /// Whether `bytes` hold a whole answer whose length its head states.
    public static func isComplete(_ bytes: [UInt8]) -> Bool {
        guard let (headLength, headers) = try? head(of: bytes), let length = try? contentLength(headers) else { return false }
        return bytes.count - headLength >= length
    }

    /// The `Content-Length`, when the head has one: digits only (a sign or a number past
    /// `Int.max` is a broken answer, never a negative or trapping length).
    private static func contentLength(_ headers: [(name: String, value: String)]) throws(HTTPSClientError) -> Int? {
        guard let text = headers.first(where: { $0.name == "content-length" })?.value else { return nil }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(text) else {
            throw HTTPSClientError(.badAnswer, "a Content-Length that is no length")
        }
        return length
    }

    /// The length of the head (blank line included) and its headers, or nil while incomplete.
    private static func head(of bytes: [UInt8]) throws(HTTPSClientError) -> (Int, [(name: String, value: String)])? {
        guard let end = bytes.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPSClientError(.badAnswer, "a header line without a colon") }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingSpaces()))
        }
        return (end.upperBound, headers)
    }

    /// The status, headers and body of a whole answer (by Content-Length, chunks, or the close).
    /// Whatever the bytes, it answers or throws `badAnswer`; it never traps.
    public static func parse(_ bytes: [UInt8]) throws(HTTPSClientError) -> HTTPSAnswer {
        guard let (headLength, headers) = try head(of: bytes) else {
            throw HTTPSClientError(.badAnswer, bytes.isEmpty ? "the server closed the connection without an answer" : "an incomplete answer")
        }
        let statusLine = String(decoding: bytes.prefix { $0 != 13 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...599).contains(status) else {
            throw HTTPSClientError(.badAnswer, "not an HTTP/1.1 answer")
        }
        var body = Array(bytes[headLength...])
        if headers.contains(where: { $0.name == "transfer-encoding" && $0.value.lowercased().contains("chunked") }) {
            body = try dechunked(body)
        } else if let length = try contentLength(headers) {
            guard body.count >= length else { throw HTTPSClientError(.badAnswer, "the answer ended early") }
            body = Array(body.prefix(length))
        }
        return HTTPSAnswer(status: status, headers: headers, body: body)
    }

    private static func dechunked(_ bytes: [UInt8]) throws(HTTPSClientError) -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: [13, 10]) else { throw HTTPSClientError(.badAnswer, "a broken chunk") }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            let sizeDigits = sizeText.trimmingSpaces()
            guard !sizeDigits.isEmpty, sizeDigits.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x66) }),
                  let size = Int(sizeDigits, radix: 16) else { throw HTTPSClientError(.badAnswer, "a broken chunk size") }
            if size == 0 { return body }
            let start = lineEnd.upperBound
            // Compared as what is left, so that a size near Int.max cannot overflow the sum.
            guard size <= bytes.count - start, bytes.count - start - size >= 2 else {
                throw HTTPSClientError(.badAnswer, "the answer ended early")
            }
            body += bytes[start..<start + size]
            index = start + size + 2
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
