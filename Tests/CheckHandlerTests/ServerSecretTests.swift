import LicenseSigning
import Foundation
import LicenseService
import Testing

@Suite("the server secret file")
struct ServerSecretTests {
    /// Writes `bytes` to a file of its own and reads it as the pool does.
    func secret(fromFile bytes: [UInt8]) throws -> ServerSecret {
        let path = NSTemporaryDirectory() + "server-secret-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try ServerSecret(contentsOf: path)
    }

    @Test("32 random bytes that end in a newline byte are all the secret (the package's file, 1 time in 256)")
    func rawBytesEndingInNewline() throws {
        let bytes = (0..<31).map { UInt8(200 + $0 % 50) } + [0x0A]
        let read = try secret(fromFile: bytes)
        #expect(read.hash(.user, "u") == ServerSecret(bytes: bytes).hash(.user, "u"))
    }

    @Test("a line of text loses its line end: the same secret with and without it")
    func textLine() throws {
        let text = Array("q0Hk2x1Zp5m9Yd3Vf7Lb8Nc4Rt6Ws0Ej1Ua2Io3Pq=".utf8)
        let withNewline = try secret(fromFile: text + [0x0A])
        let withCRLF = try secret(fromFile: text + [0x0D, 0x0A])
        #expect(withNewline.hash(.user, "u") == ServerSecret(bytes: text).hash(.user, "u"))
        #expect(withCRLF.hash(.user, "u") == ServerSecret(bytes: text).hash(.user, "u"))
    }

    @Test("a secret shorter than 32 bytes is refused, saying how long it is")
    func tooShort() throws {
        #expect(throws: ServerSecretError.self) { try secret(fromFile: Array("short secret\n".utf8)) }
        do {
            _ = try secret(fromFile: Array(repeating: 0x41, count: 31) + [0x0A])
            Issue.record("a 31-byte line was accepted")
        } catch {
            #expect("\(error)".contains("holds 31 bytes"), "\(error)")
        }
    }
}
