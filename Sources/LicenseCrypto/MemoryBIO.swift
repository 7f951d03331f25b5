import COpenSSL

/// A memory BIO, freed when this goes away; PEM reading and writing go through it.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty BIO to write into.
    init() throws {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw CryptoError.drainQueue(.library, operation: "BIO_new")
        }
        pointer = bio
    }

    /// A BIO holding a copy of `bytes`, to read from.
    init(copying bytes: [UInt8]) throws {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw CryptoError.drainQueue(.library, operation: "BIO_new")
        }
        pointer = bio
        if !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            guard written == Int32(bytes.count) else {
                throw CryptoError.drainQueue(.library, operation: "BIO_write")
            }
        }
    }

    /// Everything written so far.
    func contents() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(pointer))
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(pointer, $0.baseAddress, Int32(pending)) }
        return Array(bytes.prefix(max(0, Int(read))))
    }

    deinit {
        BIO_free(pointer)
    }
}
