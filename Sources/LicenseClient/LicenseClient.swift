import Foundation
import HTTPSClient
import LicenseCore
import LicenseCrypto
import LicenseSigning

/// A program's startup check against a license server (SPEC §2, §3), for vendors to link.
///
/// Every start sends the code: the key, the revision, the kept user ID and the domain. A server
/// that cannot be reached, that does not answer within the time-out, or that is busy or without
/// its database gives `.skipped`: the program runs and checks again at its next start. TLS
/// certificates are always verified.
///
/// ```swift
/// let client = try LicenseClient(serverURL: "https://licenses.example.com", keyFile: "/etc/acme/license.txt",
///                                revision: "7.1", domain: "intranet.example.com")
/// if case .invalid(let reason) = try client.check() { fatalError("license: \(reason)") }
/// ```
public struct LicenseClient: Sendable {
    /// Where the server is: host, port and the path its routes are under.
    public struct ServerAddress: Sendable, Equatable {
        public let host: String
        public let port: Int
        /// The base path without a trailing slash (`""` for the root).
        public let basePath: String

        /// Parses an `https://HOST[:PORT][/PATH]` URL; any other scheme is refused, as TLS is not optional.
        public init(url: String) throws(LicenseClientError) {
            guard let components = URLComponents(string: url), components.scheme?.lowercased() == "https",
                  var host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil else {
                throw LicenseClientError(.configuration, "the server URL must be https://HOST[:PORT][/PATH], not \(url)")
            }
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.host = host
            port = components.port ?? 443
            guard (1...65535).contains(port) else { throw LicenseClientError(.configuration, "the server URL's port must be 1 to 65535") }
            var path = components.percentEncodedPath
            while path.hasSuffix("/") { path.removeLast() }
            basePath = path
        }
    }

    public let server: ServerAddress
    public let keyLine: String
    public let revision: String
    public let domain: String
    public let system: String?
    public let options: [String]
    /// The product this program is: the server refuses a key for another product (`.invalid(.product)`).
    public let product: String?
    /// The rights each start debits (SPEC §2's `rights=` line); nil: one.
    public let rights: Int?
    /// Where this computer's user secret is kept; the server is sent an ID derived from it and
    /// the server's host name.
    public let userIDFile: String
    /// Answers must be signed by this key (SPEC §7); nil: any answer is believed.
    public let answerVerifier: AnswerVerifier?
    /// Where the last verified `valid` answer is kept, for starts without the server.
    public let answerCachePath: String?
    /// Whether a start without the server and without a kept answer is refused (`.offline`).
    public let failClosed: Bool
    let http: HTTPSClient
    let clock: @Sendable () -> UTCTimestamp

    /// - Parameters:
    ///   - serverURL: the server's base URL, `https://HOST[:PORT][/PATH]`.
    ///   - keyLine: the license key line.
    ///   - revision: the program's revision, a dotted number.
    ///   - domain: the host name (or IP literal) the program works on.
    ///   - system: this computer's system ID, for keys bound to system IDs.
    ///   - options: the options this start needs.
    ///   - product: the product this program is, so that a key for another product is refused.
    ///   - rights: the rights each start debits, 1 to 1 000 000 (nil: one), for a module that
    ///     should cost more than one right.
    ///   - userIDFile: where the computer's user secret is kept (made on first use, mode 0600).
    ///   - caFile: PEM certificates to trust instead of the system's.
    ///   - timeout: the longest a check may take, connecting included.
    ///   - answerKey: the realm's public answer key (PEM file): every check then carries a fresh
    ///     nonce, and an answer it does not sign for this code is `.forged`.
    ///   - answerCache: with `answerKey`, a file (0600) for the last verified `valid` answer,
    ///     which a start without the server shows as `.validOffline(until:)` while it holds.
    ///   - failClosed: with `answerKey`, a start without the server and without such an answer
    ///     is `.offline` (refused) instead of `.skipped`.
    ///   - clock: the client's clock, which `t` must be within five minutes of.
    public init(serverURL: String, keyLine: String, revision: String, domain: String, system: String? = nil,
                options: [String] = [], product: String? = nil, rights: Int? = nil, userIDFile: String = UserIDFile.defaultPath,
                caFile: String? = nil, timeout: Duration = .seconds(5), answerKey: String? = nil, answerCache: String? = nil,
                failClosed: Bool = false, clock: @escaping @Sendable () -> UTCTimestamp = LicenseClient.systemClock) throws(LicenseClientError) {
        server = try ServerAddress(url: serverURL)
        guard answerKey != nil || (answerCache == nil && !failClosed) else {
            throw LicenseClientError(.configuration, "an answer cache and fail-closed need the answer key")
        }
        do {
            answerVerifier = try answerKey.map { path throws(IssuerKeysError) in try AnswerVerifier(contentsOf: path) }
        } catch {
            throw LicenseClientError(.configuration, error.description)
        }
        answerCachePath = answerCache
        self.failClosed = failClosed
        self.clock = clock
        self.keyLine = keyLine
        self.revision = revision
        self.domain = domain
        self.system = system
        self.options = options
        self.product = product
        self.rights = rights
        self.userIDFile = userIDFile
        do {
            http = HTTPSClient(context: try TLSContext(caFile: caFile), timeout: timeout)
        } catch {
            throw LicenseClientError(.tls, error.message)
        }
        // Every field checked now, so that a mistake shows at the first start, not at the server.
        _ = try code(userID: "checking-the-fields", instance: nil)
    }

