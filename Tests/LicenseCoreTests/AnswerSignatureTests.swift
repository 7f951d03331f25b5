import LicenseCore
import Testing

@Suite("the License-Signature header and UTC timestamps")
struct AnswerSignatureTests {
    @Test("timestamps print and parse as YYYY-MM-DDTHH:MM:SSZ", arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"), (1_796_126_400, "2026-12-01T12:00:00Z"),
        (4_102_444_799, "2099-12-31T23:59:59Z"),
    ])
    func timestamps(seconds: Int64, text: String) {
        #expect(UTCTimestamp(secondsSince1970: seconds).description == text)
        #expect(UTCTimestamp(text)?.secondsSince1970 == seconds)
    }

    @Test("anything but that form is refused", arguments: [
        "2026-12-01 12:00:00Z", "2026-12-01T12:00:00", "2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z", "1969-12-31T23:59:59Z",
        "2026-12-01T12:00:00+00:00", "2026-1-01T12:00:00Z", "",
    ])
    func refused(text: String) {
        #expect(UTCTimestamp(text) == nil)
    }

    @Test("the header round-trips; until may be empty")
    func header() throws {
        let signature = AnswerSignature(time: UTCTimestamp(secondsSince1970: 1_796_126_400),
                                        until: UTCTimestamp(secondsSince1970: 1_796_212_800), signature: Array(repeating: 0xAB, count: 64))
        #expect(signature.headerValue.hasPrefix("t=2026-12-01T12:00:00Z, until=2026-12-02T12:00:00Z, sig=q6ur"))
        #expect(AnswerSignature(headerValue: signature.headerValue) == signature)
        let empty = AnswerSignature(time: signature.time, until: nil, signature: signature.signature)
        #expect(empty.headerValue.contains("until=, sig="))
        #expect(AnswerSignature(headerValue: empty.headerValue) == empty)
    }

    @Test("malformed headers are refused: missing parts, padding, a short signature, another order")
    func malformed() throws {
        let good = AnswerSignature(time: UTCTimestamp(secondsSince1970: 0), until: nil, signature: Array(repeating: 1, count: 64)).headerValue
        for text in [good.replacingOccurrences(of: "t=", with: "x="), good + "==", String(good.dropLast(4)),
                     "until=, t=1970-01-01T00:00:00Z, sig=" + good.components(separatedBy: "sig=")[1], "t=1970-01-01T00:00:00Z, sig=AA", ""] {
            #expect(AnswerSignature(headerValue: text) == nil, "\(text)")
        }
    }

    @Test("the signed message is SPEC §7's: prefix, C, t, until, body")
    func message() {
        let message = AnswerSignature.message(codeDigest: [0xFB, 0xFF], time: UTCTimestamp(secondsSince1970: 0), until: nil,
                                              body: Array("valid\n".utf8))
        #expect(String(decoding: message, as: UTF8.self) == "license-answer/1\n-_8\n1970-01-01T00:00:00Z\n\nvalid\n")
    }

    @Test("t within five minutes of the client's clock is timely, beyond is not")
    func timeliness() {
        let signature = AnswerSignature(time: UTCTimestamp(secondsSince1970: 10_000), until: nil, signature: [])
        #expect(signature.isTimely(now: UTCTimestamp(secondsSince1970: 10_300)))
        #expect(signature.isTimely(now: UTCTimestamp(secondsSince1970: 9_700)))
        #expect(!signature.isTimely(now: UTCTimestamp(secondsSince1970: 10_301)))
        #expect(!signature.isTimely(now: UTCTimestamp(secondsSince1970: 9_400)))
    }

    @Test("a decoded code keeps the text as sent, which signatures are bound to")
    func codeText() throws {
        let code = try StartupCode(keyLine: "X-A id=1", revision: "1.0", userID: "user-0001", domain: "Example.COM", nonce: "nonce-0123456789abcdef")
        #expect(String(decoding: code.text, as: UTF8.self) == "X-A id=1\n1.0\nuser-0001\nexample.com\nnonce=nonce-0123456789abcdef")
        let sent = Base64URL.encode(Array("X-A id=1\n1.0\nuser-0001\nExample.COM\nnonce=nonce-0123456789abcdef".utf8))
        #expect(try StartupCode(decoding: sent).text == Array("X-A id=1\n1.0\nuser-0001\nExample.COM\nnonce=nonce-0123456789abcdef".utf8))
    }
}
