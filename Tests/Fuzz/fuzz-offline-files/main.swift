import FuzzSupport
import LicenseCore

// The request and answer files of a computer that is never online (SPEC §14), on any bytes.
// Properties: a file that parses is at most 8 KiB, and its own text parses to it again.
runFuzzer { bytes in
    if let request = try? OfflineRequest(parsing: bytes) {
        check(bytes.count <= OfflineFile.maximumLength, "a request longer than 8 KiB was read")
        check(request.code.nonce != nil, "a request without a nonce was read")
        check((try? OfflineRequest(parsing: Array(request.text.utf8))) == request, "a request's text does not read back to it")
    }
    if let answer = try? OfflineAnswer(parsing: bytes) {
        check(bytes.count <= OfflineFile.maximumLength, "an answer longer than 8 KiB was read")
        check(!answer.line.contains("\n") && answer.body.last == 0x0A, "an answer's body is not one line")
        check((try? OfflineAnswer(parsing: Array(answer.text.utf8))) == answer, "an answer's text does not read back to it")
    }
}
