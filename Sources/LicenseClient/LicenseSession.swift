import Foundation
import LicenseCore
import Synchronization

/// A running program's seat (SPEC §8): checked at `start()` under a fresh instance ID, kept by
/// heartbeats at the interval the server gives, released at `close()` (or when the session
/// goes away). Heartbeats run on a thread of their own and never block the program; one that
/// answers `invalid` reaches the program through `onInvalid`, once.
///
/// ```swift
/// let session = LicenseSession(client: client) { reason in
///     log("license: \(reason)"); shutDown()
/// }
/// guard session.start().allowsRunning else { exit(1) }
/// defer { session.close() }
/// ```
public final class LicenseSession: Sendable {
    /// The interval when the server gave none (a start that was skipped, so no lease is known):
    /// five minutes, the client's own choice. A server's answer always says its own.
    public static let defaultHeartbeatSeconds = 300
    /// Intervals a server gives are taken between a second and a day.
    static let heartbeatSeconds = 1...86_400

    public let client: LicenseClient
    /// This running instance's ID, new for every session.
    public let instanceID: String
    private let onInvalid: @Sendable (CheckOutcome) -> Void
    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let heartbeatsEnded = DispatchSemaphore(value: 0)

    private struct State {
        /// A start allowed running: there is a seat to release.
        var seated = false
        /// Heartbeats were started.
        var started = false
        var closed = false
        /// The latest `until` a verified `valid` answer gave: a fail-closed session runs on it
        /// while the server cannot be reached (SPEC §8).
        var verifiedUntil: UTCTimestamp?
    }

    /// A session for one run of the program, with a new instance ID.
    ///
    /// - Parameters:
    ///   - client: the check's settings (server, key, revision, domain, answer key).
    ///   - onInvalid: called on the heartbeat thread when a heartbeat answers `.invalid` or
    ///     `.forged` (the license no longer holds); at most once.
    public init(client: LicenseClient, onInvalid: @escaping @Sendable (CheckOutcome) -> Void) throws(LicenseClientError) {
        self.client = client
        instanceID = try LicenseClient.newInstanceID()
        self.onInvalid = onInvalid
    }

    /// The startup check. When it allows running, heartbeats begin (where the license counts
    /// running instances, or when the server could not say).
    public func start() throws(LicenseClientError) -> CheckOutcome {
        let (outcome, heartbeat, verifiedUntil) = try client.checkWithUntil(instance: instanceID, json: true, anyInstance: true)
        guard outcome.allowsRunning else { return outcome }
        state.withLock { state in
            state.seated = true
            state.verifiedUntil = verifiedUntil ?? state.verifiedUntil
        }
        let interval: Int?
        switch outcome {
        case .valid: interval = heartbeat
        default: interval = Self.defaultHeartbeatSeconds
        }
        if let interval {
            state.withLock { $0.started = true }
            // The thread holds the session weakly, so that a session the program drops is
            // released by its deinit; the semaphores it needs outlive it.
            let (wakeUp, ended) = (self.wakeUp, heartbeatsEnded)
            let seconds = min(max(interval, Self.heartbeatSeconds.lowerBound), Self.heartbeatSeconds.upperBound)
            let thread = Thread { [weak self] in
                defer { ended.signal() }
                while wakeUp.wait(timeout: .now() + .seconds(seconds)) == .timedOut {
                    guard let session = self, session.heartbeat() else { return }
                }
            }
            thread.name = "license-heartbeat"
            thread.start()
        }
        Self.openSessions.withLock { $0[ObjectIdentifier(self)] = WeakSession(session: self) }
        return outcome
    }

    /// One heartbeat; false when heartbeats end (closed, or the license no longer holds).
    ///
    /// SPEC §8: a server that cannot be reached, or answers 429, 502, 503 or 504, is skipped and
    /// tried again at the next heartbeat; with `failClosed`, only once the last verified answer's
    /// `until` has passed does the program stop (`invalid offline`). With an answer key, anything
    /// else that is not a verified answer (a 3xx or 4xx, a TLS failure, a forged 200) is a forged
    /// answer: a fake server must not keep a revoked license running.
    private func heartbeat() -> Bool {
        if state.withLock({ $0.closed }) { return false }
        var outcome: CheckOutcome
        do {
            let checked = try client.checkWithUntil(instance: instanceID, json: true, anyInstance: true)
            outcome = checked.outcome
            if let until = checked.verifiedUntil { state.withLock { $0.verifiedUntil = until } }
        } catch {
            switch error.code {
            case .tls, .rejected, .unexpectedAnswer:
                outcome = client.answerVerifier == nil ? .skipped(error.message) : .forged(error.message)
            case .configuration, .userIDFile, .unavailable:
                // Without an answer key nothing tells a fake server from a broken one; a local
                // failure (the user ID file, the cache) is no reason to stop the program.
                outcome = .skipped(error.message)
            }
        }
        if case .offline = outcome, let until = state.withLock({ $0.verifiedUntil }), until > client.now {
            outcome = .validOffline(until: until)
        }
        switch outcome {
        case .invalid, .forged, .offline, .clock:
            if !state.withLock({ $0.closed }) { onInvalid(outcome) }
            return false
        case .valid, .skipped, .validOffline:
            return true
        }
    }

    /// Stops the heartbeats and releases the seat (its right is free at once). Safe to call twice.
    @discardableResult
    public func close() -> ReleaseOutcome? {
        let (wasClosed, seated, started) = state.withLock { state in
            defer { state.closed = true }
            return (state.closed, state.seated, state.started)
        }
        guard !wasClosed, seated else { return nil }
        Self.openSessions.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
        if started {
            wakeUp.signal()
            // From the heartbeat thread itself (an onInvalid that closes), there is nothing to wait for.
            if Thread.current.name != "license-heartbeat" { heartbeatsEnded.wait() }
        }
        return try? client.release(instance: instanceID)
    }

    deinit { close() }

    private struct WeakSession {
        weak var session: LicenseSession?
    }

    /// Sessions not closed yet, released when the program exits.
    private static let openSessions: Mutex<[ObjectIdentifier: WeakSession]> = {
        atexit { LicenseSession.closeAll() }
        return Mutex([:])
    }()

    private static func closeAll() {
        let sessions = openSessions.withLock { $0.values.compactMap(\.session) }
        for session in sessions { session.close() }
    }
}

extension CheckOutcome {
    /// Whether the program may run on this outcome: valid, valid offline, or skipped.
    public var allowsRunning: Bool {
        switch self {
        case .valid, .validOffline, .skipped: true
        case .invalid, .forged, .offline, .clock: false
        }
    }
}
