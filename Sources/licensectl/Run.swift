import ArgumentParser
import Dispatch
import Foundation
import LicenseClient
import Synchronization

extension Licensectl {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a program under a seat: check, run it while heartbeats keep the seat, release when it ends.",
            discussion: """
                A fresh instance ID each run. On valid (or a skipped check) PROGRAM runs; heartbeats go at the interval the \
                server gives; SIGTERM, SIGINT and SIGHUP are passed on to PROGRAM; when it ends, the seat is released and \
                licensectl exits with PROGRAM's status (128 + N when signal N ended it). On invalid REASON it prints that and \
                exits 1 without running PROGRAM; when a heartbeat answers invalid REASON, it prints that on standard error \
                and sends PROGRAM SIGTERM.
                """)

        @OptionGroup var client: ClientOptions
        @OptionGroup var answers: AnswerOptions

        @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The program and its arguments, after --.", valueName: "PROGRAM"))
        var command: [String] = []

        /// The program and its arguments, without the `--` before them.
        var program: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

        func validate() throws {
            guard !program.isEmpty else { throw ValidationError("give the program to run after --: licensectl run … -- PROGRAM [ARGS…]") }
            guard client.code.instance == nil else { throw ValidationError("licensectl run makes its own instance ID; leave out --instance") }
        }

        func run() throws {
            let program = self.program
            let child = ChildProcess()
            let session: LicenseSession
            let outcome: CheckOutcome
            do {
                session = try LicenseSession(client: try client.client(answers: answers)) { outcome in
                    FileHandle.standardError.write(Data("licensectl: \(outcome.line); stopping \(program[0])\n".utf8))
                    child.signal(SIGTERM)
                }
                outcome = try session.start()
            } catch let error as LicenseClientError {
                throw CommandError(error.message)
            }
            guard outcome.allowsRunning else {
                print(outcome.line)
                throw ExitCode(1)
            }
            if case .skipped(let why) = outcome { client.reportSkipped(why) }
            if case .validOffline = outcome { FileHandle.standardError.write(Data("licensectl: \(outcome.line)\n".utf8)) }

            // Signals for PROGRAM are caught here and passed on; the default action would end
            // licensectl and leave the seat to its lease.
            let forwarded = [SIGTERM, SIGINT, SIGHUP]
            let sources = forwarded.map { number -> any DispatchSourceSignal in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { child.signal(number) }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }
            let status: Int32
            do {
                status = try child.run(program)
            } catch {
                session.close()
                throw CommandError("cannot run \(program[0]): \(error)")
            }
            session.close()
            throw ExitCode(status)
        }
    }
}

extension CheckOutcome {
    /// The line `licensectl check` prints for this outcome.
    var line: String {
        switch self {
        case .valid: "valid"
        case .invalid(let reason): "invalid \(reason.rawValue)"
        case .skipped: "skipped: server unreachable"
        case .forged: "invalid forged-answer"
        case .validOffline(let until): "valid (offline until \(until))"
        case .offline: "invalid offline"
        }
    }
}

/// The program `licensectl run` runs: spawned with this process's standard streams and
/// environment, signalled from other threads, waited for.
final class ChildProcess: Sendable {
    private let pid = Mutex<pid_t?>(nil)
    /// A signal that came before the program started, delivered once it has.
    private let pending = Mutex<Int32?>(nil)

    func signal(_ number: Int32) {
        let sent = pid.withLock { pid -> Bool in
            guard let pid else { return false }
            kill(pid, number)
            return true
        }
        if !sent { pending.withLock { $0 = number } }
    }

    /// Runs `arguments` (looked up in PATH) to its end; its exit status, 128 + N for signal N.
    func run(_ arguments: [String]) throws -> Int32 {
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The child starts with default signal handling, not the SIG_IGN set here.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        var spawned: pid_t = 0
        let result = posix_spawnp(&spawned, arguments[0], nil, &attributes, &argv, environ)
        guard result == 0 else { throw CommandError(String(cString: strerror(result))) }
        pid.withLock { $0 = spawned }
        if let early = pending.withLock({ $0 }) { kill(spawned, early) }
        var status: Int32 = 0
        while waitpid(spawned, &status, 0) < 0 && errno == EINTR {}
        pid.withLock { $0 = nil }
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
