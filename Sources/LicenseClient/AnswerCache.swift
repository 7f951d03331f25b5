import Foundation
import LicenseCore
import LicenseSigning
import SystemCalls

/// The answer cache (SPEC §7 `--answer-cache`, §14): the last verified `valid` answer (the code
/// sent, the `License-Signature` header and the body), so that a start without the server can
/// show it was allowed until `until`; the latest server time `t` it verified, so that a clock
/// set back cannot stretch that answer; and the request a computer that is never online is
/// waiting an answer to. Written aside and renamed, mode 0600.
struct AnswerCache {
    let path: String

    /// A kept answer.
    struct Answer: Equatable {
        let codeText: [UInt8]
        let header: String
        let body: [UInt8]
    }

    /// What the file holds, as `name=value` lines: `code=`, `signature=`, `body=` (the answer,
    /// base64url), `server-time=` and `request=` (a request's code, base64url); each may be absent.
    struct Contents: Equatable {
        var answer: Answer?
        /// The latest `t` of an answer this cache verified.
        var serverTime: UTCTimestamp?
        /// The decoded code of the request waiting for its answer (`licensectl request`).
        var requestText: [UInt8]?
    }

    /// How far behind the latest verified server time the clock may be before a kept answer is
    /// refused (`invalid clock`, SPEC §14): an hour.
    static let clockTolerance: Int64 = 3600

    /// What a start without the server may do with the kept answer.
    enum OfflineVerdict: Equatable {
        /// The kept answer holds for the code until then.
        case holds(until: UTCTimestamp)
        /// This computer's clock is more than an hour before a time the server vouched for.
        case clockSetBack(serverTime: UTCTimestamp)
        /// No kept answer holds for this code (none, another code, past its until, forged).
        case none
    }

    func load() -> Contents {
        // POSIX reads: threads of one process sharing a client load it at once (readWholeFile).
        guard let data = (try? readWholeFile(path)) ?? nil else { return Contents() }
        var fields: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return Contents() }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        func decoded(_ name: String) -> [UInt8]? { fields[name].flatMap { Base64URL.decode(Array($0.utf8)) } }
        var contents = Contents()
        if let code = decoded("code"), let header = fields["signature"], let body = decoded("body") {
            contents.answer = Answer(codeText: code, header: header, body: body)
        }
        contents.serverTime = fields["server-time"].flatMap(UTCTimestamp.init)
        contents.requestText = decoded("request")
        return contents
    }

    func store(_ contents: Contents) throws(LicenseClientError) {
        var lines: [String] = []
        if let answer = contents.answer {
            lines += ["code=\(Base64URL.encode(answer.codeText))", "signature=\(answer.header)", "body=\(Base64URL.encode(answer.body))"]
        }
        if let serverTime = contents.serverTime { lines.append("server-time=\(serverTime)") }
        if let request = contents.requestText { lines.append("request=\(Base64URL.encode(request))") }
        // Aside under a name of this write's own: threads of one process (the C library's
        // callers share a client) may store at the same moment; the last rename wins whole.
        let aside = path + ".new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try createNewFile(aside, Array(lines.map { $0 + "\n" }.joined().utf8), mode: 0o600, synced: true)
            _ = try systemCall("cannot replace \(path)") { rename(aside, path) }
        } catch {
            unlink(aside)
            throw LicenseClientError(.configuration, "the answer cache: \(error)")
        }
    }

    /// Keeps a verified answer, and its `t` when it is the latest seen.
    func keep(_ answer: Answer, verifiedAt serverTime: UTCTimestamp) throws(LicenseClientError) {
        var contents = load()
        contents.answer = answer
        contents.serverTime = max(contents.serverTime ?? serverTime, serverTime)
        try store(contents)
    }

    /// What the kept answer is worth for `code` without the server, at this computer's `now`: it
    /// holds if its signature verifies, it said `valid` (as a line or as JSON, which heartbeats
    /// ask for), it was for the same code but its nonce and borrow (SPEC §7, §14: key, revision,
    /// user, domain, system, instance, options, product, rights), and `until` is ahead of the
    /// later of `now` and the latest verified server time. `anyInstance`: a session's
    /// (`licensectl run`), whose every start is a new instance, matches whatever the kept
    /// answer's instance.
    func offlineVerdict(for code: StartupCode, verifier: AnswerVerifier, now: UTCTimestamp, anyInstance: Bool = false) -> OfflineVerdict {
        let contents = load()
        guard let entry = contents.answer, let signature = AnswerSignature(headerValue: entry.header), let until = signature.until,
              Self.saysValid(entry.body),
              let kept = try? StartupCode(decoding: Base64URL.encode(entry.codeText)),
              kept.keyLine == code.keyLine, kept.revision.text == code.revision.text, kept.userID == code.userID,
              kept.domain == code.domain, kept.system == code.system, kept.options == code.options, kept.product == code.product,
              kept.rights == code.rights,
              anyInstance || kept.instance == code.instance else { return .none }
        // Verified as when it came, at the moment it was signed: only its age differs now.
        guard case .verified = verifier.verdict(header: entry.header, codeText: entry.codeText, body: entry.body, now: signature.time) else {
            return .none
        }
        let serverTime = max(contents.serverTime ?? signature.time, signature.time)
        if now.secondsSince1970 < serverTime.secondsSince1970 - Self.clockTolerance { return .clockSetBack(serverTime: serverTime) }
        return until > max(now, serverTime) ? .holds(until: until) : .none
    }

    /// Forgets the kept answer (a returned borrow), keeping the latest server time.
    func forgetAnswer() throws(LicenseClientError) {
        var contents = load()
        guard contents.answer != nil else { return }
        contents.answer = nil
        try store(contents)
    }

    /// Whether an answer's body is `valid`: its first line, or a JSON answer's `"result"`.
    static func saysValid(_ body: [UInt8]) -> Bool {
        if body.prefix(while: { $0 != 0x0A }) == Array("valid".utf8) { return true }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return false }
        return object["result"] as? String == "valid"
    }
}
