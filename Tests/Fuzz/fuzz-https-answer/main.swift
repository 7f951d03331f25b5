import FuzzSupport
import HTTPSClient
import LicenseCore

// What a client reads of a server's answer: the HTTP reader, and the License-Signature header
// a verifying client parses (SPEC §7). Whatever a server sends, an answer or a bad-answer error,
// a signature or none. Properties: a body never outgrows the bytes received; a header that
// parses prints back to a header that parses to the same signature.
runFuzzer { bytes in
    _ = HTTPSClient.isComplete(bytes)
    if let answer = try? HTTPSClient.parse(bytes) {
        check(answer.body.count <= bytes.count, "a body longer than the answer")
        check((100...599).contains(answer.status), "a status outside 100-599")
        if let header = answer.header(AnswerSignature.headerName), let signature = AnswerSignature(headerValue: header) {
            check(AnswerSignature(headerValue: signature.headerValue) == signature, "a signature header that does not round-trip")
        }
    }
}
