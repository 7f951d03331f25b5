import Foundation

/// What a finished process left: its exit status and its output.
public struct CommandResult: Sendable {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
}

/// Runs programs for the tests that go through real processes (licensectl, openssl).
public enum Command {
    /// Runs `executable` (a path, or a name looked up in PATH) to completion.
    ///
    /// posix_spawn and waitpid rather than Foundation's Process, whose wait on Linux can miss
    /// the exit of a child that leaves daemons behind (scripts/stack.sh starts three).
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil,
                           environment: [String: String]? = nil) throws -> CommandResult {
        // Files, not pipes: a chatty process, or a daemon it starts, can never block on a full pipe.
        let directory = try TemporaryDirectory()
        let inputPath = directory.file("stdin")
        try (input ?? Data()).write(to: URL(fileURLWithPath: inputPath))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory.file("stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, directory.file("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let pid = try spawn(executable, arguments, actions: &actions, environment: environment)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return CommandResult(
            status: exitStatus(status),
            standardOutput: String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory.file("stdout"))), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory.file("stderr"))), as: UTF8.self))
    }
}

/// Starts `executable` with `actions` applied to its file descriptors; its pid.
func spawn(_ executable: String, _ arguments: [String], actions: inout posix_spawn_file_actions_t,
           environment: [String: String]?) throws -> pid_t {
    let argv = [executable] + arguments
    let environmentLines = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
    var argvPointers = argv.map { strdup($0) } + [nil]
    var environmentPointers = environmentLines.map { strdup($0) } + [nil]
    defer {
        argvPointers.forEach { free($0) }
        environmentPointers.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = executable.contains("/")
        ? posix_spawn(&pid, executable, &actions, nil, &argvPointers, &environmentPointers)
        : posix_spawnp(&pid, executable, &actions, nil, &argvPointers, &environmentPointers)
    guard spawned == 0 else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: executable])
    }
    return pid
}

/// The exit status of a `waitpid` status word (WIFEXITED / WEXITSTATUS, which Swift does not
/// import); 128 + N for a process killed by signal N, as shells say it.
func exitStatus(_ status: Int32) -> Int32 {
    (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
}

/// A program started in the background, its output appended to a log file, whose exit the
/// test observes (a server under test, stopped by a signal).
public final class BackgroundProcess: @unchecked Sendable {
    /// Immutable after init, hence `@unchecked Sendable`.
    public let pid: pid_t

    public init(_ executable: String, _ arguments: [String], log: String, environment: [String: String]? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        pid = try spawn(executable, arguments, actions: &actions, environment: environment)
    }

    /// Sends `signal`.
    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// The exit status once the process has exited, or nil if it is still running after
    /// `seconds` (then it is killed, so that no test leaves it behind).
    public func exitStatus(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { return TestSupport.exitStatus(status) }
            if waited < 0 && errno != EINTR { return nil }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return nil
    }
}

/// A folder under the system's temporary directory, removed with everything in it when this
/// goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    /// Immutable after init, hence the `@unchecked Sendable`.
    public let path: String

    public init() throws {
        var template = Array((NSTemporaryDirectory() + "/license-test-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(cString: created)
    }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
