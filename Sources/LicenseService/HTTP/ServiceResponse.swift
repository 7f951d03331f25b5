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
