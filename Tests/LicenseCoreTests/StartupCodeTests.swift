import LicenseCore
import Testing

@Suite("The startup code, SPEC §2")
struct StartupCodeTests {
    static let keyLine = "P users=5 " + Fixtures.placeholderSignature

    /// The base64url of `text`, as a client would send it.
    static func encode(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }

    static func decodeError(_ text: String) -> StartupCodeError? {
        do {
            _ = try StartupCode(decoding: encode(text))
            return nil
        } catch {
            return error
        }
    }

    @Test("encode and decode round-trip, extras included")
    func roundTrip() throws {
        let code = try StartupCode(keyLine: Self.keyLine, revision: "7.1.2", userID: "user-0001~x", domain: "App.Example.com",
                                   system: "Eth_08:00:2b:15:c7:d5", instance: "instance_01", options: ["Vario", "Channel"])
        let decoded = try StartupCode(decoding: code.encoded)
        #expect(decoded == code)
        #expect(decoded.keyLine == Array(Self.keyLine.utf8))
        #expect(decoded.revision.text == "7.1.2")
        #expect(decoded.userID == "user-0001~x")
        #expect(decoded.domain.text == "app.example.com")
        #expect(decoded.system == "Eth_08:00:2b:15:c7:d5")
        #expect(decoded.instance == "instance_01")
        #expect(decoded.options == ["Vario", "Channel"])
        #expect(!code.encoded.contains("="))
    }

