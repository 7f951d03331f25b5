import LicenseCore
import StoreBoundary

/// `/bind` and `/unbind` (SPEC §13): a license's holder binds it to computers, without the
/// vendor. A program posts a startup code whose `system=` line names the computer (rules 1–6
/// first, then the binding); the page `GET /bind` posts its form (the key and the system ID),
/// and is answered with the page again. One per worker thread.
public final class BindHandler {
    private let requests: LicenseRequests
    private let page: BindPage
    private var settings: CheckSettings { requests.settings }
    private var store: any SeatStoring { requests.store }

    public init(settings: CheckSettings, shared: SharedCheckState, store: any SeatStoring, page: BindPage = BindPage()) {
        requests = LicenseRequests(settings: settings, shared: shared, store: store)
        self.page = page
    }

    private enum Action {
        case bind, unbind

        var route: PoolMetrics.Route { self == .bind ? .bind : .unbind }
        var done: String { self == .bind ? "bound" : "unbound" }
        var result: PoolMetrics.Result { self == .bind ? .bound : .unbound }
    }

    /// What a binding came to: done with `bound` computers, or refused; nil counts are unknown.
    private struct Outcome {
        let reason: CheckReason?
        let bound: Int?
    }

    /// `GET /bind`: the empty page.
    public func form(_ request: ServiceRequest) -> ServiceResponse {
        page.render(outcome: nil, keyText: "", system: "", status: 200)
    }

    /// `POST /bind`.
    public func bind(_ request: ServiceRequest) -> ServiceResponse {
        respond(request, .bind)
    }

    /// `POST /unbind`.
    public func unbind(_ request: ServiceRequest) -> ServiceResponse {
        respond(request, .unbind)
    }

    private func respond(_ request: ServiceRequest, _ action: Action) -> ServiceResponse {
        if let reading = BindForm.read(request) {
            return answerPage(reading, request, action)
        }
        let answer = requests.afterRulesOneAndTwo(request, countingRefusals: false, needsSystem: true,
                                                  refusal: BindPresenter.invalid) { start throws(StoreError) in
            let outcome: Outcome
            if let reason = LicenseCheck.datesProductAndPlace(start.key, code: start.code, origin: request.origin,
                                                              today: settings.today()) {
                outcome = Outcome(reason: try store.isRevoked(start.license, fingerprint: start.fingerprint) ? .revoked : reason, bound: nil)
            } else {
                // needsSystem: the code has a system= line.
                outcome = try apply(action, key: start.key, license: start.license, fingerprint: start.fingerprint,
                                    system: start.code.system ?? "")
            }
            return LicenseRequests.Answer(
                response: BindPresenter.answer(action.done, reason: outcome.reason, key: start.key, license: start.license.id,
                                               bound: outcome.bound, json: start.wantsJSON),
                result: outcome.reason == nil ? action.result : .invalid, reason: outcome.reason)
        }
        return requests.counted(answer, request, route: action.route)
    }

    /// Rule 3, whether the key may be bound, then the binding under the license's lock.
    private func apply(_ action: Action, key: LicenseKey, license: LicenseIdentity, fingerprint: String,
                       system: String) throws(StoreError) -> Outcome {
        guard let bindLimit = key.bindLimit else {
            return Outcome(reason: try store.isRevoked(license, fingerprint: fingerprint) ? .revoked : .binding, bound: nil)
        }
        let computer = requests.hash(.computer, system)
        func call() throws(StoreError) -> BindingOutcome {
            switch action {
            case .bind: try store.bind(license, fingerprint: fingerprint, computer: computer, limit: bindLimit)
            case .unbind: try store.unbind(license, fingerprint: fingerprint, computer: computer, limit: settings.unbindLimit)
            }
        }
        var outcome = try call()
        if outcome == .unregistered {
            try requests.register(key, as: license, fingerprint: fingerprint)
            outcome = try call()
        }
        switch outcome {
        case .done(let bound): return Outcome(reason: nil, bound: bound)
        case .refused(let reason, let bound): return Outcome(reason: reason, bound: bound)
        case .revoked: return Outcome(reason: .revoked, bound: nil)
        case .unregistered: throw StoreError(kind: .fault, message: "the license is still not registered after registering it")
        }
    }

