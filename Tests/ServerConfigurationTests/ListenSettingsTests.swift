import ServerConfiguration
import Testing

@Suite("Where the pool listens, and who may connect")
struct ListenSettingsTests {
    @Test("a unix socket, a TCP address, and every interface only with a list of nginx's addresses")
    func addresses() throws {
        #expect(try ListenSettings(socket: "/run/license-server/fcgi.sock", allow: nil).address == .unixSocket(path: "/run/license-server/fcgi.sock"))
        #expect(try ListenSettings(socket: "fcgi.sock", allow: nil).address == .unixSocket(path: "fcgi.sock"))
        let one = try ListenSettings(socket: "10.0.0.21:9000", allow: nil)
        #expect(one.address == .tcp(host: "10.0.0.21", port: 9000) && one.webServerAddresses == nil)
        let every = try ListenSettings(socket: ":9000", allow: "10.0.0.1,10.0.0.2")
        #expect(every.address == .tcp(host: "", port: 9000))
        #expect(every.webServerAddresses == "10.0.0.1,10.0.0.2")
        #expect(try ListenSettings(socket: "0.0.0.0:9000", allow: "10.0.0.1").address == .tcp(host: "", port: 9000))
    }

    @Test("refused: every interface without --allow, --allow on a unix socket, bad ports and addresses, IPv6")
    func refused() {
        for (socket, allow) in [(":9000", nil), ("0.0.0.0:9000", nil), ("*:9000", nil), ("/run/x.sock", "10.0.0.1"),
                                ("10.0.0.21:0", nil), ("10.0.0.21:65536", nil), ("10.0.0.21:http", nil), ("[::1]:9000", nil),
                                (":9000", ""), (":9000", "10.0.0.1,"), (":9000", "10.0.0.256"), (":9000", "10.0.0.01"),
                                (":9000", "nginx.example.com"), (":9000", "10.0.0.1 ,10.0.0.2"), ("", nil)] as [(String, String?)] {
            #expect(throws: ListenSettingsError.self, "\(socket) \(allow ?? "-")") { try ListenSettings(socket: socket, allow: allow) }
        }
    }
}