    /// The same, the key read from a key file (its first non-comment line).
    public init(serverURL: String, keyFile: String, revision: String, domain: String, system: String? = nil,
                options: [String] = [], product: String? = nil, rights: Int? = nil, userIDFile: String = UserIDFile.defaultPath,
                caFile: String? = nil, timeout: Duration = .seconds(5), answerKey: String? = nil, answerCache: String? = nil,
                failClosed: Bool = false, clock: @escaping @Sendable () -> UTCTimestamp = LicenseClient.systemClock) throws(LicenseClientError) {
        try self.init(serverURL: serverURL, keyLine: try Self.keyLine(inFile: keyFile), revision: revision, domain: domain, system: system,
                      options: options, product: product, rights: rights, userIDFile: userIDFile, caFile: caFile, timeout: timeout,
                      answerKey: answerKey, answerCache: answerCache, failClosed: failClosed, clock: clock)
    }

    /// The key line of a key file (SPEC §1: comments and blank lines around it are ignored). Any
    /// readable file will do, a pipe included (`/dev/stdin`, `<(…)`, SPEC §6): it is read to its
    /// end, never by its size.
    public static func keyLine(inFile path: String) throws(LicenseClientError) -> String {
        guard let file = FileHandle(forReadingAtPath: path), let data = try? file.readToEnd() else {
            throw LicenseClientError(.configuration, "cannot read key file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LicenseClientError(.configuration, "\(path) is not UTF-8 text")
        }
        do {
            return try KeyFileText.keyLine(in: text)
        } catch {
            throw LicenseClientError(.configuration, "\(path): \(error)")
        }
    }

    /// The time on this client's clock (the one its answers are judged by).
    var now: UTCTimestamp { clock() }

    /// This computer's clock, in whole seconds.
    public static let systemClock: @Sendable () -> UTCTimestamp = {
        UTCTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))
    }

    /// A new random instance ID, for a program that counts its running instances (`rights`):
    /// check with it at start, release it at exit.
    public static func newInstanceID() throws(LicenseClientError) -> String {
        do {
            return Digest.hex(try SecureRandom.bytes(12))
        } catch {
            throw LicenseClientError(.configuration, "no random bytes for an instance ID: \(error)")
        }
    }

    /// The startup check. `instance` names this running instance (default: the user's one seat).
    public func check(instance: String? = nil) throws(LicenseClientError) -> CheckOutcome {
        try checkWithUntil(instance: instance, json: false).outcome
    }

    /// A check, with the heartbeat interval the server gave (SPEC §8: JSON answers carry it) and,
    /// for a verified `valid`, the `until` its signature vouches for (what a fail-closed session
    /// may run on while the server is away), for `LicenseSession`. `anyInstance`: offline, the
    /// kept answer holds whatever its instance (a session's every start is a new instance).
    /// `borrow`: the code's `borrow=` line (SPEC §14).
    func checkWithUntil(instance: String?, json: Bool, anyInstance: Bool = false, borrow: String? = nil) throws(LicenseClientError)
        -> (outcome: CheckOutcome, heartbeatSeconds: Int?, verifiedUntil: UTCTimestamp?) {
        let nonce = answerVerifier == nil ? nil : try Self.newNonce()
        let userID = try UserIDFile.userID(forServerHost: server.host, secretAt: userIDFile)
        let code = try self.code(userID: userID, instance: instance, nonce: nonce, borrow: borrow)
        let answer: HTTPSAnswer
        switch try exchange("/check", code: code, json: json) {
        case .skipped(let why):
            guard let answerVerifier else { return (.skipped(why), nil, nil) }
            return (withoutServer(code, verifier: answerVerifier, why: why, anyInstance: anyInstance), nil, nil)
        case .answered(let received): answer = received
        }
        let header = answer.header(AnswerSignature.headerName)
        if let answerVerifier, case .forged(let why) = answerVerifier.verdict(header: header, codeText: code.text, body: answer.body, now: clock()) {
            return (.forged(why), nil, nil)
        }
        let (line, heartbeat) = json ? Self.resultOfJSON(answer.body) : (Self.firstLine(answer.body), nil)
        if line == "valid" {
            let signature = answerVerifier == nil ? nil : header.flatMap(AnswerSignature.init(headerValue:))
            if let answerCachePath, let header, let signature {
                try AnswerCache(path: answerCachePath).keep(.init(codeText: code.text, header: header, body: answer.body),
                                                            verifiedAt: signature.time)
            }
            return (.valid, heartbeat, signature?.until)
        }
        if let reason = Self.reason(line) { return (.invalid(reason), nil, nil) }
        throw LicenseClientError(.unexpectedAnswer, "the server answered \(answer.status): \(line)")
    }

    /// A JSON answer as its text line (`valid`, `invalid REASON`) and its heartbeat.
    private static func resultOfJSON(_ body: [UInt8]) -> (line: String, heartbeat: Int?) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let result = object["result"] as? String else { return (firstLine(body), nil) }
        let line = result == "valid" ? "valid" : "invalid " + ((object["reason"] as? String) ?? "")
        return (line, object["heartbeat"] as? Int)
    }

    /// A start the server did not answer: the kept answer while it holds, else refused when
    /// fail-closed, else skipped.
    func withoutServer(_ code: StartupCode, verifier: AnswerVerifier, why: String, anyInstance: Bool) -> CheckOutcome {
        if let answerCachePath {
            switch AnswerCache(path: answerCachePath).offlineVerdict(for: code, verifier: verifier, now: clock(), anyInstance: anyInstance) {
            case .holds(let until):
                return .validOffline(until: until)
            case .clockSetBack(let serverTime):
                return .clock("this computer's clock is more than an hour before \(serverTime), a time the server signed")
            case .none:
                break
            }
        }
        return failClosed ? .offline(why) : .skipped(why)
    }

    /// A fresh nonce for one check: 32 hex digits of random bytes (SPEC §2 `nonce=`).
    static func newNonce() throws(LicenseClientError) -> String {
        do {
            return Digest.hex(try SecureRandom.bytes(16))
        } catch {
            throw LicenseClientError(.configuration, "no random bytes for a nonce: \(error)")
        }
    }

    /// Ends the seat of this user and `instance` (or of the user's one seat), crediting its right.
    public func release(instance: String? = nil) throws(LicenseClientError) -> ReleaseOutcome {
        switch try ask("/release", instance: instance, positiveLine: "released") {
        case .positive: .released
        case .invalid(let reason): .invalid(reason)
        case .skipped(let why): .skipped(why)
        }
    }

    /// Binds the license to the computer `system` (SPEC §13): the holder's own binding, for a key
    /// with `bind=`. Not a startup check: a server that cannot be reached is an error
    /// (`.unavailable`), not a skip.
    public func bind(system: String) throws(LicenseClientError) -> BindOutcome {
        try binding("/bind", system: system, done: "bound")
    }

    /// Ends the computer's binding (SPEC §13); a license may be unbound a few times in 30 days.
    public func unbind(system: String) throws(LicenseClientError) -> BindOutcome {
        try binding("/unbind", system: system, done: "unbound")
    }

    private func binding(_ route: String, system: String, done: String) throws(LicenseClientError) -> BindOutcome {
        let nonce = answerVerifier == nil ? nil : try Self.newNonce()
        let userID = try UserIDFile.userID(forServerHost: server.host, secretAt: userIDFile)
        let code = try self.code(userID: userID, instance: nil, nonce: nonce, system: system)
        let answer: HTTPSAnswer
        switch try exchange(route, code: code, json: true) {
        case .skipped(let why): throw LicenseClientError(.unavailable, why)
        case .answered(let received): answer = received
        }
        if let answerVerifier,
           case .forged(let why) = answerVerifier.verdict(header: answer.header(AnswerSignature.headerName), codeText: code.text,
                                                          body: answer.body, now: clock()) {
            return .forged(why)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
              let result = object["result"] as? String else {
            throw LicenseClientError(.unexpectedAnswer, "the server answered \(answer.status): \(Self.firstLine(answer.body))")
        }
        let (bound, limit) = (object["bound"] as? Int, object["limit"] as? Int)
        if result == done { return .done(bound: bound, limit: limit) }
        if result == "invalid", let reason = (object["reason"] as? String).flatMap(CheckReason.init(rawValue:)) {
            return .invalid(reason, bound: bound, limit: limit)
        }
        throw LicenseClientError(.unexpectedAnswer, "the server answered \(answer.status): \(Self.firstLine(answer.body))")
    }

    enum Answer {
        case positive
        case invalid(CheckReason)
        case skipped(String)
    }

    /// Sends the code to `route` and reads the one-line answer: `positiveLine` or `invalid REASON`.
    func ask(_ route: String, instance: String?, positiveLine: String) throws(LicenseClientError) -> Answer {
        let answer: HTTPSAnswer
        let userID = try UserIDFile.userID(forServerHost: server.host, secretAt: userIDFile)
        let code = try self.code(userID: userID, instance: instance)
        switch try exchange(route, code: code) {
        case .skipped(let why): return .skipped(why)
        case .answered(let received): answer = received
        }
        let line = Self.firstLine(answer.body)
        if line == positiveLine { return .positive }
        if let reason = Self.reason(line) { return .invalid(reason) }
        throw LicenseClientError(.unexpectedAnswer, "the server answered \(answer.status): \(line)")
    }

    enum Exchange {
        case answered(HTTPSAnswer)
        case skipped(String)
    }

    /// Sends the code to `route`; a `200` answer, a reason to skip, or an error.
    func exchange(_ route: String, code: StartupCode, json: Bool = false) throws(LicenseClientError) -> Exchange {
        let body = Array(("code=" + code.encoded).utf8)
        let answer: HTTPSAnswer
        do {
            answer = try http.send(method: "POST", host: server.host, port: server.port, path: server.basePath + route,
                                   headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                             ("Accept", json ? "application/json" : "text/plain")],
                                   body: body)
        } catch {
            switch error.code {
            case .unresolvable, .unreachable, .timedOut: return .skipped(error.message)
            case .tls, .caFile: throw LicenseClientError(.tls, error.message)
            case .badAnswer: throw LicenseClientError(.unexpectedAnswer, error.message)
            }
        }
        switch answer.status {
        case 200:
            return .answered(answer)
        case 400:
            throw LicenseClientError(.rejected, "the server refused the code: \(Self.firstLine(answer.body))")
        case 429, 502, 503, 504:
            return .skipped("the server is unavailable (\(answer.status))")
        default:
            throw LicenseClientError(.unexpectedAnswer, "the server answered \(answer.status): \(Self.firstLine(answer.body))")
        }
    }

    func code(userID: String, instance: String?, nonce: String? = nil, system: String? = nil, borrow: String? = nil) throws(LicenseClientError) -> StartupCode {
        do {
            return try StartupCode(keyLine: keyLine, revision: revision, userID: userID, domain: domain, system: system ?? self.system,
                                   instance: instance, options: options, product: product, nonce: nonce, rights: rights,
                                   borrow: borrow)
        } catch {
            throw LicenseClientError(.configuration, error.message)
        }
    }

    static func firstLine(_ body: [UInt8]) -> String {
        String(decoding: body.prefix { $0 != 10 && $0 != 13 }.prefix(200), as: UTF8.self)
    }

    static func reason(_ line: String) -> CheckReason? {
        guard line.hasPrefix("invalid ") else { return nil }
        return CheckReason(rawValue: String(line.dropFirst("invalid ".count)))
    }
}
