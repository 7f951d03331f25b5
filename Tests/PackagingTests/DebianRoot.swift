import Foundation
import TestSupport

/// A copy of the clean Debian 12 root that `scripts/debian-root.sh` keeps (debootstrap
/// --variant=minbase bookworm), with /proc and /sys mounted as on a booted system, for one
/// install test. Commands run in it through chroot, with a clean environment as systemd and a
/// root login would give them.
final class DebianRoot {
    /// The root's folder on this machine.
    let path: String
    private var mounted: [String] = []

    /// Copies the kept root into a new folder under `parent`.
    init(parent: String, packageRoot: String) throws {
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
            mounted.append(path + "/" + point)
        }
    }

    /// `inside` (an absolute path in the root) as a path on this machine.
    func file(_ inside: String) -> String { path + inside }

    /// Runs a command in the root, as root.
    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> CommandResult {
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8",
                           "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"]
        environment.merge(extra) { _, new in new }
        return try Command.run("chroot", [path] + arguments, environment: environment)
    }

    /// Runs a command in the root that must succeed; its standard output.
    @discardableResult
    func mustRun(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        try Self.require(run(arguments, environment: environment), arguments.joined(separator: " ")).standardOutput
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

    /// Unmounts /proc and /sys, then removes the copy; a mount left behind would send the
    /// removal into the machine's own /proc and /sys.
    func remove() {
        for point in mounted.reversed() { _ = try? Command.run("umount", ["-l", point]) }
        mounted.removeAll()
        let stillMounted = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8))?
            .split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first?.hasPrefix(path + "/") == true } ?? true
        if !stillMounted { _ = try? Command.run("rm", ["-rf", path]) }
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
