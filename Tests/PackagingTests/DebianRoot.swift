import Foundation
import TestSupport

/// A copy of the clean Debian 12 root that `scripts/debian-root.sh` keeps (debootstrap
/// --variant=minbase bookworm), with /proc and /sys mounted as on a booted system, for one
/// install test. Commands run in it through chroot, with a clean environment as systemd and a
/// root login would give them.
final class DebianRoot {
    /// The root's folder on this machine.
    let path: String
    private let packageRoot: String
    private var removed = false

    /// Copies the kept root into a new folder under `parent`.
    init(parent: String, packageRoot: String) throws {
        self.packageRoot = packageRoot
        let made = try Command.run(packageRoot + "/scripts/debian-root.sh", [])
        guard made.status == 0 else { throw PackageTestError("debian-root.sh: \(made.standardError)") }
        let kept = made.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        var template = Array((parent + "/debian-root-XXXXXX").utf8CString)
        guard let folder = mkdtemp(&template) else { throw PackageTestError("cannot make a folder in \(parent)") }
        path = String(cString: folder)
        try Self.require(Command.run("cp", ["-a", kept + "/.", path]), "copy the Debian root")
        chmod(path, 0o755)
        for (type, point) in [("proc", "proc"), ("sysfs", "sys")] {
            try Self.require(Command.run("mount", ["-t", type, type, path + "/" + point]), "mount \(point)")
        }
    }

    /// `inside` (an absolute path in the root) as a path on this machine.
    func file(_ inside: String) -> String { path + inside }

    /// Runs a command in the root, as root, in `folder` of the root.
    @discardableResult
    func run(_ arguments: [String], in folder: String = "/", environment extra: [String: String] = [:]) throws -> CommandResult {
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8",
                           "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"]
        environment.merge(extra) { _, new in new }
        return try Command.run("chroot", [path, "/usr/bin/env", "--chdir=" + folder] + arguments, environment: environment)
    }

    /// Runs a command in the root that must succeed; its standard output.
    @discardableResult
    func mustRun(_ arguments: [String], in folder: String = "/", environment: [String: String] = [:]) throws -> String {
        try Self.require(run(arguments, in: folder, environment: environment), arguments.joined(separator: " ")).standardOutput
    }

    /// Every path in the root (mounted file systems not entered), as piuparts lists them.
    func files() throws -> Set<String> {
        let listed = try Self.require(Command.run("find", [path, "-xdev", "-printf", "%P\\n"]), "list the root")
        return Set(listed.standardOutput.split(separator: "\n").map(String.init))
    }

    /// The numeric user and group IDs of a user of the root (the machine running the test has
    /// no such user).
    func ids(ofUser name: String) throws -> (user: uid_t, group: gid_t) {
        let line = try mustRun(["getent", "passwd", name]).split(separator: ":")
        guard line.count > 3, let user = uid_t(line[2]), let group = gid_t(line[3]) else {
            throw PackageTestError("getent passwd \(name): \(line)")
        }
        return (user, group)
    }

    /// Stops what still runs in the copy, unmounts /proc and /sys and removes it
    /// (`scripts/debian-root.sh remove`, which `make test` also runs after a crash).
    func remove() {
        guard !removed else { return }
        removed = true
        _ = try? Command.run(packageRoot + "/scripts/debian-root.sh", ["remove", path])
    }

    /// The pool as license-server.service and license-server.socket start it: the socket made
    /// by systemd-socket-activate where ListenStream says, with the socket's mode and group; the
    /// service's ExecStart as its User and Group, in the root, with the EnvironmentFile's
    /// settings and nothing else of this process's environment. systemd-socket-activate, like
    /// systemd, starts the pool at the first connection.
    func startPoolAsTheUnitsSay(log: String) throws -> BackgroundProcess {
        let socketUnit = unitSettings(try String(contentsOfFile: file("/lib/systemd/system/license-server.socket"), encoding: .utf8))
        let service = unitSettings(try String(contentsOfFile: file("/lib/systemd/system/license-server.service"), encoding: .utf8))
        guard let listen = socketUnit["ListenStream"], let directoryMode = socketUnit["DirectoryMode"].flatMap({ mode_t($0, radix: 8) }),
              let socketMode = socketUnit["SocketMode"].flatMap({ mode_t($0, radix: 8) }), let groupName = socketUnit["SocketGroup"],
              let socketGroup = getgrnam(groupName)?.pointee.gr_gid,
              let environmentFile = service["EnvironmentFile"], let userName = service["User"], let execStart = service["ExecStart"] else {
            throw PackageTestError("the units lack a setting this start reads: \(socketUnit) \(service)")
        }
        let socket = file(listen)
        let socketFolder = URL(fileURLWithPath: socket).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: socketFolder, withIntermediateDirectories: true)
        chmod(socketFolder, directoryMode)
        unlink(socket)
        let settings = environmentFileSettings(try String(contentsOfFile: file(environmentFile), encoding: .utf8))
        let (user, group) = try ids(ofUser: userName)
        let arguments = ["-l", socket] + settings.sorted { $0.key < $1.key }.flatMap { ["-E", "\($0.key)=\($0.value)"] }
            + ["chroot", "--userspec=\(user):\(group)", path] + execStart.split(separator: " ").map(String.init)
        let pool = try BackgroundProcess("/usr/bin/systemd-socket-activate", arguments, log: log,
                                         environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(50_000) }
        guard chown(socket, uid_t.max, socketGroup) == 0 && chmod(socket, socketMode) == 0 else {
            pool.signal(SIGKILL)
            throw PackageTestError("systemd-socket-activate made no socket at \(socket)")
        }
        return pool
    }

    deinit { remove() }

    @discardableResult
    static func require(_ result: CommandResult, _ what: String) throws -> CommandResult {
        guard result.status == 0 else {
            throw PackageTestError("\(what) exited \(result.status): \(result.standardError)\(result.standardOutput.suffix(2000))")
        }
        return result
    }
}

/// A network namespace of the test's own (`ip netns`), where ports 80 and 443 and PostgreSQL's
/// 5432 are free whatever this machine runs.
final class NetworkNamespace {
    let name: String

    init(name: String) throws {
        self.name = name
        _ = try? Command.run("ip", ["netns", "delete", name])
        try DebianRoot.require(Command.run("ip", ["netns", "add", name]), "ip netns add")
        try DebianRoot.require(Command.run("ip", ["-n", name, "link", "set", "lo", "up"]), "ip link set lo up")
    }

    /// `arguments`, run in the namespace.
    func run(_ arguments: [String], environment: [String: String]? = nil) throws -> CommandResult {
        try Command.run("ip", ["netns", "exec", name] + arguments, environment: environment)
    }

    deinit { _ = try? Command.run("ip", ["netns", "delete", name]) }
}

/// A systemd unit file's settings, `Key=value` by key (the last one wins, as for the keys read here).
func unitSettings(_ text: String) -> [String: String] {
    var settings: [String: String] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("[") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        settings[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return settings
}

/// The variables an `EnvironmentFile=` sets, read as systemd reads one: `KEY=value` lines,
/// comments and blank lines skipped, one pair of surrounding quotes taken off.
func environmentFileSettings(_ text: String) -> [String: String] {
    var settings: [String: String] = [:]
    for line in text.split(separator: "\n") {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";"), let equals = trimmed.firstIndex(of: "=") else { continue }
        var value = String(trimmed[trimmed.index(after: equals)...])
        if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
            value = String(value.dropFirst().dropLast())
        }
        settings[String(trimmed[..<equals])] = value
    }
    return settings
}

struct PackageTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
