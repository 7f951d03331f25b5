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
                and sends PROGRAM SIGTERM. PROGRAM runs in a process group of its own that cannot outlive licensectl run: \
                when run ends (even killed with SIGKILL) or PROGRAM exits leaving children, the group is sent SIGTERM, then \
                SIGKILL.
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

/// The program `licensectl run` runs: spawned with this process's standard streams and
/// environment in a process group of its own, signalled from other threads, waited for.
///
/// The group cannot outlive `licensectl run` (SPEC §8): a guard, a shell spawned beside it in a
/// session of its own, waits on a pipe whose only writer is this process. When this process ends,
/// however it ends (SIGKILL included, since the kernel closes the pipe then), or PROGRAM has exited
/// leaving children, the guard sends the group SIGTERM, then SIGKILL two seconds later.
final class ChildProcess: Sendable {
    private let pid = Mutex<pid_t?>(nil)
    /// A signal that came before the program started, delivered once it has.
    private let pending = Mutex<Int32?>(nil)

    /// The guard's script (dash's `kill`: a negative number is a group, and no `--`): the group's
    /// number on its first line, then the pipe's end.
    static let guardScript = """
        read group || exit 0
        while read -r _; do :; done
        kill -TERM "-$group" 2>/dev/null || exit 0
        tries=0
        while kill -0 "-$group" 2>/dev/null && [ "$tries" -lt 20 ]; do sleep 0.1; tries=$((tries + 1)); done
        kill -KILL "-$group" 2>/dev/null
        exit 0
        """

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
        // Both ends close on exec: PROGRAM must not hold the writer, or the guard would wait on it.
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw CommandError("cannot make the guard's pipe: \(String(cString: strerror(errno)))") }
        let (reader, writer) = (pipeEnds[0], pipeEnds[1])
        _ = fcntl(reader, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writer, F_SETFD, FD_CLOEXEC)
        defer { close(writer) }
        try Self.spawnGuard(reading: reader)
        close(reader)

        let (spawned, result) = Self.spawnInGroupOfItsOwn(arguments, fileActions: nil)
        guard result == 0 else { throw CommandError(String(cString: strerror(result))) }
        let line = Array("\(spawned)\n".utf8)
        _ = line.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        pid.withLock { $0 = spawned }
        if let early = pending.withLock({ $0 }) { kill(spawned, early) }
        var status: Int32 = 0
        while waitpid(spawned, &status, 0) < 0 && errno == EINTR {}
        pid.withLock { $0 = nil }
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// The guard: `sh` reading `reader` as its standard input, in a process group of its own (so
    /// that neither a signal to PROGRAM's group nor the terminal's Ctrl-C reaches it), not waited for.
    private static func spawnGuard(reading reader: Int32) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, reader, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let (_, result) = spawnInGroupOfItsOwn(["/bin/sh", "-c", guardScript], fileActions: &actions)
        guard result == 0 else { throw CommandError("cannot start the guard of the program's group: \(String(cString: strerror(result)))") }
    }

    /// Spawns `arguments` (looked up in PATH) in a process group of its own, with default
    /// handling of the signals `licensectl run` ignores or catches (SIGTERM, SIGINT, SIGHUP);
    /// its pid, and posix_spawn's error number (0: spawned).
    private static func spawnInGroupOfItsOwn(_ arguments: [String],
                                             fileActions: UnsafePointer<posix_spawn_file_actions_t>?) -> (pid: pid_t, error: Int32) {
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var spawned: pid_t = 0
        let result = posix_spawnp(&spawned, arguments[0], fileActions, &attributes, &argv, environ)
        return (spawned, result)
    }
}
