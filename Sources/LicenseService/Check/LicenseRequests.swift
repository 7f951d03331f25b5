import LicenseCore
import LicenseSigning
import Logging
import StoreBoundary

/// What `/check`, `/release`, `/bind` and `/unbind` share: reading a startup code, rules 1–2
/// through the key cache, registering a license when due, signing a `200` (SPEC §7) and the 503
/// of a store that fails. One per worker thread, as its store is.
final class LicenseRequests {
    let settings: CheckSettings
    let shared: SharedCheckState
    let store: any SeatStoring

    init(settings: CheckSettings, shared: SharedCheckState, store: any SeatStoring) {
        self.settings = settings
        self.shared = shared
        self.store = store
    }

    /// A start whose code decoded and whose key passed rules 1–2.
    struct Start {
        let code: StartupCode
        let key: LicenseKey
        let license: LicenseIdentity
        let fingerprint: String
        let wantsJSON: Bool
    }

    /// An answer and what it came to, for the metrics; the code it answers, for its signature.
    struct Answer {
        let response: ServiceResponse
        let result: PoolMetrics.Result
        var reason: CheckReason? = nil
        var code: StartupCode? = nil
        /// For a `valid` answer: when the seat stops counting unless checked again (`until`).
        var activeUntil: UTCTimestamp? = nil
    }

    /// The start of a request, or the answer that ends it before the store (a 400, rules 1–2).
    enum Opening {
        case start(Start)
        case answered(Answer)
    }

    /// How a refusal of rules 1–2 is worded: as `/check` words it, or as `/bind` does.
    typealias RefusalPresenter = (_ reason: CheckReason, _ key: LicenseKey?, _ json: Bool) -> ServiceResponse

    /// Counts the answer for the metrics and signs it.
    func counted(_ answer: Answer, _ request: ServiceRequest, route: PoolMetrics.Route) -> ServiceResponse {
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

    /// Opens the request (its answer when it ends before the store), registers the license when
    /// due and runs `body`; a store that fails on the way answers 503.
    func afterRulesOneAndTwo(_ request: ServiceRequest, countingRefusals: Bool, needsSystem: Bool = false,
                             refusal: RefusalPresenter = { AnswerPresenter.invalid($0, key: $1, json: $2) },
                             _ body: (Start) throws(StoreError) -> Answer) -> Answer {
        let start: Start
        switch open(request, countingRefusals: countingRefusals, needsSystem: needsSystem, refusal: refusal) {
        case .answered(let answer): return answer
        case .start(let opened): start = opened
        }
        do {
            try registerIfDue(start.key, as: start.license, fingerprint: start.fingerprint)
            var answer = try body(start)
            answer.code = start.code
            shared.metrics.databaseReached(true)
            return answer
        } catch {
            return unavailable(error, realm: start.license.realm)
        }
    }

    /// Decodes the code (a 400 when it does not) and applies rules 1–2 through the key cache.
    private func open(_ request: ServiceRequest, countingRefusals: Bool, needsSystem: Bool,
                      refusal: RefusalPresenter) -> Opening {
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
        if needsSystem, code.system == nil {
            return .answered(Answer(response: .text(400, "the code has no system= line: name the computer to bind or unbind"),
                                    result: .badRequest))
        }
        let wantsJSON = request.accept?.contains("application/json") == true
        let realm = request.realm
        switch authenticate(keyLine: code.keyLine, realm: realm) {
        case .refused(let reason, let parsed):
            if countingRefusals { shared.usage.recordUnverifiedDenial(realm: realm, reason: reason, day: settings.today()) }
            return .answered(Answer(response: refusal(reason, parsed, wantsJSON), result: .invalid, reason: reason, code: code))
        case .verified(let key, let license, let fingerprint):
            return .start(Start(code: code, key: key, license: license, fingerprint: fingerprint, wantsJSON: wantsJSON))
        }
    }

    /// Rules 1–2 of a key line in a realm.
    enum Authentication {
        case verified(LicenseKey, LicenseIdentity, fingerprint: String)
        case refused(CheckReason, LicenseKey?)
    }

    /// Rules 1–2 through the pool's key cache: a key text is verified once per realm.
    func authenticate(keyLine: [UInt8], realm: String) -> Authentication {
        if !settings.realms.knows(realm) {
            shared.unknownRealms.warnOnce(realm, logger: settings.logger)
        }
        let authentication = shared.keyCache.authenticate(keyLine: keyLine, realm: realm,
                                                          issuers: settings.realms.issuers(of: realm))
        switch authentication.decision {
        case .invalid(let reason, let parsed):
            return .refused(reason, parsed)
        case .valid(let key):
            return .verified(key, LicenseIdentity(realm: realm, key: key, id: authentication.licenseID),
                             fingerprint: authentication.fingerprint)
        }
    }

    /// A key seen with a valid signature is registered (SPEC §4), at most once a minute per pool.
    func registerIfDue(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws(StoreError) {
        guard shared.registrations.claimRegistration(realm: license.realm, fingerprint: fingerprint) else { return }
        do {
            try register(key, as: license, fingerprint: fingerprint)
        } catch {
            shared.registrations.registrationFailed(realm: license.realm, fingerprint: fingerprint)
            throw error
        }
    }

    func register(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws(StoreError) {
        try store.register(key, as: license, fingerprint: fingerprint)
        shared.registrations.registered(realm: license.realm, fingerprint: fingerprint)
    }

    func hash(_ kind: ServerSecret.Kind, _ value: String) -> SeatHash {
        SeatHash(bytes: settings.secret.hash(kind, value))
    }

    /// The 503 of SPEC §3 for any failure after the key check. The log tells an unavailable or
    /// busy store from a fault (a missing table, a privilege, an answer the migrations should not
    /// give), which needs a person, not a retry. Errors name statements and SQLSTATEs, never
    /// parameters: no ID reaches the log.
    func unavailable(_ error: StoreError, realm: String) -> Answer {
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
        return Answer(response: CheckHandler.unavailableResponse, result: .unavailable)
    }
}
