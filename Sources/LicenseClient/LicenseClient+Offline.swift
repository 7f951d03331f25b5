import Foundation
import HTTPSClient
import LicenseCore
import LicenseCrypto
import LicenseSigning

/// What a borrow came to (SPEC §14).
public enum BorrowOutcome: Equatable, Sendable {
    /// The seat is held until then without checks, and the signed answer is kept in the cache.
    case borrowed(until: UTCTimestamp)
    /// The server refused: `borrow` (longer than the key allows, past its end, or not at all),
    /// or any reason a check may have.
    case invalid(CheckReason)
    /// The answer is not signed by the answer key for this request.
    case forged(String)
}

/// What accepting an answer file came to (SPEC §14).
public enum AcceptOutcome: Equatable, Sendable {
    /// A verified `valid`: kept in the cache, which holds until then without the server.
    case accepted(until: UTCTimestamp)
    /// A verified refusal: nothing is kept; the request is answered.
    case invalid(CheckReason)
    /// Not an answer the answer key signed for the kept request (another request's, one already
    /// accepted, an altered one), or no request is waiting.
    case forged(String)
}

/// Borrowing a seat, and the request and answer files of a computer that is never online
/// (SPEC §14). Each needs the answer key and the answer cache: what is kept offline must be an
/// answer the server signed.
extension LicenseClient {
    /// Borrows this user's seat (and `instance`'s) for `duration` (`14d`): a check with a
    /// `borrow=` line; the signed answer is kept, so that checks without the server are
    /// `.validOffline` until the borrow ends. Not a startup check: a server that cannot be
    /// reached is an error (`.unavailable`).
    public func borrow(for duration: String, instance: String? = nil) throws(LicenseClientError) -> BorrowOutcome {
        guard answerVerifier != nil, answerCachePath != nil else {
            throw LicenseClientError(.configuration, "a borrow needs the answer key and the answer cache")
        }
        // A check with the borrow= line, which keeps its verified answer in the cache.
        let checked = try checkWithUntil(instance: instance, json: false, borrow: duration)
        switch checked.outcome {
        case .valid:
            guard let until = checked.verifiedUntil else {
                throw LicenseClientError(.unexpectedAnswer, "the server's valid answer has no until")
            }
            return .borrowed(until: until)
        case .invalid(let reason): return .invalid(reason)
        case .forged(let why): return .forged(why)
        // Without the server nothing is borrowed, whatever the cache holds.
        case .skipped(let why), .offline(let why), .clock(let why): throw LicenseClientError(.unavailable, why)
        case .validOffline: throw LicenseClientError(.unavailable, "the server cannot be reached")
        }
    }

    /// Returns a borrowed seat early (`/release`) and forgets the answer kept in `answerCache`
    /// (default: the client's), which no longer holds. A server that cannot be reached is an
    /// error: the seat stays borrowed.
    public func returnBorrowed(instance: String? = nil, answerCache: String? = nil) throws(LicenseClientError) -> ReleaseOutcome {
        let outcome = try release(instance: instance)
        switch outcome {
        case .released:
            if let path = answerCache ?? answerCachePath { try AnswerCache(path: path).forgetAnswer() }
            return outcome
        case .invalid:
            return outcome
        case .skipped(let why):
            throw LicenseClientError(.unavailable, why)
        }
    }

    /// A request for a computer that is never online: the startup code this check would send
    /// (`borrow`: with a `borrow=` line), with a fresh nonce, kept in the answer cache at
    /// `cachePath` until its answer is accepted. Nothing is sent. The user ID is this computer's
    /// for the client's server, so that later checks against that server find the accepted answer.
    public func offlineRequest(borrow: String? = nil, instance: String? = nil,
                               keptIn cachePath: String) throws(LicenseClientError) -> OfflineRequest {
        let userID = try UserIDFile.userID(forServerHost: server.host, secretAt: userIDFile)
        let code = try self.code(userID: userID, instance: instance, nonce: try Self.newNonce(), borrow: borrow)
        let request: OfflineRequest
        do {
            request = try OfflineRequest(code: code)
        } catch {
            throw LicenseClientError(.configuration, error.description)
        }
        let cache = AnswerCache(path: cachePath)
        var contents = cache.load()
        contents.requestText = code.text
        try cache.store(contents)
        return request
    }

