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

    private let requests: LicenseRequests
    private var settings: CheckSettings { requests.settings }
    private var shared: SharedCheckState { requests.shared }
    private var store: any SeatStoring { requests.store }

    public init(settings: CheckSettings, shared: SharedCheckState, store: any SeatStoring) {
        requests = LicenseRequests(settings: settings, shared: shared, store: store)
    }

    private typealias Start = LicenseRequests.Start
    private typealias Answer = LicenseRequests.Answer

    /// `/check`: rules 1–10.
    public func check(_ request: ServiceRequest) -> ServiceResponse {
        requests.counted(answerCheck(request), request, route: .check)
    }

    /// `/release`: rules 1–3, then the user's instance leaves every scope of the license.
    public func release(_ request: ServiceRequest) -> ServiceResponse {
        requests.counted(answerRelease(request), request, route: .release)
    }

    private func answerCheck(_ request: ServiceRequest) -> Answer {
        requests.afterRulesOneAndTwo(request, countingRefusals: true) { start throws(StoreError) in
            let verdict = LicenseCheck.evaluate(start.key, code: start.code, origin: request.origin, isRevoked: false,
                                                serverSystemID: settings.serverSystemID, today: settings.today(), now: settings.now())
            if let reason = verdict.reason {
                // Revocation (rule 3) outranks rules 4–8, so a refusal asks for it; a start that
                // passes them learns it from the statement that refreshes its seat. So does rule
                // 7's binding: only a start refused by rule 8 anyway asks for it on its own.
                if try store.isRevoked(start.license, fingerprint: start.fingerprint) { return refuse(start, .revoked) }
                let isBound = verdict.needsBinding
                    ? try store.isBound(start.license, computer: requests.hash(.computer, start.code.effectiveComputer)) : true
                return refuse(start, verdict.reason(isBound: isBound) ?? reason)
            }
            return try seat(start, computerMustBeBound: verdict.needsBinding)
        }
    }

    private func answerRelease(_ request: ServiceRequest) -> Answer {
        requests.afterRulesOneAndTwo(request, countingRefusals: false) { start throws(StoreError) in
            if try store.isRevoked(start.license, fingerprint: start.fingerprint) {
                return invalid(start, .revoked)
            }
            try store.release(start.license, user: requests.hash(.user, start.code.userID),
                              instance: requests.hash(.instance, start.code.effectiveInstance))
            return Answer(response: AnswerPresenter.released, result: .released)
        }
    }

    /// Rules 9–10 for a start that passed rules 4–8 (rule 7's binding aside, which the seat's
    /// statement checks when `computerMustBeBound`).
    private func seat(_ start: Start, computerMustBeBound: Bool) throws(StoreError) -> Answer {
        let request = SeatRequest(
            license: start.license, fingerprint: start.fingerprint,
            // Rule 8 passed: every requested option is in the key (compactMap so that nothing can trap).
            scopes: [SeatScope(name: LicenseTerms.baseScope, limits: start.key.baseLimits)] + start.code.options.compactMap { name in
                start.key.terms.option(named: name).map { SeatScope(name: name, limits: $0.limits) }
            },
            user: requests.hash(.user, start.code.userID), instance: requests.hash(.instance, start.code.effectiveInstance),
            computer: requests.hash(.computer, start.code.effectiveComputer), rights: start.code.debit,
            computerMustBeBound: computerMustBeBound, borrowSeconds: start.code.borrowSeconds)
        var outcome = try store.seat(request)
        if outcome == .unregistered {
            try requests.register(start.key, as: start.license, fingerprint: start.fingerprint)
            outcome = try store.seat(request)
        }
        let scopeNames = request.scopes.map(\.name)
        switch outcome {
        case .revoked:
            return refuse(start, .revoked)
        case .computerNotBound:
            return refuse(start, .systemID)
        case .refused(let reason, let scope):
            count(start, scopes: scopeNames, refusal: (reason, scope))
            return Answer(response: AnswerPresenter.invalid(reason, key: start.key, license: start.license.id, json: start.wantsJSON,
                                                            scopes: request.scopes,
                                                            usage: start.wantsJSON ? try store.usage(request) : [:]),
                          result: .invalid, reason: reason)
        case .seated(let until, let leaseSeconds, let overdraftScopes, let admitted):
            count(start, scopes: scopeNames, refusal: nil)
            if admitted, !overdraftScopes.isEmpty { shared.metrics.countOverdraftAdmission(realm: start.license.realm) }
            // Where a scope counts rights, the seat holds its right for the instance lease: a
            // running program checks again at a third of it (SPEC §8).
            let countsRights = request.scopes.contains { $0.limits.rights != nil }
            return Answer(response: AnswerPresenter.valid(start.key, license: start.license.id, scopes: request.scopes,
                                                          usage: start.wantsJSON ? try store.usage(request) : nil,
                                                          heartbeat: countsRights ? max(1, leaseSeconds / 3) : nil,
                                                          overdraftScopes: Set(overdraftScopes)),
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
}
