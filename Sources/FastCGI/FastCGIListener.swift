import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket the worker pool accepts FastCGI connections on.
public struct FastCGIListener: Sendable {
    /// The listening file descriptor, shared by every worker's `FCGX_Request`.
    public let descriptor: Int32
    /// The unix socket's path, or nil for `HOST:PORT`.
    public let unixSocketPath: String?

    /// Opens `address`: a unix socket path, or `HOST:PORT` / `:PORT` for TCP.
    ///
    /// libfcgi creates a unix socket for its owner only; `group` and `mode` let nginx's
    /// workers (another user) connect, without making the socket world-writable.
    public init(address: String, backlog: Int32 = 128, group: gid_t? = nil, mode: mode_t = 0o660) throws(FastCGIError) {
        if FCGX_Init() != 0 { throw FastCGIError("FCGX_Init failed") }
        let isUnix = address.hasPrefix("/") || address.hasPrefix(".") || !address.contains(":")
        if isUnix { unlink(address) }
        let descriptor = FCGX_OpenSocket(address, backlog)
        guard descriptor >= 0 else { throw FastCGIError("cannot listen on \(address): \(String(cString: strerror(errno)))") }
        if isUnix {
            if let group, chown(address, uid_t.max, group) != 0 {
                throw FastCGIError("cannot give \(address) to group \(group): \(String(cString: strerror(errno)))")
            }
            if chmod(address, mode) != 0 {
                throw FastCGIError("cannot chmod \(address): \(String(cString: strerror(errno)))")
            }
        }
        self.descriptor = descriptor
        self.unixSocketPath = isUnix ? address : nil
    }

    /// Wakes every worker blocked in `accept()` (Linux answers a shut-down listening socket
    /// with EINVAL), so that they can stop; requests already accepted go on.
    public func stopAccepting() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Closes the socket and removes a unix socket's file.
    public func close() {
        _ = Glibc.close(descriptor)
        if let unixSocketPath { unlink(unixSocketPath) }
    }
}

/// libfcgi failed.
public struct FastCGIError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
