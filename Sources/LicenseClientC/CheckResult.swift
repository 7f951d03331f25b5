#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LicenseClient

/// What `license_result *` points to: a verdict and its strings, kept as C strings for as long
/// as the result lives, so that the pointers the accessors hand out stay valid.
final class CheckResult {
    /// license_verdict's values (license-client.h); only ever added to.
    enum Verdict: Int32 {
        case valid = 0, validOffline, skipped, invalid, forged, offline, clock, released
    }

    let verdict: Verdict
    let reason: UnsafeMutablePointer<CChar>?
    let text: UnsafeMutablePointer<CChar>
    let explanation: UnsafeMutablePointer<CChar>?

    private init(verdict: Verdict, reason: String?, text: String, explanation: String?) {
        self.verdict = verdict
        self.reason = reason.flatMap { strdup($0) }
        self.text = strdup(text)
        self.explanation = explanation.flatMap { strdup($0) }
    }

    convenience init(_ outcome: CheckOutcome) {
        let verdict: Verdict
        let reason: String?
        switch outcome {
        case .valid: (verdict, reason) = (.valid, nil)
        case .validOffline: (verdict, reason) = (.validOffline, nil)
        case .skipped: (verdict, reason) = (.skipped, nil)
        case .invalid(let why): (verdict, reason) = (.invalid, why.rawValue)
        case .forged: (verdict, reason) = (.forged, "forged-answer")
        case .offline: (verdict, reason) = (.offline, "offline")
        case .clock: (verdict, reason) = (.clock, "clock")
        }
        self.init(verdict: verdict, reason: reason, text: outcome.line, explanation: outcome.explanation)
    }

    convenience init(_ outcome: ReleaseOutcome) {
        switch outcome {
        case .released: self.init(verdict: .released, reason: nil, text: "released", explanation: nil)
        case .invalid(let why): self.init(verdict: .invalid, reason: why.rawValue, text: "invalid " + why.rawValue, explanation: nil)
        case .skipped(let why): self.init(verdict: .skipped, reason: nil, text: "skipped: server unreachable", explanation: why)
        }
    }

    var allowsRunning: Bool { verdict == .valid || verdict == .validOffline || verdict == .skipped }

    deinit {
        free(reason)
        free(text)
        free(explanation)
    }
}
