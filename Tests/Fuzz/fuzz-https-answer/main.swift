import FuzzSupport
import HTTPSClient

// The HTTPS client's reader of answers: whatever a server sends, an answer or a bad-answer
// error. Property: a body never outgrows the bytes received.
runFuzzer { bytes in
    _ = HTTPSClient.isComplete(bytes)
    if let answer = try? HTTPSClient.parse(bytes) {
        check(answer.body.count <= bytes.count, "a body longer than the answer")
        check((100...599).contains(answer.status), "a status outside 100-599")
    }
}
