import LicenseCore
import LicenseSigning
import Logging
import Postgres

/// The routes of SPEC §3 over one worker's seat store. One per worker thread; the realms,
/// the key cache and the secret are shared.
public final class CheckService {
    /// The largest body accepted; a startup code is at most 4096 bytes decoded.
    public static let maximumBodyLength = 8192

    public struct Configuration: Sendable {
        public let realms: RealmIssuers
        public let secret: ServerSecret
        public let serverSystemID: String?
        public let keyCache: VerifiedKeyCache
        /// Registers one license per (realm, fingerprint) at most once a minute per pool.
        public let registrations: RegistrationMemo
        /// Realms nginx named that have no issuers folder, each logged once.
        public let unknownRealms = UnknownRealms()
        /// Checks, denials and clients counted for the usage history.
        public let usage = UsageCounters()
        /// Today in UTC; a function so that tests can move the clock.
        public let today: @Sendable () -> LicenseDate
        public let logger: Logger

        public init(realms: RealmIssuers, secret: ServerSecret, serverSystemID: String?,
                    keyCache: VerifiedKeyCache = VerifiedKeyCache(), registrations: RegistrationMemo = RegistrationMemo(),
                    logger: Logger, today: @escaping @Sendable () -> LicenseDate) {
            self.logger = logger
            self.realms = realms
            self.secret = secret
            self.serverSystemID = serverSystemID
            self.keyCache = keyCache
            self.registrations = registrations
            self.today = today
        }
    }

    private let configuration: Configuration
    private let store: SeatStore

    public init(configuration: Configuration, store: SeatStore) {
        self.configuration = configuration
        self.store = store
    }

    /// The answer to `request`; never throws: database trouble is a 503.
    public func respond(to request: ServiceRequest) -> ServiceResponse {
        switch request.path {
        case "/check":
            return withCORS(request, methods: ["GET", "POST"]) { answer(request, release: false) }
        case "/release":
            return withCORS(request, methods: ["POST"]) { answer(request, release: true) }
        case "/healthz":
            guard request.method == "GET" || request.method == "HEAD" else {
                return .text(405, "method not allowed", headers: [("Allow", "GET, HEAD")])
            }
            return store.isHealthy() ? .text(200, "ok") : Self.unavailableResponse
        default:
            return .text(404, "not found")
        }
    }

    /// A route that web pages may call with `fetch()` (SPEC §3): a CORS preflight is answered
    /// here; every other answer carries `Access-Control-Allow-Origin` for the page's origin.
    /// Whether that origin may use the key is the check's business (rule 6 compares it with
    /// DOMAIN), so any well-formed origin is echoed, and nothing else is.
    private func withCORS(_ request: ServiceRequest, methods: [String], answer: () -> ServiceResponse) -> ServiceResponse {
        let allowedOrigin = request.origin.flatMap { HostName(origin: $0) == nil ? nil : $0 }
        var response: ServiceResponse
        if request.method == "OPTIONS", request.origin != nil, let wanted = request.corsRequestMethod {
            guard let allowedOrigin else {
                return .text(400, "Origin must be scheme://host[:port]")
            }
            guard methods.contains(wanted) else {
                return .text(405, "method not allowed", headers: [("Allow", methods.joined(separator: ", "))])
            }
            return ServiceResponse(status: 204, headers: [
                ("Access-Control-Allow-Origin", allowedOrigin),
                ("Access-Control-Allow-Methods", methods.joined(separator: ", ")),
                ("Access-Control-Allow-Headers", "Accept, Content-Type"),
                ("Access-Control-Max-Age", "86400"),
                ("Vary", "Origin"),
            ], body: "")
        } else if methods.contains(request.method) {
            response = answer()
        } else {
            response = .text(405, "method not allowed", headers: [("Allow", methods.joined(separator: ", "))])
        }
        if let allowedOrigin {
            response.headers += [("Access-Control-Allow-Origin", allowedOrigin), ("Vary", "Origin")]
        }
        return response
    }

    /// The code of a request: `?code=` of a GET, the `code=` field of a form body, or the
    /// whole body (a bare code; clients such as curl label it form-encoded all the same).
    static func code(of request: ServiceRequest) -> [UInt8]? {
        if request.method == "GET" { return FormDecoding.value(of: "code", in: Array(request.query.utf8)) }
        if let field = FormDecoding.value(of: "code", in: request.body) { return field }
        var body = request.body[...]
        while let last = body.last, last == 0x0A || last == 0x0D || last == 0x20 { body = body.dropLast() }
        return body.isEmpty ? nil : Array(body)
    }

