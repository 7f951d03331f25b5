import CFastCGI
import Synchronization
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Where a pool listens: a unix socket, or an IPv4 TCP address (libfcgi's kinds).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case unixSocket(path: String)
    /// An empty host is every interface.
    case tcp(host: String, port: Int)

    public var description: String {
        switch self {
        case .unixSocket(let path): path
        case .tcp(let host, let port): "\(host):\(port)"
        }
    }
}

/// The listening socket the worker pool accepts FastCGI connections on. One owner: the pool,
/// which closes it once its workers have stopped accepting (or it closes when it goes away).
public final class FastCGIListener: Sendable {
    /// The listening file descriptor, shared by every worker's `FCGX_Request`.
    public let descriptor: Int32
    /// The unix socket's path, or nil for `HOST:PORT`.
    public let unixSocketPath: String?
    private let closed = Atomic<Bool>(false)

    /// Opens `address`.
    ///
    /// libfcgi creates a unix socket for its owner only; `group` and `mode` let nginx's
    /// workers (another user) connect, without making the socket world-writable.
    public init(address: ListenAddress, backlog: Int32 = 128, group: gid_t? = nil, mode: mode_t = 0o660) throws(FastCGIError) {
        if FCGX_Init() != 0 { throw FastCGIError("FCGX_Init failed") }
        if case .unixSocket(let path) = address {
            // A socket left by a pool that died is replaced; one a running pool listens on is not.
            if Self.someoneListens(on: path) { throw FastCGIError("another process listens on \(path)") }
            unlink(path)
        }
        do throws(SystemCallError) {
            // Made here rather than by libfcgi's FCGX_OpenSocket, which exits the process when
            // bind fails (a port in use) instead of returning the error.
            switch address {
            case .unixSocket(let path):
                descriptor = try Self.listeningUnixSocket(path, backlog: backlog)
                if let group { _ = try systemCall("cannot give \(path) to group \(group)") { chown(path, uid_t.max, group) } }
                _ = try systemCall("cannot chmod \(path)") { chmod(path, mode) }
                unixSocketPath = path
            case .tcp(let host, let port):
                descriptor = try Self.listeningTCPSocket(host: host, port: port, backlog: backlog)
                unixSocketPath = nil
            }
        } catch {
            throw FastCGIError(error.description, errno: error.errno)
        }
    }

    /// The first socket systemd handed this process (socket activation: `LISTEN_PID` is this
    /// process and `LISTEN_FDS` at least 1; the socket is descriptor 3), or nil without one.
    /// The variables are removed, so that no child takes the socket for its own. systemd owns
    /// the socket's file: closing leaves it.
    public static func fromSystemd() throws(FastCGIError) -> FastCGIListener? {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        guard let pid = variable("LISTEN_PID").flatMap({ pid_t($0) }), pid == getpid(),
              let count = variable("LISTEN_FDS").flatMap({ Int($0) }), count >= 1 else { return nil }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        let descriptor: Int32 = 3
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        do throws(SystemCallError) {
            _ = try systemCall("descriptor 3 from systemd is no socket") { getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) }
        } catch {
            throw FastCGIError(error.description, errno: error.errno)
        }
        guard listening == 1 else { throw FastCGIError("descriptor 3 from systemd is a socket that does not listen") }
        if FCGX_Init() != 0 { throw FastCGIError("FCGX_Init failed") }
        // The pool and systemd share the socket from here on; it must not be inherited by children.
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return FastCGIListener(descriptor: descriptor)
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        unixSocketPath = nil
    }

    /// A listening unix socket at `path`.
    private static func listeningUnixSocket(_ path: String, backlog: Int32) throws(SystemCallError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemCallError("cannot listen on \(path) (a unix socket path is at most 107 bytes)", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let descriptor = try systemCall("cannot make a socket for \(path)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        do throws(SystemCallError) {
            _ = try systemCall("cannot listen on \(path)") {
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            _ = try systemCall("cannot listen on \(path)") { listen(descriptor, backlog) }
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
        return descriptor
    }

    /// A listening IPv4 socket at `host:port` (an empty host is every interface), as libfcgi
    /// would make it: IPv4 only, SO_REUSEADDR, so that a pool restarted at once may listen again.
    private static func listeningTCPSocket(host: String, port: Int, backlog: Int32) throws(SystemCallError) -> Int32 {
        let address = "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw SystemCallError("cannot listen on \(address) (\(String(cString: gai_strerror(resolved))))", errno: EADDRNOTAVAIL)
        }
        defer { freeaddrinfo(found) }
        let descriptor = try systemCall("cannot make a socket for \(address)") { socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        do throws(SystemCallError) {
            var one: Int32 = 1
            _ = try systemCall("cannot set SO_REUSEADDR on \(address)") {
                setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            _ = try systemCall("cannot listen on \(address)") { bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) }
            _ = try systemCall("cannot listen on \(address)") { listen(descriptor, backlog) }
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
        return descriptor
    }

    private static func someoneListens(on path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { _ = Glibc.close(probe) }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return connected == 0
    }

    /// Wakes every worker blocked in `accept()` (Linux answers a shut-down listening socket
    /// with EINVAL), so that they can stop; requests already accepted go on.
    public func stopAccepting() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Removes a unix socket's file, so that a new pool may listen there; connections already
    /// made, and a worker still accepting, are not disturbed.
    public func removeSocketFile() {
        if let unixSocketPath { unlink(unixSocketPath) }
    }

    /// Closes the socket (once) and removes its file. Only when no worker accepts on it any
    /// more: a descriptor number closed under a blocked accept may be reused by another file.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = Glibc.close(descriptor)
        removeSocketFile()
    }

    deinit {
        close()
    }
}

/// libfcgi failed.
public struct FastCGIError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The `errno` of the failed call, when it set one.
    public let errno: Int32?

    public init(_ description: String, errno: Int32? = nil) {
        self.description = description
        self.errno = errno
    }

    /// Whether the listening socket itself is gone (closed, or no longer listening): accepting
    /// again cannot succeed.
    public var meansListenerLost: Bool {
        guard let errno else { return false }
        return errno == EBADF || errno == ENOTSOCK || errno == EINVAL
    }
}
