import FastCGI

/// Where the pool listens (`--socket`) and, over TCP, which hosts may connect (`--allow`).
///
/// Whoever reaches the pool's socket chooses `LICENSE_REALM` and passes by nginx's limits, so a
/// TCP socket on every interface without a list of nginx's addresses is refused at start. The
/// list is libfcgi's own check (`FCGI_WEB_SERVER_ADDRS`: a connection from another address is
/// closed unanswered); libfcgi listens on IPv4 only.
public struct ListenSettings: Sendable, Equatable {
    public let address: ListenAddress
    /// The IPv4 addresses a TCP socket accepts connections from; nil accepts any.
    public let allowedPeers: [String]?

    /// - Parameters:
    ///   - socket: a unix socket path, or `HOST:PORT` / `:PORT`.
    ///   - allow: comma-separated IPv4 addresses (`--allow`, or `FCGI_WEB_SERVER_ADDRS` as libfcgi reads it).
    public init(socket: String, allow: String?) throws(ListenSettingsError) {
        if Self.isUnixSocket(socket) {
            guard allow == nil else { throw ListenSettingsError("--allow is for a TCP --socket (HOST:PORT); a unix socket is guarded by its group") }
            guard !socket.isEmpty else { throw ListenSettingsError("--socket must be a unix socket path or HOST:PORT") }
            address = .unixSocket(path: socket)
            allowedPeers = nil
            return
        }
        let colon = socket.lastIndex(of: ":")!  // not a unix socket: there is a colon
        var host = String(socket[..<colon])
        guard let port = Int(socket[socket.index(after: colon)...]), (1...65535).contains(port) else {
            throw ListenSettingsError("--socket \(socket): the port must be 1 to 65535")
        }
        guard !host.contains(":") && !host.hasPrefix("[") else {
            throw ListenSettingsError("--socket \(socket): libfcgi listens on IPv4 only; give an IPv4 address or a host name")
        }
        if host == "0.0.0.0" || host == "*" { host = "" }
        address = .tcp(host: host, port: port)
        allowedPeers = try allow.map { text throws(ListenSettingsError) in try Self.peers(text) }
        guard !host.isEmpty || allowedPeers != nil else {
            throw ListenSettingsError("--socket \(socket) listens on every interface: give --allow with nginx's addresses, or a HOST to listen on")
        }
    }

    /// Whether `socket` names a unix socket (as libfcgi's FCGX_OpenSocket reads it) rather than `HOST:PORT`.
    public static func isUnixSocket(_ socket: String) -> Bool {
        socket.hasPrefix("/") || socket.hasPrefix(".") || !socket.contains(":")
    }

    /// The addresses of an `--allow` list.
    public static func peers(_ allow: String) throws(ListenSettingsError) -> [String] {
        let peers = allow.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard peers.allSatisfy(isIPv4) else {
            throw ListenSettingsError("--allow must be IPv4 addresses separated by commas (nginx's), not \(allow)")
        }
        return peers
    }

    /// The value of `FCGI_WEB_SERVER_ADDRS` that makes libfcgi accept only the allowed peers.
    public var webServerAddresses: String? { allowedPeers?.joined(separator: ",") }

    /// A dotted quad of four decimal numbers 0–255, as libfcgi compares it (no leading zeros).
    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard let value = Int(part), (0...255).contains(value), part.allSatisfy(\.isASCII) else { return false }
            return String(value) == part
        }
    }
}

/// A `--socket` or `--allow` that cannot be used.
public struct ListenSettingsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
