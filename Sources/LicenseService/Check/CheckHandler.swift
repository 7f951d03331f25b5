import LicenseCore
import LicenseSigning
import Logging
import StoreBoundary

/// `/check` and `/release` (SPEC §3, §4): a startup code in; `valid`, `invalid REASON` or
/// `released` out. Decoding and rules 1–2 need no store; registration, revocation and seats
/// go through the worker's `SeatStoring`. One per worker thread.
public final class CheckHandler {
    /// The largest body accepted; a startup code is at most 4096 bytes decoded.
    public static let maximumBodyLength = 8192

    /// What a check answers while the store cannot serve it: clients skip and retry later.
    public static let unavailableResponse = ServiceResponse.text(
        503, "database unavailable; skip the check and try again later", headers: [("Retry-After", "5")])

    private let settings: CheckSettings
    private let shared: SharedCheckState
    private let store: any SeatStoring

    public init(settings: CheckSettings, shared: SharedCheckState, store: any SeatStoring) {
        self.settings = settings
        self.shared = shared
        self.store = store
    }

    /// A start whose code decoded and whose key passed rules 1–2.
    private struct Start {
        let code: StartupCode
        let key: LicenseKey
        let license: LicenseIdentity
        let fingerprint: String
        let wantsJSON: Bool
    }

    /// An answer and what it came to, for the metrics; the code it answers, for its signature.
    private struct Answer {
        let response: ServiceResponse
        let result: PoolMetrics.Result
        var reason: CheckReason? = nil
        var code: StartupCode? = nil
        /// For a `valid` answer: when the seat stops counting unless checked again (`until`).
        var activeUntil: UTCTimestamp? = nil
    }

    /// The start of a request, or the answer that ends it before the store (a 400, rules 1–2).
    private enum Opening {
        case start(Start)
        case answered(Answer)
    }

    /// `/check`: rules 1–10.
    public func check(_ request: ServiceRequest) -> ServiceResponse {
        counted(answerCheck(request), request, route: .check)
    }

    /// `/release`: rules 1–3, then the user's instance leaves every scope of the license.
    public func release(_ request: ServiceRequest) -> ServiceResponse {
        counted(answerRelease(request), request, route: .release)
    }

    private func counted(_ answer: Answer, _ request: ServiceRequest, route: PoolMetrics.Route) -> ServiceResponse {
        shared.metrics.count(realm: request.realm, route: route, result: answer.result, reason: answer.reason?.rawValue ?? "")
        return signed(answer, realm: request.realm)
    }

    /// SPEC §7: in a realm with an answer key, every `200` carries `License-Signature` over the
    /// code, `t`, `until` and the body. One SHA-256 and one Ed25519 signature, nothing more.
    private func signed(_ answer: Answer, realm: String) -> ServiceResponse {
        guard answer.response.status == 200, let code = answer.code, let signer = settings.answerKeys.signer(of: realm) else {
            return answer.response
        }
        let time = settings.now()
        var response = answer.response
        do {
            let signature = try signer.signature(codeText: code.text, body: Array(response.body.utf8), time: time,
                                                 until: answer.activeUntil)
            response.headers.append((AnswerSignature.headerName, signature.headerValue))
        } catch {
            // OpenSSL out of memory: the answer goes unsigned (a client that asked for a
            // signature treats it as forged) rather than as a 503 that is not the database's.
            settings.logger.error("signing the answer failed; sent unsigned", metadata: ["error": "\(error)", "realm": "\(realm)"])
        }
        return response
    }

    private func answerCheck(_ request: ServiceRequest) -> Answer {
        afterRulesOneAndTwo(request, countingRefusals: true) { start throws(StoreError) in
            if let reason = LicenseCheck.evaluate(start.key, code: start.code, origin: request.origin, isRevoked: false,
                                                  serverSystemID: settings.serverSystemID, today: settings.today()) {
                // Revocation (rule 3) outranks rules 4–8, so a refusal asks for it; a start that
                // passes them learns it from the statement that refreshes its seat.
                return refuse(start, try store.isRevoked(start.license, fingerprint: start.fingerprint) ? .revoked : reason)
            }
            return try seat(start)
        }
    }

