import COpenSSL

/// An Ed25519 private key (an issuer's signing key), owning its OpenSSL `EVP_PKEY`.
///
/// `@unchecked Sendable`: the key is never mutated after creation, and OpenSSL 3
/// allows one `EVP_PKEY` to be used by concurrent signing operations, each with
/// its own `EVP_MD_CTX`.
public final class Ed25519PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// A new random key pair.
    public static func generate() throws -> Ed25519PrivateKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
            throw CryptoError.drainQueue(.library, operation: "EVP_PKEY_CTX_new_id")
        }
        defer { EVP_PKEY_CTX_free(context) }
        try requireSuccess(EVP_PKEY_keygen_init(context), "EVP_PKEY_keygen_init")
        var key: OpaquePointer?
        try requireSuccess(EVP_PKEY_keygen(context, &key), "EVP_PKEY_keygen")
        guard let key else { throw CryptoError(.library, operation: "EVP_PKEY_keygen") }
        return Ed25519PrivateKey(taking: key)
    }

    /// Reads a PKCS#8 PEM private key, as `openssl genpkey -algorithm ed25519` writes it.
    public convenience init(pem: [UInt8]) throws {
        let bio = try MemoryBIO(copying: pem)
        guard let key = PEM_read_bio_PrivateKey(bio.pointer, nil, nil, nil) else {
            throw CryptoError.drainQueue(.invalidPEM, operation: "reading a PEM private key")
        }
        guard EVP_PKEY_is_a(key, "ED25519") == 1 else {
            EVP_PKEY_free(key)
            throw CryptoError(.notEd25519, operation: "reading a PEM private key", reasons: ["the key is not an Ed25519 key"])
        }
        self.init(taking: key)
    }

    /// The key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
    public func pem() throws -> [UInt8] {
        let bio = try MemoryBIO()
        try requireSuccess(
            PEM_write_bio_PrivateKey(bio.pointer, pointer, nil, nil, 0, nil, nil), "PEM_write_bio_PrivateKey")
        return bio.contents()
    }

    /// The matching public key.
    public var publicKey: Ed25519PublicKey {
        get throws {
            var raw = [UInt8](repeating: 0, count: Ed25519PublicKey.rawLength)
            var length = raw.count
            try requireSuccess(EVP_PKEY_get_raw_public_key(pointer, &raw, &length), "EVP_PKEY_get_raw_public_key")
            return try Ed25519PublicKey(rawRepresentation: raw)
        }
    }

    /// The 64-byte Ed25519 signature (RFC 8032, pure) of `message`.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else {
            throw CryptoError.drainQueue(.library, operation: "EVP_MD_CTX_new")
        }
        defer { EVP_MD_CTX_free(context) }
        try requireSuccess(EVP_DigestSignInit(context, nil, nil, nil, pointer), "EVP_DigestSignInit")
        var signature = [UInt8](repeating: 0, count: Ed25519PublicKey.signatureLength)
        var length = signature.count
        try requireSuccess(
            message.withUnsafeBufferPointer { EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) },
            "EVP_DigestSign")
        return Array(signature.prefix(length))
    }
}
