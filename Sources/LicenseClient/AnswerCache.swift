import Foundation
import LicenseCore
import LicenseSigning
import SystemCalls

/// The last verified `valid` answer (SPEC §7 `--answer-cache`): the code sent, the
/// `License-Signature` header and the body, so that a start without the server can show it
/// was allowed until `until`. Written aside and renamed, mode 0600.
struct AnswerCache {
    let path: String

    /// What the file holds: three lines, `code=`, `signature=`, `body=` (base64url).
    struct Entry {
        let codeText: [UInt8]
        let header: String
        let body: [UInt8]
    }

    func keep(_ entry: Entry) throws(LicenseClientError) {
        let text = "code=\(Base64URL.encode(entry.codeText))\nsignature=\(entry.header)\nbody=\(Base64URL.encode(entry.body))\n"
        let aside = path + ".new-\(getpid())"
        // A file a killed run left aside is this process's to replace.
        unlink(aside)
        do {
            try createNewFile(aside, Array(text.utf8), mode: 0o600, synced: true)
            _ = try systemCall("cannot replace \(path)") { rename(aside, path) }
        } catch {
            unlink(aside)
            throw LicenseClientError(.configuration, "the answer cache: \(error)")
        }
    }

    /// The kept entry; nil when there is none or it is not in this form.
    func load() -> Entry? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var fields: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let code = fields["code"].flatMap({ Base64URL.decode(Array($0.utf8)) }), let header = fields["signature"],
              let body = fields["body"].flatMap({ Base64URL.decode(Array($0.utf8)) }) else { return nil }
        return Entry(codeText: code, header: header, body: body)
    }

    /// `until` of the kept answer when it still holds for `code`: its signature verifies, it
    /// said `valid` (as a line or as JSON, which heartbeats ask for), it was for the same code
    /// but its nonce (SPEC §7: key, revision, user, domain, system, instance, options, product),
    /// and `until` is ahead. `anyInstance`: a session's (`licensectl run`), whose every start is
    /// a new instance, matches whatever the kept answer's instance.
    func validUntil(for code: StartupCode, verifier: AnswerVerifier, now: UTCTimestamp, anyInstance: Bool = false) -> UTCTimestamp? {
        guard let entry = load(), let signature = AnswerSignature(headerValue: entry.header), let until = signature.until,
              until > now, Self.saysValid(entry.body),
              let kept = try? StartupCode(decoding: Base64URL.encode(entry.codeText)),
              kept.keyLine == code.keyLine, kept.revision.text == code.revision.text, kept.userID == code.userID,
              kept.domain == code.domain, kept.system == code.system, kept.options == code.options, kept.product == code.product,
              kept.rights == code.rights,
              anyInstance || kept.instance == code.instance else { return nil }
        // Verified as when it came, at the moment it was signed: only its age differs now.
        guard case .verified = verifier.verdict(header: entry.header, codeText: entry.codeText, body: entry.body, now: signature.time) else {
            return nil
        }
        return until
    }

    /// Whether an answer's body is `valid`: its first line, or a JSON answer's `"result"`.
    static func saysValid(_ body: [UInt8]) -> Bool {
        if body.prefix(while: { $0 != 0x0A }) == Array("valid".utf8) { return true }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return false }
        return object["result"] as? String == "valid"
    }
}
