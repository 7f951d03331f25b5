import Foundation
import Synchronization
import TestSupport

/// `scripts/topology.sh`: db1 (primary), db2 (synchronous standby), app1 and app2 (a pool each,
/// over TCP) in network namespaces of their own; nginx in this one, upstream of both pools.
final class Topology: @unchecked Sendable {
    private static let started = Atomic<Int>(0)
    /// Immutable after start, hence `@unchecked Sendable`.
    let directory: String
    let httpsPort: Int
    let packageRoot: String
    let binaries = BuiltProducts.folder

    /// Whether this machine can make the topology: root, with `ip` (network namespaces).
    static var isAvailable: Bool {
        getuid() == 0 && ["/usr/sbin/ip", "/sbin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init() throws {
        packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        // Ports of their own for each topology of this run (three each), so that one never waits
        // for the ports of the one before it; below the 20 000s, where the other suites' stacks are.
        httpsPort = 10_000 + Int(getpid() % 600) * 15 + 3 * Topology.started.add(1, ordering: .relaxed).oldValue
        // Under the folder `make test` made for this run, which stops what a crashed run left.
        let parent = ProcessInfo.processInfo.environment["LICENSE_TEST_STACKS"] ?? "/tmp"
        var template = Array((parent + "/license-topology-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TopologyError("cannot make a folder in \(parent)") }
        directory = String(cString: made)
        let up = try script(["up", directory])
        guard up.status == 0 else {
            _ = try? script(["down", directory])
            throw TopologyError("topology.sh up failed: \(up.standardError)\n\(up.standardOutput)")
        }
    }

    /// Stops and removes everything the topology made.
    func down() {
        _ = try? script(["down", directory])
    }

    /// Runs a command of topology.sh; throws when it fails.
    @discardableResult
    func run(_ command: String, _ host: String? = nil, _ extra: [String] = []) throws -> String {
        let arguments = [command] + (host.map { [$0] } ?? []) + [directory] + extra
        let result = try script(arguments)
        guard result.status == 0 else { throw TopologyError("topology.sh \(arguments.joined(separator: " ")): \(result.standardError)") }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One SQL statement as postgres on `host` (db1 or db2); its rows as psql prints them unaligned.
    func sql(_ host: String, _ statement: String) throws -> String {
        try run("sql", host, [statement])
    }

    /// `licensectl` with the arguments.
    func licensectl(_ arguments: [String]) throws -> CommandResult {
        try Command.run(binaries + "/licensectl", arguments)
    }

    /// A key issued by the topology's issuer.
    func issue(_ fields: [String]) throws -> String {
        let result = try licensectl(["issue", "--signing-key", directory + "/issuers/default.key", "--", "X-FAILOVER"] + fields)
        guard result.status == 0 else { throw TopologyError("issue: \(result.standardError)") }
        return result.standardOutput.trimmingCharacters(in: .newlines)
    }

    /// The address of a host of the topology (`root` is nginx's and the clients').
    func address(of host: String) throws -> String {
        let line = try run("show").split(separator: "\n").first { $0.hasPrefix(host + " ") }
        guard let address = line?.split(separator: " ").dropFirst().first else { throw TopologyError("no host \(host)") }
        return String(address)
    }

    /// How many lines of the pool's log on `host` contain `text`.
    func poolLogLines(_ host: String, containing text: String) -> Int {
        let log = (try? String(contentsOfFile: directory + "/log/\(host).log", encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { $0.contains(text) }.count
    }

    var caFile: String { directory + "/nginx-stack/tls/localhost.pem" }

    private func script(_ arguments: [String]) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["HTTPS_PORT"] = String(httpsPort)
        environment["BIN"] = binaries
        environment["LOG_LEVEL"] = "debug"
        return try Command.run(packageRoot + "/scripts/topology.sh", arguments, environment: environment)
    }
}

struct TopologyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
