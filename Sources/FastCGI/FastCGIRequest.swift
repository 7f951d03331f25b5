import CFastCGI
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// One worker's `FCGX_Request`, at a stable heap address for its whole life, reused for every
/// request the worker accepts.
///
/// Not `Sendable`: it belongs to the one thread that accepts with it. Parameters are copied
/// into Swift strings, because libfcgi's pointers die at `finish()`.
public final class FastCGIRequest {
    private let request: UnsafeMutablePointer<FCGX_Request>

    public init(listener: FastCGIListener) throws(FastCGIError) {
        request = .allocate(capacity: 1)
        guard FCGX_InitRequest(request, listener.descriptor, 0) == 0 else {
            request.deallocate()
            throw FastCGIError("FCGX_InitRequest failed")
        }
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// Waits for the next request. Throws when libfcgi's accept fails, with the `errno` it
    /// returns (EINVAL once the listener is shut down, EMFILE when out of descriptors, …).
    public func accept() throws(FastCGIError) {
        let result = FCGX_Accept_r(request)
        guard result >= 0 else {
            // FCGX_Accept_r returns -errno (read right after accept failed), or -9999 when errno was not set.
            guard result != -9999 else { throw FastCGIError("accept failed for a reason libfcgi did not give") }
            let error = SystemCallError("accept failed", errno: -result)
            throw FastCGIError(error.description, errno: error.errno)
        }
    }

    /// A CGI parameter (`REQUEST_METHOD`, `LICENSE_REALM`, …) of the current request.
    public func parameter(_ name: String) -> String? {
        guard let value = FCGX_GetParam(name, request.pointee.envp) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: value, count: strlen(value)), as: UTF8.self)
    }

    /// The request body, or nil when it is longer than `limit` bytes.
    public func readBody(limit: Int) -> [UInt8]? {
        var body: [UInt8] = []
        var chunk = [CChar](repeating: 0, count: 4096)
        while true {
            let read = FCGX_GetStr(&chunk, Int32(chunk.count), request.pointee.in)
            if read <= 0 { return body }
            body.append(contentsOf: chunk[0..<Int(read)].map { UInt8(bitPattern: $0) })
            if body.count > limit { return nil }
        }
    }

    /// Writes raw response bytes (CGI headers, a blank line, the body).
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                _ = FCGX_PutStr($0.baseAddress, Int32($0.count), request.pointee.out)
            }
        }
    }

    /// Ends the current request: flushes the response, frees its parameters.
    public func finish() {
        FCGX_Finish_r(request)
    }
}
