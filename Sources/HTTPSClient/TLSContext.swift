import COpenSSL

/// OpenSSL's client settings, shared by the connections made with it: certificates are always
/// verified, TLS 1.2 at least, trust from a CA file or the system's store.
///
/// `@unchecked Sendable`: the `SSL_CTX` is configured in `init` and only read afterwards, which
/// OpenSSL allows from several threads at once.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    /// - Parameter caFile: PEM certificates to trust instead of the system's (a self-signed server).
    public init(caFile: String? = nil) throws(HTTPSClientError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw HTTPSClientError(.tls, "cannot create a TLS context: \(Self.openSSLErrors())")
        }
        self.context = context
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        _ = SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw HTTPSClientError(.caFile, "cannot load CA file \(caFile): \(Self.openSSLErrors())")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw HTTPSClientError(.caFile, "cannot load the system's CA certificates: \(Self.openSSLErrors())")
            }
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// OpenSSL's queued reasons, for a message; the queue is left empty.
    static func openSSLErrors() -> String {
        var reasons: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while license_openssl_next_error(&buffer, buffer.count) == 1 {
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; ")
    }
}