    /// The page's own form: rules 1–4 (the form names no revision or domain for rules 5–6), then
    /// the binding; the page again, with the answer above the form.
    private func answerPage(_ reading: BindForm.Reading, _ request: ServiceRequest, _ action: Action) -> ServiceResponse {
        let form: BindForm
        switch reading {
        case .incomplete(let message, let keyText, let system):
            requests.shared.metrics.count(realm: request.realm, route: action.route, result: .badRequest)
            return page.render(outcome: BindPage.Outcome(headline: "Not sent: " + message,
                                                         explanation: "Nothing was bound or unbound.", succeeded: false),
                               keyText: keyText, system: system, status: 400)
        case .form(let read):
            form = read
        }
        let key: LicenseKey
        let license: LicenseIdentity
        let fingerprint: String
        switch requests.authenticate(keyLine: Array(form.keyText.utf8), realm: request.realm) {
        case .refused(let reason, _):
            requests.shared.metrics.count(realm: request.realm, route: action.route, result: .invalid, reason: reason.rawValue)
            return page.render(outcome: Self.pageOutcome(action, reason: reason, key: nil, license: nil, bound: nil,
                                                         unbindLimit: settings.unbindLimit),
                               keyText: form.keyText, system: form.system, status: 200)
        case .verified(let verifiedKey, let identity, let keyFingerprint):
            (key, license, fingerprint) = (verifiedKey, identity, keyFingerprint)
        }
        let outcome: Outcome
        do {
            try requests.registerIfDue(key, as: license, fingerprint: fingerprint)
            if let reason = LicenseCheck.dates(key, today: settings.today()) {
                outcome = Outcome(reason: try store.isRevoked(license, fingerprint: fingerprint) ? .revoked : reason, bound: nil)
            } else {
                outcome = try apply(action, key: key, license: license, fingerprint: fingerprint, system: form.system)
            }
            requests.shared.metrics.databaseReached(true)
        } catch {
            _ = requests.unavailable(error, realm: license.realm)
            requests.shared.metrics.count(realm: request.realm, route: action.route, result: .unavailable)
            var response = page.render(outcome: BindPage.Outcome(
                headline: "The license server cannot reach its database just now",
                explanation: "Nothing was bound or unbound. Please try again in a few minutes.", succeeded: false),
                                       keyText: form.keyText, system: form.system, status: 503)
            response.headers.append(("Retry-After", "5"))
            return response
        }
        requests.shared.metrics.count(realm: request.realm, route: action.route,
                                      result: outcome.reason == nil ? action.result : .invalid, reason: outcome.reason?.rawValue ?? "")
        return page.render(outcome: Self.pageOutcome(action, reason: outcome.reason, key: key, license: license.id,
                                                     bound: outcome.bound, unbindLimit: settings.unbindLimit),
                           keyText: form.keyText, system: form.system, status: 200)
    }

    /// The answer as a person reads it.
    private static func pageOutcome(_ action: Action, reason: CheckReason?, key: LicenseKey?, license: String?, bound: Int?,
                                    unbindLimit: Int) -> BindPage.Outcome {
        let explanation: String
        switch reason {
        case nil:
            explanation = action == .bind ? "The license now works on this computer." : "The license no longer works on this computer."
        case .binding?:
            explanation = key?.bindLimit == nil
                ? "This key cannot be bound by its holder; ask the vendor for a key bound to your computers."
                : "The license is bound to as many computers as it allows: unbind one of them first."
        case .unbindLimit?:
            explanation = "A license may be unbound at most \(unbindLimit) times in 30 days; this one has been, so the computer stays bound. Ask the vendor if it must move now."
        case .malformedKey?, .unsupportedField?:
            explanation = "This is not a license key this server can read; paste the whole key line, or choose the key file."
        case .unknownIssuer?, .badSignature?:
            explanation = "This key was not issued for this license server, or it was changed."
        case .revoked?:
            explanation = "The license has been revoked."
        case .expired?:
            explanation = "The license has expired."
        case .notYetValid?:
            explanation = "The license is not valid yet."
        default:
            explanation = "The license cannot be bound here."
        }
        return BindPage.Outcome(headline: reason.map { "invalid " + $0.rawValue } ?? action.done, explanation: explanation,
                                succeeded: reason == nil, product: key?.product, licenseID: license, licensee: key?.licensee,
                                bound: bound, limit: key?.bindLimit)
    }
}
