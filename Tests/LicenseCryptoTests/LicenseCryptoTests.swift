import Foundation
import LicenseCrypto
import TestSupport
import Testing

@Suite("OpenSSL wrappers")
struct LicenseCryptoTests {
    @Test("SHA-256 of known inputs (FIPS 180-2)")
    func sha256() {
        #expect(Digest.hex(Digest.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.hex(Digest.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("HMAC-SHA-256 of RFC 4231 test case 2")
    func hmac() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Digest.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("Ed25519 of RFC 8032 test 2: the known public key and signature")
    func rfc8032() throws {
        let publicKey = try Ed25519PublicKey(rawRepresentation: hexBytes("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"))
        let signature = hexBytes("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        #expect(try publicKey.isValidSignature(signature, for: [0x72]))
        #expect(try !publicKey.isValidSignature(signature, for: [0x73]))
        var flipped = signature
        flipped[10] ^= 1
        #expect(try !publicKey.isValidSignature(flipped, for: [0x72]))
        #expect(try !publicKey.isValidSignature(Array(signature.prefix(63)), for: [0x72]))
    }

    @Test("sign, verify, and PEM round trips")
    func signAndPEM() throws {
        let key = try Ed25519PrivateKey.generate()
        let message = Array("X-META-X users=5".utf8)
        let signature = try key.signature(for: message)
        #expect(signature.count == 64)
        let publicKey = try Ed25519PublicKey(pem: try key.publicKey.pem())
        #expect(try publicKey.isValidSignature(signature, for: message))
        #expect(try publicKey.rawRepresentation == key.publicKey.rawRepresentation)
        let reread = try Ed25519PrivateKey(pem: try key.pem())
        #expect(try reread.signature(for: message) == signature)
        #expect(String(decoding: try key.pem(), as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(String(decoding: try key.publicKey.pem(), as: UTF8.self).hasPrefix("-----BEGIN PUBLIC KEY-----"))
    }

    @Test("what is not an Ed25519 PEM key is a typed error")
    func badPEM() throws {
        #expect { try Ed25519PublicKey(pem: Array("not a key".utf8)) } throws: { ($0 as? CryptoError)?.code == .invalidPEM }
        #expect { try Ed25519PrivateKey(pem: []) } throws: { ($0 as? CryptoError)?.code == .invalidPEM }
        let directory = try TemporaryDirectory()
        try Command.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", directory.file("ec.key")])
        try Command.run("openssl", ["pkey", "-in", directory.file("ec.key"), "-pubout", "-out", directory.file("ec.pem")])
        let ecPrivate = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("ec.key"))))
        let ecPublic = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("ec.pem"))))
        #expect { try Ed25519PrivateKey(pem: ecPrivate) } throws: { ($0 as? CryptoError)?.code == .notEd25519 }
        #expect { try Ed25519PublicKey(pem: ecPublic) } throws: { ($0 as? CryptoError)?.code == .notEd25519 }
        // The failed reads left nothing in OpenSSL's error queue to confuse the next call.
        let key = try Ed25519PrivateKey.generate()
        #expect(try key.publicKey.isValidSignature(try key.signature(for: [1]), for: [1]))
    }

    @Test("openssl genpkey keys are read; ours are read by openssl pkey; signatures cross both ways")
    func opensslInterop() throws {
        let directory = try TemporaryDirectory()
        let message = Data("X-META-X id=ACME-1 users=5".utf8)
        try message.write(to: URL(fileURLWithPath: directory.file("message")))

        // openssl → project
        try #require(try Command.run("openssl", ["genpkey", "-algorithm", "ed25519", "-out", directory.file("theirs.key")]).status == 0)
        try Command.run("openssl", ["pkey", "-in", directory.file("theirs.key"), "-pubout", "-out", directory.file("theirs.pem")])
        try #require(try Command.run("openssl", ["pkeyutl", "-sign", "-rawin", "-inkey", directory.file("theirs.key"),
                                                 "-in", directory.file("message"), "-out", directory.file("theirs.sig")]).status == 0)
        let theirPublic = try Ed25519PublicKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("theirs.pem")))))
        let theirSignature = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("theirs.sig"))))
        #expect(try theirPublic.isValidSignature(theirSignature, for: Array(message)))
        let theirPrivate = try Ed25519PrivateKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("theirs.key")))))
        #expect(try theirPrivate.signature(for: Array(message)) == theirSignature)

        // project → openssl
        let ours = try Ed25519PrivateKey.generate()
        try Data(try ours.pem()).write(to: URL(fileURLWithPath: directory.file("ours.key")))
        try Data(try ours.publicKey.pem()).write(to: URL(fileURLWithPath: directory.file("ours.pem")))
        try Data(try ours.signature(for: Array(message))).write(to: URL(fileURLWithPath: directory.file("ours.sig")))
        let text = try Command.run("openssl", ["pkey", "-in", directory.file("ours.key"), "-noout", "-text"])
        #expect(text.status == 0 && text.standardOutput.contains("ED25519 Private-Key"))
        let verified = try Command.run("openssl", ["pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", directory.file("ours.pem"),
                                                   "-in", directory.file("message"), "-sigfile", directory.file("ours.sig")])
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(verified.standardOutput.contains("Signature Verified Successfully"))
    }

    @Test("secure random bytes differ")
    func random() throws {
        #expect(try SecureRandom.bytes(32) != SecureRandom.bytes(32))
        #expect(try SecureRandom.bytes(0).isEmpty)
    }
}

func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}
