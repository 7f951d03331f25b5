// make bench: what one signed answer costs the pool (SPEC §7), measured in this process alone,
// away from the load's noise: the SHA-256 of the code, the message, the Ed25519 signature and
// the header's text, as CheckHandler makes them; and what the client's verification costs.
import Foundation
import LicenseCore
import LicenseCrypto
import LicenseSigning

let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 20_000
let signer = AnswerSigner(privateKey: try Ed25519PrivateKey.generate())
let verifier = AnswerVerifier(publicKey: try signer.privateKey.publicKey)
// A code and an answer of a usual size.
let codeText = Array(("X-META-X id=ACME-1 users=5 signature=" + String(repeating: "abcd.", count: 21) + "\n7.1\nuser-00001\nlocalhost\nnonce=0123456789abcdef0123").utf8)
let body = Array("valid\n".utf8)
let time = UTCTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))

func microsecondsPerRound(_ work: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    for _ in 0..<rounds { try work() }
    let elapsed = (ContinuousClock.now - start).components
    return (Double(elapsed.seconds) * 1e6 + Double(elapsed.attoseconds) / 1e12) / Double(rounds)
}

var header = ""
let signing = try microsecondsPerRound {
    header = try signer.signature(codeText: codeText, body: body, time: time, until: UTCTimestamp(secondsSince1970: time.secondsSince1970 + 86_400)).headerValue
}
let message = AnswerSignature.message(codeDigest: Digest.sha256(codeText), time: time, until: nil, body: body)
let signatureAlone = try microsecondsPerRound { _ = try signer.privateKey.signature(for: message) }
let verifying = microsecondsPerRound {
    guard case .verified = verifier.verdict(header: header, codeText: codeText, body: body, now: time) else { fatalError("does not verify") }
}
print(String(format: "{\"rounds\": %d, \"sign_us\": %.1f, \"ed25519_sign_us\": %.1f, \"verify_us\": %.1f}",
             rounds, signing, signatureAlone, verifying))
