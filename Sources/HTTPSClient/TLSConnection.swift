import COpenSSL
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// One TLS connection over a non-blocking TCP socket; every step (connect, handshake, write,
/// read) waits in `poll` no longer than the deadline, so a server that accepts and never
/// answers cannot hold the caller. Owns the socket and the `SSL`; not shared between threads.
final class TLSConnection {
    private let socket: Int32
    private let ssl: OpaquePointer
    private let deadline: ContinuousClock.Instant

    /// Connects to `host:port` and completes the handshake, the certificate verified for `host`.
    init(host: String, port: Int, context: TLSContext, deadline: ContinuousClock.Instant) throws(HTTPSClientError) {
        self.deadline = deadline
        socket = try Self.connect(host: host, port: port, deadline: deadline)
        guard let ssl = SSL_new(context.context) else {
            close(socket)
            throw HTTPSClientError(.tls, "cannot create a TLS connection: \(TLSContext.openSSLErrors())")
        }
        self.ssl = ssl
        SSL_set_fd(ssl, socket)
        if Self.isIPAddress(host) {
            // No server name indication for an IP literal (RFC 6066); the certificate must name the address.
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            // SSL_set_tlsext_host_name, a macro over SSL_ctrl; OpenSSL copies the name.
            _ = host.withCString { name in
                SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: name))
            }
            SSL_set1_host(ssl, host)
        }
        try perform("TLS handshake with \(host)") { SSL_connect(ssl) }
    }

    deinit {
        SSL_free(ssl)
        close(socket)
    }

    /// Sends all of `bytes`.
    func write(_ bytes: [UInt8]) throws(HTTPSClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = try perform("sending the request") {
                bytes.withUnsafeBytes { buffer in
                    SSL_write(ssl, buffer.baseAddress! + offset, Int32(bytes.count - offset))
                }
            }
            offset += Int(written)
        }
    }

    /// Reads until the server closes, `isComplete` says the answer is whole, or `limit` bytes.
    func read(limit: Int, isComplete: ([UInt8]) -> Bool) throws(HTTPSClientError) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while !isComplete(received) {
            let count = try perform("reading the answer", endOfStreamIsZero: true) {
                buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            }
            if count == 0 { break }
            received += buffer[..<Int(count)]
            if received.count > limit { throw HTTPSClientError(.badAnswer, "the answer is larger than \(limit) bytes") }
        }
        return received
    }

    /// Runs an SSL call until it succeeds, waiting in `poll` whenever it wants the socket.
    @discardableResult
    private func perform(_ what: String, endOfStreamIsZero: Bool = false, _ call: () -> Int32) throws(HTTPSClientError) -> Int32 {
        while true {
            ERR_clear_error()
            let result = call()
            if result > 0 { return result }
            let error = SSL_get_error(ssl, result)
            switch error {
            case SSL_ERROR_WANT_READ:
                try Self.wait(socket, for: Int16(POLLIN), until: deadline, doing: what)
            case SSL_ERROR_WANT_WRITE:
                try Self.wait(socket, for: Int16(POLLOUT), until: deadline, doing: what)
            case SSL_ERROR_ZERO_RETURN where endOfStreamIsZero:
                return 0
            case SSL_ERROR_SYSCALL where endOfStreamIsZero && ERR_peek_error() == 0:
                return 0
            default:
                let verification = SSL_get_verify_result(ssl)
                if verification != X509_V_OK {
                    let reason = String(cString: X509_verify_cert_error_string(verification))
                    throw HTTPSClientError(.tls, "\(what) failed: the server's certificate does not verify: \(reason)")
                }
                if endOfStreamIsZero, isUnexpectedEndOfStream() { return 0 }
                throw HTTPSClientError(.tls, "\(what) failed: \(TLSContext.openSSLErrors())")
            }
        }
    }

    /// Whether OpenSSL's last error is a close without TLS close-notify, which nginx may do
    /// after a complete answer; the length of the answer tells whether it is whole.
    private func isUnexpectedEndOfStream() -> Bool {
        let error = ERR_peek_error()
        return error != 0 && Int32(error & 0x7FFFFF) == SSL_R_UNEXPECTED_EOF_WHILE_READING
    }

    static func isIPAddress(_ host: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
    }

    /// A connected non-blocking socket to one of `host`'s addresses.
    private static func connect(host: String, port: Int, deadline: ContinuousClock.Instant) throws(HTTPSClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw HTTPSClientError(.unresolvable, "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = HTTPSClientError(.unreachable, "no address for \(host)")
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            next = address.pointee.ai_next
            let family = address.pointee.ai_family
            guard let descriptor = try? systemCall("socket", { Glibc.socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0) })
            else { continue }
            do throws(HTTPSClientError) {
                let what = "cannot connect to \(host):\(port)"
                do {
                    _ = try systemCall(what, retryingInterrupts: false) {
                        Glibc.connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen)
                    }
                } catch where error.errno == EINPROGRESS || error.errno == EINTR {
                    // Connecting in the background: its outcome is SO_ERROR once the socket is writable.
                    try wait(descriptor, for: Int16(POLLOUT), until: deadline, doing: "connecting to \(host):\(port)")
                    var socketError: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &socketError, &length)
                    guard socketError == 0 else {
                        throw HTTPSClientError(.unreachable, SystemCallError(what, errno: socketError).description)
                    }
                } catch {
                    throw HTTPSClientError(.unreachable, error.description)
                }
                return descriptor
            } catch {
                close(descriptor)
                if error.code == .timedOut { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    /// Waits until `socket` is ready for `events`, or throws `timedOut` at the deadline.
    private static func wait(_ socket: Int32, for events: Int16, until deadline: ContinuousClock.Instant,
                             doing what: String) throws(HTTPSClientError) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(0, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            if milliseconds <= 0 { throw HTTPSClientError(.timedOut, "timed out \(what)") }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let ready: Int32
            do {
                // Not retried here: an interrupted wait goes round this loop, with less time left.
                ready = try systemCall(what, retryingInterrupts: false) { poll(&descriptor, 1, Int32(min(milliseconds, 60_000))) }
            } catch where error.errno == EINTR {
                continue
            } catch {
                throw HTTPSClientError(.unreachable, error.description)
            }
            if ready > 0 { return }
        }
    }
}
