import FuzzSupport
import LicenseCore

// The key parser (SPEC §1) and the key file reader, on any bytes. Property: a key that parses,
// printed in canonical form, parses to the same terms and signature.
runFuzzer { bytes in
    if let key = try? LicenseKey(parsingUTF8: bytes) {
        let again = try? LicenseKey(parsing: key.line)
        check(again == key, "the canonical form of a parsed key does not parse to it: \(key.line)")
    }
    if let line = try? KeyFileText.keyLine(in: String(decoding: bytes, as: UTF8.self)) {
        check(!line.contains("\n"), "a key file's key line holds a line break")
    }
}
