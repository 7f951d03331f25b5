import Foundation
import HTTPSClient
import LicenseCore
import Synchronization

/// A steady load of checks through nginx over TLS, bounded in time and count, every answer kept:
/// refreshes of known users and, every tenth check, the first check of a new user (an admission).
final class CheckLoad: Sendable {
    enum Kind: Hashable, Sendable, CustomStringConvertible {
        case valid
        case invalid(String)
        /// 503 with Retry-After: the database's answer, which clients skip.
        case unavailable
        case otherStatus(Int)
        case connectionError

        var description: String {
            switch self {
            case .valid: "valid"
            case .invalid(let reason): "invalid \(reason)"
            case .unavailable: "503"
            case .otherStatus(let status): "status \(status)"
            case .connectionError: "connection error"
            }
        }

        /// An answer a client can act on: `valid`, `invalid REASON`, or the 503 it skips.
        var isAnswer: Bool {
            switch self {
            case .valid, .invalid, .unavailable: true
            case .otherStatus, .connectionError: false
            }
        }
    }

    struct Answer: Sendable {
        /// Seconds from the load's start to the check's sending, and how long it took.
        let sentAt: Double
        let seconds: Double
        let kind: Kind
        /// The new user of an admission.
        let admittedUser: String?
    }

    let started = ContinuousClock.now
    private let port: Int
    private let client: HTTPSClient
    private let refreshCodes: [String]
    private let admissionKey: String
    private let threads: Int
    private let checksPerSecond: Double
    private let duration: Double
    private let answers = Mutex<[Answer]>([])
    private let finished = Mutex(0)

    init(port: Int, caFile: String, refreshCodes: [String], admissionKey: String, threads: Int = 8,
         checksPerSecond: Double = 200, duration: Double) throws {
        self.port = port
        // Longer than nginx's read time-out (10 s), so that a check nginx sends on is counted as answered.
        client = HTTPSClient(context: try TLSContext(caFile: caFile), timeout: .seconds(15))
        self.refreshCodes = refreshCodes
        self.admissionKey = admissionKey
        self.threads = threads
        self.checksPerSecond = checksPerSecond
        self.duration = duration
    }

    /// Seconds since the load started.
    var now: Double { Self.seconds(ContinuousClock.now - started) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    func start() {
        for thread in 0..<threads {
            Thread { self.send(thread: thread) }.start()
        }
    }

    /// Waits for every thread to end; the answers in the order they came.
    func wait() -> [Answer] {
        while finished.withLock({ $0 }) < threads { usleep(20_000) }
        return answers.withLock { $0 }
    }

    private func send(thread: Int) {
        let perThread = checksPerSecond / Double(threads)
        var index = 0
        while true {
            let due = (Double(index) + Double(thread) / Double(threads)) / perThread
            if due >= duration { break }
            let wait = due - now
            if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
            let admittedUser: String? = index % 10 == 9 ? "load-\(thread)-\(index)-\(UInt32.random(in: 0...UInt32.max))" : nil
            let code = admittedUser.map { user in
                (try? StartupCode(keyLine: admissionKey, revision: "7.1", userID: user, domain: "localhost").encoded) ?? ""
            } ?? refreshCodes[(thread * 7919 + index) % refreshCodes.count]
            let sentAt = now
            let kind = check(code)
            let answer = Answer(sentAt: sentAt, seconds: now - sentAt, kind: kind, admittedUser: admittedUser)
            answers.withLock { $0.append(answer) }
            index += 1
        }
        finished.withLock { $0 += 1 }
    }

    /// One GET /check through nginx, as a client sends it.
    func check(_ code: String) -> Kind {
        do {
            let answer = try client.send(method: "GET", host: "localhost", port: port, path: "/check?code=" + code)
            let body = String(decoding: answer.body, as: UTF8.self).trimmingCharacters(in: .newlines)
            switch answer.status {
            case 200 where body == "valid": return .valid
            case 200 where body.hasPrefix("invalid "): return .invalid(String(body.dropFirst("invalid ".count)))
            case 503 where answer.header("Retry-After") != nil: return .unavailable
            default: return .otherStatus(answer.status)
            }
        } catch {
            return .connectionError
        }
    }
}

/// What a scenario prints: checks sent, answers by kind, the longest 503 window and the slow checks.
struct LoadSummary: CustomStringConvertible {
    let answers: [CheckLoad.Answer]

    var byKind: [CheckLoad.Kind: Int] { answers.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 } }
    var failed: [CheckLoad.Answer] { answers.filter { !$0.kind.isAnswer } }
    var unavailable: [CheckLoad.Answer] { answers.filter { $0.kind == .unavailable } }

    /// From the sending of the first 503 to the end of the last one, in seconds; 0 without any.
    var unavailableWindow: (from: Double, to: Double)? {
        guard let first = unavailable.map(\.sentAt).min(), let last = unavailable.map({ $0.sentAt + $0.seconds }).max() else { return nil }
        return (first, last)
    }

    /// Checks that took longer than each bound, in seconds.
    var slow: [(bound: Double, count: Int)] {
        [0.1, 0.5, 1, 5].map { bound in (bound, answers.filter { $0.seconds > bound }.count) }
    }

    var description: String {
        let kinds = byKind.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let window = unavailableWindow.map { String(format: "%.1f s (%.1f–%.1f s)", $0.to - $0.from, $0.from, $0.to) } ?? "none"
        let slowText = slow.map { "> \($0.bound) s: \($0.count)" }.joined(separator: ", ")
        let longest = answers.map(\.seconds).max() ?? 0
        return "checks sent \(answers.count); answers: \(kinds); 503 window: \(window); slow: \(slowText); longest \(String(format: "%.2f", longest)) s"
    }
}