    private func answerRelease(_ request: ServiceRequest) -> Answer {
        afterRulesOneAndTwo(request, countingRefusals: false) { start throws(StoreError) in
            if try store.isRevoked(start.license, fingerprint: start.fingerprint) {
                return invalid(start, .revoked)
            }
            try store.release(start.license, user: hash(.user, start.code.userID),
                              instance: hash(.instance, start.code.effectiveInstance))
            return Answer(response: AnswerPresenter.released, result: .released)
        }
    }

    /// Opens the request (its answer when it ends before the store), registers the license when
    /// due and runs `body`; a store that fails on the way answers 503.
    private func afterRulesOneAndTwo(_ request: ServiceRequest, countingRefusals: Bool,
                                     _ body: (Start) throws(StoreError) -> Answer) -> Answer {
        let start: Start
        switch open(request, countingRefusals: countingRefusals) {
        case .answered(let answer): return answer
        case .start(let opened): start = opened
        }
        do {
            try registerIfDue(start)
            var answer = try body(start)
            answer.code = start.code
            shared.metrics.databaseReached(true)
            return answer
        } catch {
            return unavailable(error, realm: start.license.realm)
        }
    }

    /// Decodes the code (a 400 when it does not) and applies rules 1–2 through the key cache.
    private func open(_ request: ServiceRequest, countingRefusals: Bool) -> Opening {
        guard let encoded = FormDecoding.code(of: request) else {
            return .answered(Answer(response: .text(400, "no code: send ?code=CODE, a form field code=CODE, or the bare code as the body"),
                                    result: .badRequest))
        }
        let code: StartupCode
        do {
            code = try StartupCode(decoding: encoded)
        } catch {
            return .answered(Answer(response: .text(400, error.message), result: .badRequest))
        }
        let wantsJSON = request.accept?.contains("application/json") == true
        let realm = request.realm
        if !settings.realms.knows(realm) {
            shared.unknownRealms.warnOnce(realm, logger: settings.logger)
        }
        let authentication = shared.keyCache.authenticate(keyLine: code.keyLine, realm: realm,
                                                          issuers: settings.realms.issuers(of: realm))
        switch authentication.decision {
        case .invalid(let reason, let parsed):
            if countingRefusals { shared.usage.recordUnverifiedDenial(realm: realm, reason: reason, day: settings.today()) }
            return .answered(Answer(response: AnswerPresenter.invalid(reason, key: parsed, json: wantsJSON), result: .invalid,
                                    reason: reason, code: code))
        case .valid(let key):
            return .start(Start(code: code, key: key, license: LicenseIdentity(realm: realm, key: key, id: authentication.licenseID),
                                fingerprint: authentication.fingerprint, wantsJSON: wantsJSON))
        }
    }

    /// A key seen with a valid signature is registered (SPEC §4), at most once a minute per pool.
    private func registerIfDue(_ start: Start) throws(StoreError) {
        guard shared.registrations.claimRegistration(realm: start.license.realm, fingerprint: start.fingerprint) else { return }
        do {
            try register(start)
        } catch {
            shared.registrations.registrationFailed(realm: start.license.realm, fingerprint: start.fingerprint)
            throw error
        }
    }

    private func register(_ start: Start) throws(StoreError) {
        try store.register(start.key, as: start.license, fingerprint: start.fingerprint)
        shared.registrations.registered(realm: start.license.realm, fingerprint: start.fingerprint)
    }