    /// Sends a request file's code to the server at `serverURL` and returns its answer, as
    /// `licensectl answer` writes it: on any computer that reaches the server, for another.
    public static func answer(_ request: OfflineRequest, serverURL: String, caFile: String? = nil,
                              timeout: Duration = .seconds(5)) throws(LicenseClientError) -> OfflineAnswer {
        let server = try ServerAddress(url: serverURL)
        let http: HTTPSClient
        do {
            http = HTTPSClient(context: try TLSContext(caFile: caFile), timeout: timeout)
        } catch {
            throw LicenseClientError(.tls, error.message)
        }
        let answer: HTTPSAnswer
        do {
            answer = try http.send(method: "POST", host: server.host, port: server.port, path: server.basePath + "/check",
                                   headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "text/plain")],
                                   body: Array(("code=" + request.code.encoded).utf8))
        } catch {
            switch error.code {
            case .unresolvable, .unreachable, .timedOut: throw LicenseClientError(.unavailable, error.message)
            case .tls, .caFile: throw LicenseClientError(.tls, error.message)
            case .badAnswer: throw LicenseClientError(.unexpectedAnswer, error.message)
            }
        }
        guard answer.status == 200 else {
            let code: LicenseClientError.Code = [429, 502, 503, 504].contains(answer.status) ? .unavailable
                : answer.status == 400 ? .rejected : .unexpectedAnswer
            throw LicenseClientError(code, "the server answered \(answer.status): \(firstLine(answer.body))")
        }
        guard answer.body.last == 0x0A, !answer.body.dropLast().contains(0x0A) else {
            throw LicenseClientError(.unexpectedAnswer, "the server's answer is not one line")
        }
        do {
            return try OfflineAnswer(status: answer.status, signature: answer.header(AnswerSignature.headerName),
                                     line: String(decoding: answer.body.dropLast(), as: UTF8.self))
        } catch {
            throw LicenseClientError(.unexpectedAnswer, "the server's answer: \(error)")
        }
    }

    /// Accepts an answer file on the computer that made the request: it must be signed by the
    /// answer key over the kept request's code (its nonce included) and the body. `t` is not held
    /// to five minutes here (an answer carried by hand may take days), but an answer is accepted
    /// once, for the kept request only. A verified `valid` is kept as an online check's would be.
    public static func accept(_ answer: OfflineAnswer, answerKey: String, answerCache: String) throws(LicenseClientError) -> AcceptOutcome {
        let verifier: AnswerVerifier
        do {
            verifier = try AnswerVerifier(contentsOf: answerKey)
        } catch {
            throw LicenseClientError(.configuration, error.description)
        }
        let cache = AnswerCache(path: answerCache)
        var contents = cache.load()
        guard let requestText = contents.requestText else {
            return .forged("no request is waiting for an answer in \(answerCache) (accepted already, or made with another cache)")
        }
        guard answer.status == 200, let header = answer.signature, let signature = AnswerSignature(headerValue: header) else {
            return .forged("the answer is not a signed 200")
        }
        // At the moment it was signed: its age is no reason to refuse it.
        guard case .verified = verifier.verdict(header: header, codeText: requestText, body: answer.body, now: signature.time) else {
            return .forged("the answer is not signed by the answer key for the request in \(answerCache)")
        }
        contents.requestText = nil
        contents.serverTime = max(contents.serverTime ?? signature.time, signature.time)
        if let reason = reason(answer.line) {
            try cache.store(contents)
            return .invalid(reason)
        }
        guard answer.line == "valid", let until = signature.until else {
            return .forged("the answer says neither valid nor invalid REASON")
        }
        contents.answer = AnswerCache.Answer(codeText: requestText, header: header, body: answer.body)
        try cache.store(contents)
        return .accepted(until: until)
    }
}
