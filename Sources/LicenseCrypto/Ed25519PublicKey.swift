import COpenSSL

/// An Ed25519 public key (an issuer's verifying key), owning its OpenSSL `EVP_PKEY`.
///
/// `@unchecked Sendable`: the key is never mutated after creation, and OpenSSL 3
/// allows one `EVP_PKEY` to be used by concurrent verifications, each with its own
/// `EVP_MD_CTX`, so worker threads share one instance.
public final class Ed25519PublicKey: @unchecked Sendable {
    /// Bytes in a raw Ed25519 public key.
    public static let rawLength = 32
    /// Bytes in an Ed25519 signature.
    public static let signatureLength = 64

    let pointer: OpaquePointer

    private init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// A key from its 32 raw bytes.
    public convenience init(rawRepresentation raw: [UInt8]) throws {
        guard raw.count == Self.rawLength else {
            throw CryptoError(.invalidLength, operation: "reading a raw Ed25519 public key",
                              reasons: ["expected \(Self.rawLength) bytes, got \(raw.count)"])
        }
        guard let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, raw, raw.count) else {
            throw CryptoError.drainQueue(.library, operation: "EVP_PKEY_new_raw_public_key")
        }
        self.init(taking: key)
    }

    /// Reads a SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), as `openssl pkey -pubout` writes it.
    public convenience init(pem: [UInt8]) throws {
        let bio = try MemoryBIO(copying: pem)
        guard let key = PEM_read_bio_PUBKEY(bio.pointer, nil, nil, nil) else {
            throw CryptoError.drainQueue(.invalidPEM, operation: "reading a PEM public key")
        }
        guard EVP_PKEY_is_a(key, "ED25519") == 1 else {
            EVP_PKEY_free(key)
            throw CryptoError(.notEd25519, operation: "reading a PEM public key", reasons: ["the key is not an Ed25519 key"])
        }
        self.init(taking: key)
    }

    /// The key as SubjectPublicKeyInfo PEM.
    public func pem() throws -> [UInt8] {
        let bio = try MemoryBIO()
        try requireSuccess(PEM_write_bio_PUBKEY(bio.pointer, pointer), "PEM_write_bio_PUBKEY")
        return bio.contents()
    }

    /// The 32 raw bytes of the key.
    public var rawRepresentation: [UInt8] {
        get throws {
            var raw = [UInt8](repeating: 0, count: Self.rawLength)
            var length = raw.count
            try requireSuccess(EVP_PKEY_get_raw_public_key(pointer, &raw, &length), "EVP_PKEY_get_raw_public_key")
            return raw
        }
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    ///
    /// A signature of the wrong length is simply not valid; only a failure of
    /// OpenSSL itself throws.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) throws -> Bool {
        guard signature.count == Self.signatureLength else { return false }
        guard let context = EVP_MD_CTX_new() else {
            throw CryptoError.drainQueue(.library, operation: "EVP_MD_CTX_new")
        }
        defer { EVP_MD_CTX_free(context) }
        try requireSuccess(EVP_DigestVerifyInit(context, nil, nil, nil, pointer), "EVP_DigestVerifyInit")
        let result = message.withUnsafeBufferPointer { messageBuffer in
            EVP_DigestVerify(context, signature, signature.count, messageBuffer.baseAddress, messageBuffer.count)
        }
        // 1: valid, 0: invalid; anything else is a malformed signature, which is just as invalid.
        // Whatever OpenSSL queued about it must not leak into the next call on this thread.
        if result != 1 { ERR_clear_error() }
        return result == 1
    }
}
