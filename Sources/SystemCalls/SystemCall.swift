#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed: which one, and the `errno` it set, read right after it returned
/// (any later call, even a deallocation, may change `errno`).
public struct SystemCallError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was called, for the message: `open(/etc/x)`, `connect`.
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// The C library's text for `errno`.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(call): \(reason)" }
}

/// Runs `body`, a C call that returns -1 and sets `errno` when it fails, and turns a failure into
/// a `SystemCallError` whose `errno` is read before anything else runs. An interrupted call
/// (EINTR) is made again unless `retryingInterrupts` is false (`connect`, whose retry means
/// something else).
@inline(never)
public func systemCall<Result: FixedWidthInteger>(_ call: @autoclosure () -> String, retryingInterrupts: Bool = true,
                                                   _ body: () -> Result) throws(SystemCallError) -> Result {
    while true {
        let result = body()
        guard result == -1 else { return result }
        let code = errno
        if code == EINTR && retryingInterrupts { continue }
        throw SystemCallError(call(), errno: code)
    }
}

/// Writes all of `bytes` to `descriptor`, however many calls that takes.
public func writeAll(_ descriptor: Int32, _ bytes: [UInt8], describing call: @autoclosure () -> String) throws(SystemCallError) {
    var offset = 0
    while offset < bytes.count {
        let written = try systemCall(call()) {
            bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        }
        offset += written
    }
}

/// Creates `path`, which must not exist (O_EXCL), with `mode` from the start, so that a private
/// file is never readable by others, not even for a moment; writes `bytes`, sets `mode` again
/// (the umask may have narrowed it) and, with `synced`, waits until they are on disk.
public func createNewFile(_ path: String, _ bytes: [UInt8], mode: mode_t, synced: Bool = false) throws(SystemCallError) {
    let descriptor = try systemCall("cannot create \(path)") { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
    defer { close(descriptor) }
    try writeAll(descriptor, bytes, describing: "cannot write \(path)")
    _ = try systemCall("cannot set the mode of \(path)") { fchmod(descriptor, mode) }
    if synced { _ = try systemCall("cannot write \(path)") { fsync(descriptor) } }
}

/// The whole content of the file at `path`, read by `open` and `read` (a user ID file is a line):
/// nil when there is no such file. Unlike `FileManager.contents(atPath:)`, safe to call from many
/// threads of one process at once (the C library's callers share a client; FileManager's read
/// failed for some of 16 threads reading one small file).
public func readWholeFile(_ path: String) throws(SystemCallError) -> [UInt8]? {
    let descriptor: Int32
    do {
        descriptor = try systemCall("cannot open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
    } catch where error.errno == ENOENT {
        return nil
    }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = try systemCall("cannot read \(path)") { buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) } }
        if count == 0 { return bytes }
        bytes += buffer[..<count]
    }
}
