import HTTPSClient
import Testing

/// The HTTPS client's reader of answers, on bytes a fake or broken server may send.
@Suite("The HTTPS client's answer reader")
struct AnswerReaderTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("an answer by Content-Length, by chunks, or to the close")
    func wellFormed() throws {
        let sized = try HTTPSClient.parse(Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nvalid\nextra"))
        #expect(sized.status == 200 && sized.body == Self.bytes("valid\n"))
        let chunked = try HTTPSClient.parse(Self.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nval\r\n3\r\nid\n\r\n0\r\n\r\n"))
        #expect(chunked.body == Self.bytes("valid\n"))
        #expect(HTTPSClient.isComplete(Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")))
        #expect(!HTTPSClient.isComplete(Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok")))
    }

    static let broken = [
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nvalid\n",
        "HTTP/1.1 200 OK\r\nContent-Length: +6\r\n\r\nvalid\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nvalid\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nvalid\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nvalid\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nvalid\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nvalid\n",
        "HTTP/1.1 999 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
    ]

    @Test("a broken length or chunk size is a bad answer, never a trap", arguments: broken)
    func brokenAnswers(text: String) {
        #expect(throws: HTTPSClientError.self) { try HTTPSClient.parse(Self.bytes(text)) }
        _ = HTTPSClient.isComplete(Self.bytes(text))
    }
}
