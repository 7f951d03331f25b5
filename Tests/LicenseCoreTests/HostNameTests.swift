import LicenseCore
import Testing

@Suite("Host names and host= patterns")
struct HostNameTests {
    @Test("DOMAIN forms", arguments: [
        ("example.com", true), ("EXAMPLE.com", true), ("localhost", true), ("127.0.0.1", true), ("_srv.a-b.example", true),
        ("xn--bcher-kva.example", true), ("::1", true), ("[::1]", true), ("2001:db8::8a2e:370:7334", true),
        ("::ffff:192.0.2.1", true), ("1:2:3:4:5:6:7:8", true),
        ("", false), ("example..com", false), (".example.com", false), ("example.com.", false), ("exa mple.com", false),
        ("bücher.example", false), ("a/b", false), ("[::1", false), ("1:2:3:4:5:6:7:8:9", false), ("1::2::3", false),
        ("12345::1", false), ("::g", false), ("example.com:443", false),
        (String(repeating: "a", count: 63) + ".com", true), (String(repeating: "a", count: 64) + ".com", false),
        (Array(repeating: "abcdefghi", count: 25).joined(separator: ".") + ".abc", true),
        (Array(repeating: "abcdefghi", count: 25).joined(separator: ".") + ".abcd", false),
    ])
    func domains(text: String, valid: Bool) {
        #expect((HostName(text) != nil) == valid, "\(text)")
    }

    @Test("compared in lower case, IPv6 without brackets")
    func normalized() {
        #expect(HostName("Example.COM")?.text == "example.com")
        #expect(HostName("[::1]") == HostName("::1"))
    }

    @Test("host= covers exact names case-insensitively and *. every subdomain at any depth", arguments: [
        ("example.com", "example.com", true), ("example.com", "EXAMPLE.COM", true), ("Example.Com", "example.com", true),
        ("example.com", "www.example.com", false), ("*.example.com", "www.example.com", true),
        ("*.example.com", "a.b.c.example.com", true), ("*.example.com", "example.com", false),
        ("*.example.com", "badexample.com", false), ("*.example.com", "www.example.com.evil", false),
        ("127.0.0.1", "127.0.0.1", true), ("[::1]", "::1", true),
    ])
    func covers(pattern: String, domain: String, covered: Bool) throws {
        let hostPattern = try #require(HostPattern(pattern))
        #expect(hostPattern.covers(try #require(HostName(domain))) == covered)
    }

    @Test("the host of an Origin header", arguments: [
        ("https://app.example.com", "app.example.com"), ("https://App.Example.com:8443", "app.example.com"),
        ("http://localhost:3000", "localhost"), ("http://[::1]:8080", "::1"), ("https://example.com/", "example.com"),
        ("null", nil), ("app.example.com", nil), ("https://", nil), ("https://a.com:port", nil),
        ("https://user@a.com", nil), ("https://a.com/path", nil),
    ] as [(String, String?)])
    func origin(header: String, host: String?) {
        #expect(HostName(origin: header)?.text == host)
    }
}
