import FuzzSupport
import LicenseCore

// The startup code decoder (SPEC §2), on the bytes as sent (base64url) and on the bytes as the
// decoded text. Properties: a code that decodes holds no CR and at most 4096 bytes, debits 1 to
// 1 000 000 rights, and its own encoding decodes to it.
runFuzzer { bytes in
    for encoded in [bytes, Array(Base64URL.encode(bytes).utf8)] {
        guard let code = try? StartupCode(decoding: encoded) else { continue }
        check(!code.keyLine.contains(0x0D) && !code.keyLine.contains(0x0A), "a decoded key line holds a line break")
        check(code.keyLine.count <= StartupCode.maximumDecodedLength, "a decoded code is longer than 4096 bytes")
        check(StartupCode.debitRange.contains(code.debit), "a decoded code debits \(code.debit) rights")
        let again = try? StartupCode(decoding: code.encoded)
        check(again == code, "a decoded code's encoding does not decode to it")
    }
}