    @Test("product= and nonce= lines: decoded, round-tripped, absent by default")
    func productAndNonce() throws {
        let nonce = String(repeating: "n", count: 16) + "._~-" + String(repeating: "9", count: 108)
        let code = try StartupCode(keyLine: Self.keyLine, revision: "7", userID: "abcdefgh", domain: "localhost",
                                   product: "X-PRO", nonce: nonce)
        let decoded = try StartupCode(decoding: code.encoded)
        #expect(decoded == code && decoded.product == "X-PRO" && decoded.nonce == nonce)
        let plain = try StartupCode(decoding: Self.encode("\(Self.keyLine)\n7\nabcdefgh\nlocalhost"))
        #expect(plain.product == nil && plain.nonce == nil)
        #expect(throws: StartupCodeError.self) {
            try StartupCode(keyLine: "P", revision: "1", userID: "abcdefgh", domain: "a", options: ["A", "A"])
        }
    }

    @Test("rights= line: the start's debit, 1 to 1000000, one when absent (SPEC §2)")
    func rightsLine() throws {
        let code = try StartupCode(keyLine: Self.keyLine, revision: "7", userID: "abcdefgh", domain: "localhost", rights: 5)
        let decoded = try StartupCode(decoding: code.encoded)
        #expect(decoded == code && decoded.rights == 5 && decoded.debit == 5)
        #expect(String(decoding: code.text, as: UTF8.self).hasSuffix("\nrights=5"))
        #expect(try StartupCode(decoding: Self.encode("\(Self.keyLine)\n7\nabcdefgh\nlocalhost\nrights=1000000")).debit == 1_000_000)
        let plain = try StartupCode(decoding: Self.encode("\(Self.keyLine)\n7\nabcdefgh\nlocalhost"))
        #expect(plain.rights == nil && plain.debit == 1)
        for outOfRange in [0, -3, 1_000_001] {
            #expect(throws: StartupCodeError.self) {
                try StartupCode(keyLine: Self.keyLine, revision: "7", userID: "abcdefgh", domain: "localhost", rights: outOfRange)
            }
        }
    }

    @Test("borrow= line: a duration, round-tripped; its seconds")
    func borrowLine() throws {
        let code = try StartupCode(keyLine: Self.keyLine, revision: "7", userID: "abcdefgh", domain: "localhost", rights: 2, borrow: "14d")
        let decoded = try StartupCode(decoding: code.encoded)
        #expect(decoded == code && decoded.borrow == "14d" && decoded.borrowSeconds == 14 * 86_400)
        #expect(String(decoding: code.text, as: UTF8.self).hasSuffix("\nrights=2\nborrow=14d"))
        #expect(try StartupCode(decoding: Self.encode("\(Self.keyLine)\n7\nabcdefgh\nlocalhost")).borrowSeconds == nil)
        #expect(throws: StartupCodeError.self) {
            try StartupCode(keyLine: Self.keyLine, revision: "7", userID: "abcdefgh", domain: "localhost", borrow: "0s")
        }
    }

    @Test("the four lines alone; instance and computer default to the user ID")
    func minimal() throws {
        let code = try StartupCode(decoding: Self.encode("\(Self.keyLine)\n7\nabcdefgh\nlocalhost"))
        #expect(code.system == nil && code.instance == nil && code.options.isEmpty)
        #expect(code.effectiveInstance == "abcdefgh")
        #expect(code.effectiveComputer == "abcdefgh")
    }

    @Test("extra lines in any order; padding accepted")
    func extrasAnyOrder() throws {
        let text = "\(Self.keyLine)\n7\nabcdefgh\nlocalhost\noptions=A\ninstance=inst-0001\nsystem=Sol_8068b73c"
        var padded = Self.encode(text)
        while padded.count % 4 != 0 { padded += "=" }
        let code = try StartupCode(decoding: padded)
        #expect(code.options == ["A"] && code.instance == "inst-0001" && code.system == "Sol_8068b73c")
    }

    @Test("a key line that is not UTF-8 keeps its bytes when the code is encoded again (found by fuzzing)")
    func reencodedKeyLineBytes() throws {
        let code = try StartupCode(decoding: Base64URL.encode([0x58, 0xFF, 0xC3] + Array("\n7\nabcdefgh\nlocalhost".utf8)))
        #expect(code.keyLine == [0x58, 0xFF, 0xC3])
        #expect(try StartupCode(decoding: code.encoded) == code)
    }

    @Test("whatever is wrong inside the key line is not a decoding error")
    func keyLineNotChecked() throws {
        let code = try StartupCode(decoding: Base64URL.encode([0xFF, 0x00, 0x41] + Array("\n7\nabcdefgh\nlocalhost".utf8)))
        #expect(code.keyLine == [0xFF, 0x00, 0x41])
        let empty = try StartupCode(decoding: Self.encode("\n7\nabcdefgh\nlocalhost"))
        #expect(empty.keyLine.isEmpty)
    }

    static let badCodes: [(String, String)] = [
        ("\(keyLine)", "has no REVISION line"),
        ("\(keyLine)\n7", "has no USER_ID line"),
        ("\(keyLine)\n7\nabcdefgh", "has no DOMAIN line"),
        ("\(keyLine)\n7.x\nabcdefgh\nlocalhost", "REVISION must be"),
        ("\(keyLine)\n\nabcdefgh\nlocalhost", "REVISION must be"),
        ("\(keyLine)\n\(String(repeating: "1.", count: 16))1\nabcdefgh\nlocalhost", "REVISION must be"),
        ("\(keyLine)\n7\nabcdefg\nlocalhost", "USER_ID must be"),
        ("\(keyLine)\n7\n\(String(repeating: "a", count: 129))\nlocalhost", "USER_ID must be"),
        ("\(keyLine)\n7\nabcd efgh\nlocalhost", "USER_ID must be"),
        ("\(keyLine)\n7\nabcd'--efgh\nlocalhost", "USER_ID must be"),
        ("\(keyLine)\n7\nabcdefgh\n", "ends with a line break"),
        ("\(keyLine)\n7\nabcdefgh\nexa mple.com", "DOMAIN must be"),
        ("\(keyLine)\n7\nabcdefgh\n\(String(repeating: "a.", count: 127))a", "DOMAIN must be"),
        ("\(keyLine)\n7\nabcdefgh\nbücher.de", "DOMAIN holds a byte outside printable ASCII"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\n", "ends with a line break"),
        ("\(keyLine)\r\n7\nabcdefgh\nlocalhost", "contains a CR"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nfoo=bar", "unknown extra line"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nsystem", "an extra line must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\n", "ends with a line break"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\n\nsystem=Eth_1", "an extra line must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nsystem=Eth_1\nsystem=Eth_1", "system= line appears twice"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\ninstance=abcdefgh\ninstance=abcdefgh", "instance= line appears twice"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\noptions=A\noptions=B", "options= line appears twice"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nsystem=Eth", "system must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nsystem=Eth_a\"b", "system must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\ninstance=short", "instance must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\noptions=", "options must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\noptions=A,,B", "options must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\noptions=A;B", "options must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nSystem=Eth_1", "unknown extra line"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\noptions=A,A", "an option is named twice"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\noptions=Export,", "options must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\noptions=,Export", "options must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nproduct=X-PRO\nproduct=X-PRO", "product= line appears twice"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nproduct=", "product must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nproduct=-X", "product must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nproduct=X PRO", "product must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nnonce=0123456789abcdef\nnonce=0123456789abcdef", "nonce= line appears twice"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nnonce=0123456789abcde", "nonce must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nnonce=\(String(repeating: "n", count: 129))", "nonce must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nnonce=0123456789abcdef!", "nonce must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocal\0host", "DOMAIN holds a byte outside printable ASCII"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nrights=0", "rights must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nrights=1000001", "rights must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nrights=01", "rights must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nrights=-1", "rights must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nrights=", "rights must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nrights=99999999999999999999", "rights must be"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nrights=2\nrights=2", "rights= line appears twice"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nborrow=0d", "borrow must be a duration"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nborrow=-1d", "borrow must be a duration"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nborrow=14", "borrow must be a duration"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nborrow=2w", "borrow must be a duration"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nborrow=", "borrow must be a duration"),
        ("\(keyLine)\n7\nabcdefgh\nlocalhost\nborrow=1d\nborrow=1d", "borrow= line appears twice"),
    ]

    @Test("each line out of its form is a precise error", arguments: badCodes)
    func badCode(text: String, expected: String) {
        let error = Self.decodeError(text)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "decoded")")
    }

    @Test("not base64url", arguments: ["", "a", "abc$", "ab+/", "ab cd", "a=bc", "abcde===", "YQ=a"])
    func notBase64URL(text: String) {
        #expect(throws: StartupCodeError.self) { try StartupCode(decoding: text) }
    }

    @Test("at most 4096 decoded bytes")
    func sizeLimit() throws {
        let prefix = "\n7\nabcdefgh\nlocalhost"
        let fits = String(repeating: "k", count: 4096 - prefix.utf8.count) + prefix
        #expect(throws: Never.self) { try StartupCode(decoding: Self.encode(fits)) }
        let tooLong = "k" + fits
        #expect(throws: StartupCodeError("the code is longer than 4096 bytes")) { try StartupCode(decoding: Self.encode(tooLong)) }
        let huge = [UInt8](repeating: 0x41, count: 1_000_000)
        #expect(throws: StartupCodeError("the code is longer than 4096 bytes")) { try StartupCode(decoding: huge) }
    }

    @Test("making a code checks its parts the same way")
    func encodingValidates() {
        #expect(throws: StartupCodeError.self) { try StartupCode(keyLine: "P\nQ", revision: "1", userID: "abcdefgh", domain: "a") }
        #expect(throws: StartupCodeError.self) { try StartupCode(keyLine: "P", revision: "1.", userID: "abcdefgh", domain: "a") }
        #expect(throws: StartupCodeError.self) { try StartupCode(keyLine: "P", revision: "1", userID: "abc", domain: "a") }
        #expect(throws: StartupCodeError.self) { try StartupCode(keyLine: "P", revision: "1", userID: "abcdefgh", domain: "a b") }
        #expect(throws: StartupCodeError.self) { try StartupCode(keyLine: "P", revision: "1", userID: "abcdefgh", domain: "a", options: ["-x"]) }
        #expect(throws: StartupCodeError.self) {
            try StartupCode(keyLine: String(repeating: "k", count: 4090), revision: "1", userID: "abcdefgh", domain: "a")
        }
    }

    @Test("base64url against a known vector")
    func base64Vector() {
        #expect(Base64URL.encode(Array("foob>?".utf8)) == "Zm9vYj4_")
        #expect(Base64URL.decode(Array("Zm9vYj4_".utf8)) == Array("foob>?".utf8))
        #expect(Base64URL.decode(Array("Zm9vYg==".utf8)) == Array("foob".utf8))
        #expect(Base64URL.decode(Array("Zm9vYg".utf8)) == Array("foob".utf8))
    }
}
