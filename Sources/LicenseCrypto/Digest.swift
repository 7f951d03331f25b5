import COpenSSL

/// SHA-256 and HMAC-SHA-256 through OpenSSL's one-shot functions.
public enum Digest {
    /// Bytes in a SHA-256 digest.
    public static let sha256Length = 32

    /// The SHA-256 digest of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: sha256Length)
        var length: UInt32 = 0
        let result = bytes.withUnsafeBufferPointer {
            EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil)
        }
        // EVP_Digest with a built-in digest fails only when memory runs out.
        precondition(result == 1 && length == UInt32(sha256Length), "EVP_Digest(SHA-256) failed")
        return digest
    }

    /// HMAC-SHA-256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: sha256Length)
        var length: UInt32 = 0
        let result = key.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count),
                     messageBuffer.baseAddress, messageBuffer.count, &mac, &length)
            }
        }
        // HMAC with a built-in digest fails only when memory runs out.
        precondition(result != nil && length == UInt32(sha256Length), "HMAC(SHA-256) failed")
        return mac
    }

    /// Lower-case hexadecimal spelling of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