    private func answer(_ request: ServiceRequest, release: Bool) -> ServiceResponse {
        guard let encoded = Self.code(of: request) else {
            return .text(400, "no code: send ?code=CODE, a form field code=CODE, or the bare code as the body")
        }
        let code: StartupCode
        do {
            code = try StartupCode(decoding: encoded)
        } catch {
            return .text(400, error.message)
        }
        let wantsJSON = request.accept?.contains("application/json") == true
        let realm = request.realm
        if configuration.realms.realms[realm] == nil {
            configuration.unknownRealms.warnOnce(realm, logger: configuration.logger)
        }
        let authentication = configuration.keyCache.authenticate(
            keyLine: code.keyLine, realm: realm, issuers: configuration.realms.issuers(of: realm))
        let key: LicenseKey
        switch authentication.decision {
        case .valid(let verified):
            key = verified
        case .invalid(let reason, let parsed):
            if !release { configuration.usage.recordUnverifiedDenial(realm: realm, reason: reason, day: configuration.today()) }
            return invalid(reason, key: parsed, json: wantsJSON)
        }
        let license = LicenseIdentity(realm: realm, key: key, id: authentication.licenseID)
        let fingerprint = authentication.fingerprint
        do {
            func register() throws {
                try store.register(key, as: license, fingerprint: fingerprint)
                configuration.registrations.registered(realm: realm, fingerprint: fingerprint)
            }
            if configuration.registrations.needsRegistration(realm: realm, fingerprint: fingerprint) {
                try register()
            }
            let userHash = configuration.secret.hash(.user, code.userID)
            let instanceHash = configuration.secret.hash(.instance, code.effectiveInstance)
            if release {
                if try store.isRevoked(license, fingerprint: fingerprint) { return invalid(.revoked, key: key, json: wantsJSON) }
                try store.release(license, userHash: userHash, instanceHash: instanceHash)
                return .text(200, "released")
            }
            let today = configuration.today()
            func count(scopes: [String], refusal: (reason: CheckReason, scope: String)?) {
                // Domains and revisions only of starts that passed rules 3-6: a refused key's
                // client names nothing a report should keep (and an attacker could vary it).
                let client = refusal.map { $0.reason.isAfterRuleSix } ?? true
                configuration.usage.recordCheck(
                    license: license, scopes: scopes,
                    client: client ? (domain: code.domain.description.lowercased(), revision: code.revision.text) : nil,
                    refusal: refusal, day: today)
            }
            func refuse(_ reason: CheckReason) -> ServiceResponse {
                count(scopes: [SeatStore.baseScope], refusal: (reason, SeatStore.baseScope))
                return invalid(reason, key: key, json: wantsJSON)
            }
            // Rules 4–8 need no database. Revocation (rule 3) outranks them, so a refusal asks
            // for it; a start that passes learns it from the statement that refreshes its seat.
            if let reason = LicenseCheck.evaluate(key, code: code, origin: request.origin, isRevoked: false,
                                                  serverSystemID: configuration.serverSystemID, today: today) {
                return refuse(try store.isRevoked(license, fingerprint: fingerprint) ? .revoked : reason)
            }
            // Rule 8 passed: every requested option is in the key (compactMap only so that nothing can trap).
            let seatRequest = SeatRequest(
                license: license, fingerprint: fingerprint,
                scopes: [(SeatStore.baseScope, key.baseLimits)] + code.options.compactMap { name in
                    key.terms.option(named: name).map { (name, $0.limits) }
                },
                userHash: userHash, instanceHash: instanceHash,
                computerHash: configuration.secret.hash(.computer, code.effectiveComputer))
            let outcome: SeatOutcome
            do {
                outcome = try store.seat(seatRequest)
            } catch is LicenseNotRegistered {
                try register()
                outcome = try store.seat(seatRequest)
            }
            switch outcome {
            case .revoked:
                return refuse(.revoked)
            case .refused(let reason, let scope):
                count(scopes: seatRequest.scopes.map(\.name), refusal: (reason, scope))
                return invalid(reason, key: key, json: wantsJSON, usage: wantsJSON ? try store.usage(seatRequest) : nil,
                               scopes: seatRequest.scopes)
            case .seated:
                count(scopes: seatRequest.scopes.map(\.name), refusal: nil)
            }
            guard wantsJSON else { return .text(200, "valid") }
            return .json(AnswerJSON.render(reason: nil, key: key, scopes: seatRequest.scopes, usage: try store.usage(seatRequest)))
        } catch {
            return unavailable(error, realm: realm)
        }
    }

    /// The 503 of SPEC §3 for any failure after the key check: clients skip and retry later.
    /// The log tells an unavailable or busy database from a fault (a missing table, a privilege,
    /// an answer the migrations should not give), which needs a person, not a retry. The error
    /// names statements and SQLSTATEs, never parameters: no ID reaches the log.
    private func unavailable(_ error: any Error, realm: String) -> ServiceResponse {
        if let error = error as? PostgresError, error.kind != .fault {
            configuration.logger.error("database unavailable", metadata: [
                "kind": "\(error.kind.rawValue)", "error": "\(error)", "realm": "\(realm)",
            ])
        } else {
            configuration.logger.error("database fault", metadata: [
                "sqlstate": "\((error as? PostgresError)?.code?.rawValue ?? "none")", "error": "\(error)", "realm": "\(realm)",
            ])
        }
        return Self.unavailableResponse
    }

    /// What a check answers while the database cannot serve it.
    public static let unavailableResponse = ServiceResponse.text(
        503, "database unavailable; skip the check and try again later", headers: [("Retry-After", "5")])

    private func invalid(_ reason: CheckReason, key: LicenseKey?, json: Bool, usage: [String: ScopeUsage]? = nil,
                         scopes: [(name: String, limits: LicenseTerms.Limits)]? = nil) -> ServiceResponse {
        guard json else { return .text(200, "invalid " + reason.rawValue) }
        return .json(AnswerJSON.render(reason: reason, key: key, scopes: scopes ?? [], usage: usage ?? [:]))
    }
}