    /// Rules 9–10 for a start that passed rules 4–8.
    private func seat(_ start: Start) throws(StoreError) -> Answer {
        let request = SeatRequest(
            license: start.license, fingerprint: start.fingerprint,
            // Rule 8 passed: every requested option is in the key (compactMap so that nothing can trap).
            scopes: [SeatScope(name: LicenseTerms.baseScope, limits: start.key.baseLimits)] + start.code.options.compactMap { name in
                start.key.terms.option(named: name).map { SeatScope(name: name, limits: $0.limits) }
            },
            user: hash(.user, start.code.userID), instance: hash(.instance, start.code.effectiveInstance),
            computer: hash(.computer, start.code.effectiveComputer))
        var outcome = try store.seat(request)
        if outcome == .unregistered {
            try register(start)
            outcome = try store.seat(request)
        }
        let scopeNames = request.scopes.map(\.name)
        switch outcome {
        case .revoked:
            return refuse(start, .revoked)
        case .refused(let reason, let scope):
            count(start, scopes: scopeNames, refusal: (reason, scope))
            return Answer(response: AnswerPresenter.invalid(reason, key: start.key, license: start.license.id, json: start.wantsJSON,
                                                            scopes: request.scopes,
                                                            usage: start.wantsJSON ? try store.usage(request) : [:]),
                          result: .invalid, reason: reason)
        case .seated(let until, let leaseSeconds):
            count(start, scopes: scopeNames, refusal: nil)
            // Where a scope counts rights, the seat holds its right for the instance lease: a
            // running program checks again at a third of it (SPEC §8).
            let countsRights = request.scopes.contains { $0.limits.rights != nil }
            return Answer(response: AnswerPresenter.valid(start.key, license: start.license.id, scopes: request.scopes,
                                                          usage: start.wantsJSON ? try store.usage(request) : nil,
                                                          heartbeat: countsRights ? max(1, leaseSeconds / 3) : nil),
                          result: .valid, activeUntil: Self.until(until, key: start.key))
        case .unregistered:
            throw StoreError(kind: .fault, message: "the license is still not registered after registering it")
        }
    }

    /// A signed `until` is never later than the end of the key's last day (SPEC §7).
    static func until(_ seatUntil: UTCTimestamp, key: LicenseKey) -> UTCTimestamp {
        guard let lastDay = key.duration?.last else { return seatUntil }
        let endOfLastDay = UTCTimestamp(secondsSince1970: (lastDay.daysSince1970 + 1) * 86_400 - 1)
        return min(seatUntil, endOfLastDay)
    }

    /// A refusal of rules 3–8, counted in the base scope.
    private func refuse(_ start: Start, _ reason: CheckReason) -> Answer {
        count(start, scopes: [LicenseTerms.baseScope], refusal: (reason, LicenseTerms.baseScope))
        return invalid(start, reason)
    }

    /// `invalid REASON` for a verified key, whose license ID is known already.
    private func invalid(_ start: Start, _ reason: CheckReason) -> Answer {
        Answer(response: AnswerPresenter.invalid(reason, key: start.key, license: start.license.id, json: start.wantsJSON),
               result: .invalid, reason: reason)
    }

    /// Counts a check of a verified key for the usage history. Domains and revisions only of
    /// starts that passed rules 3–6: a refused key's client names nothing a report should keep
    /// (and an attacker could vary it).
    private func count(_ start: Start, scopes: [String], refusal: (reason: CheckReason, scope: String)?) {
        let recordsClient = refusal.map { $0.reason.isAfterRuleSix } ?? true
        shared.usage.recordCheck(
            license: start.license, scopes: scopes,
            client: recordsClient ? (domain: start.code.domain.description.lowercased(), revision: start.code.revision.text) : nil,
            refusal: refusal, day: settings.today())
    }

    private func hash(_ kind: ServerSecret.Kind, _ value: String) -> SeatHash {
        SeatHash(bytes: settings.secret.hash(kind, value))
    }

    /// The 503 of SPEC §3 for any failure after the key check. The log tells an unavailable or
    /// busy store from a fault (a missing table, a privilege, an answer the migrations should not
    /// give), which needs a person, not a retry. Errors name statements and SQLSTATEs, never
    /// parameters: no ID reaches the log.
    private func unavailable(_ error: StoreError, realm: String) -> Answer {
        shared.metrics.record(error)
        if error.kind != .fault {
            settings.logger.error("database unavailable", metadata: [
                "kind": "\(error.kind.rawValue)", "error": "\(error)", "realm": "\(realm)",
            ])
        } else {
            settings.logger.error("database fault", metadata: [
                "sqlstate": "\(error.code ?? "none")", "error": "\(error)", "realm": "\(realm)",
            ])
        }
        return Answer(response: Self.unavailableResponse, result: .unavailable)
    }
}
