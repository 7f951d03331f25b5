import Foundation
import HTTPSClient
import Synchronization

/// The whole service (PostgreSQL, the worker pool, nginx over TLS) started by
/// `scripts/stack.sh` in a temporary folder, exactly as `make run` starts it, for the tests
/// that go through HTTPS. Stopped at exit; `make test` also stops any stack a crashed test
/// run left behind.
public final class ServiceStack: @unchecked Sendable {
    /// Immutable after start, hence `@unchecked Sendable`.
    public let directory: String
    public let httpsPort: Int
    public let pgPort: Int
    /// nginx's metrics server block (plain HTTP on 127.0.0.1).
    public let metricsPort: Int
    public let packageRoot: String
    public let binaries: String

    nonisolated(unsafe) private static var started: [ServiceStack] = []
    /// The pools' instance lease (SPEC §8).
    public static let instanceLease = "6s"

    /// Starts a stack; `realms` maps server names to realms, as in nginx; `issuerFolders` are
    /// realms of their own issuers, `defaultRealmIssuers` more issuers the default realm trusts.
    public init(realms: [String: String], issuerFolders: [String], defaultRealmIssuers: [String] = [], portOffset: Int) throws {
        packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        binaries = BuiltProducts.folder
        let base = 20_000 + Int(getpid() % 2000) * 10 + portOffset
        httpsPort = base
        pgPort = base + 1
        metricsPort = base + 3
        // Under the folder `make test` made for this run, so that it stops this run's stacks only.
        let parent = ProcessInfo.processInfo.environment["LICENSE_TEST_STACKS"] ?? "/tmp"
        var template = Array((parent + "/license-stack-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw StackError("cannot make a folder in \(parent)") }
        directory = String(cString: made)
        // Realm folders first, so that the stack's default issuer key lands beside them.
        for realm in issuerFolders {
            let result = try Command.run(binaries + "/licensectl", ["keygen", "--out", directory + "/issuers/" + realm])
            guard result.status == 0 else { throw StackError("keygen: \(result.standardError)") }
        }
        for issuer in defaultRealmIssuers {
            let result = try Command.run(binaries + "/licensectl", ["keygen", "--out", directory + "/issuers", "--name", issuer])
            guard result.status == 0 else { throw StackError("keygen: \(result.standardError)") }
        }
        let start = try Command.run(packageRoot + "/scripts/stack.sh", ["start", directory], environment: environment(realms))
        ServiceStack.started.append(self)
        if ServiceStack.started.count == 1 { atexit { ServiceStack.started.forEach { $0.stopAtExit() } } }
        guard start.status == 0 else {
            throw StackError("stack.sh start failed: \(start.standardError)\n\(start.standardOutput)")
        }
    }

    private func environment(_ realms: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HTTPS_PORT"] = String(httpsPort)
        environment["HTTP_PORT"] = String(httpsPort + 2)
        environment["PG_PORT"] = String(pgPort)
        environment["METRICS_PORT"] = String(metricsPort)
        environment["RATE"] = "10000"
        environment["WORKERS"] = "8"
        // Heartbeats every 2 s (a third of it), so that licensectl run's tests see them.
        environment["INSTANCE_LEASE"] = ServiceStack.instanceLease
        environment["LOG_LEVEL"] = "debug"
        environment["BIN"] = binaries
        environment["REALMS"] = realms.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        return environment
    }

    /// Runs a `scripts/stack.sh` command (`pg-stop`, `pg-start`, `pool-stop`, `pool-start`, `stop`).
    @discardableResult
    public func stack(_ command: String) throws -> CommandResult {
        try Command.run(packageRoot + "/scripts/stack.sh", [command, directory], environment: environment([:]))
    }

    /// Replaces the stack's pool by one that is this process's child, so that a test sees how
    /// it exits; `stack("pool-start")` brings the usual one back.
    public func foregroundPool() throws -> BackgroundProcess {
        try stack("pool-stop")
        let socket = directory + "/fcgi.sock"
        let pool = try BackgroundProcess(packageRoot + "/scripts/stack.sh", ["pool-foreground", directory],
                                         log: directory + "/log/license-server.log", environment: environment([:]))
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(100_000) }
        guard FileManager.default.fileExists(atPath: socket) else { throw StackError("the pool did not start") }
        return pool
    }

    public func stop() {
        _ = try? stack("stop")
    }

    /// `stop()` without Foundation's Process, whose run loop no longer turns while the
    /// process exits.
    private func stopAtExit() {
        let arguments = [packageRoot + "/scripts/stack.sh", "stop", directory]
        var pointers = arguments.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], nil, nil, &pointers, environ) == 0 else { return }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// SQL through psql as the database owner; the output unaligned, one row a line.
    public func sql(_ statement: String) throws -> String {
        let result = try Command.run("runuser", ["-u", "postgres", "--", "psql", "-h", directory + "/pg", "-p", String(pgPort),
                                                 "-d", "license", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement])
        guard result.status == 0 else { throw StackError("psql: \(result.standardError)") }
        return result.standardOutput.trimmingCharacters(in: .newlines)
    }

    /// The licensectl built with the tests.
    public func licensectl(_ arguments: [String]) throws -> CommandResult {
        try Command.run(binaries + "/licensectl", arguments)
    }

    /// An HTTPS request through nginx with curl, to `host` (resolved to 127.0.0.1).
    public func request(_ path: String, host: String = "localhost", method: String = "GET", body: Data? = nil,
                        headers: [String] = []) throws -> HTTPAnswer {
        // In this process, over TLS to the same nginx, where the request needs nothing of curl's:
        // a process less per request. Other names (resolved by curl to 127.0.0.1) and a Host of
        // the test's own go through curl.
        if host == "localhost" && !headers.contains(where: { $0.lowercased().hasPrefix("host:") }) {
            return inProcess(path, method: method, body: body, headers: headers)
        }
        var arguments = ["-sS", "--max-time", "15", "--cacert", directory + "/tls/localhost.pem",
                         "--resolve", "\(host):\(httpsPort):127.0.0.1", "-X", method, "-D", "-", "-o", "-"]
        for header in headers { arguments += ["-H", header] }
        if body != nil { arguments += ["--data-binary", "@-"] }
        arguments.append("https://\(host):\(httpsPort)\(path)")
        let result = try Command.run("curl", arguments, input: body)
        return HTTPAnswer(curlOutput: result.standardOutput, error: result.standardError, exitCode: result.status)
    }
}

extension ServiceStack {
    /// One request with the project's own HTTPS client (HTTP/1.1, the stack's certificate trusted).
    private func inProcess(_ path: String, method: String, body: Data?, headers: [String]) -> HTTPAnswer {
        let pairs = headers.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        do {
            let client = HTTPSClient(context: try tlsContext(), timeout: .seconds(15))
            let answer = try client.send(method: method, host: "localhost", port: httpsPort, path: path, headers: pairs,
                                         body: body.map(Array.init) ?? [])
            return HTTPAnswer(status: answer.status, headers: Dictionary(answer.headers.map { ($0.name, $0.value) },
                                                                         uniquingKeysWith: { first, _ in first }),
                              body: String(decoding: answer.body, as: UTF8.self), curlError: "")
        } catch {
            return HTTPAnswer(status: 0, headers: [:], body: "", curlError: "\(error)")
        }
    }

    /// The TLS context that trusts this stack's certificate, made once.
    private func tlsContext() throws -> TLSContext {
        try contexts.withLock { contexts in
            if let made = contexts[directory] { return made }
            let made = try TLSContext(caFile: directory + "/tls/localhost.pem")
            contexts[directory] = made
            return made
        }
    }
}

/// The stacks' TLS contexts, by stack folder.
private let contexts = Mutex<[String: TLSContext]>([:])

/// An HTTP answer as curl printed it (`-D -`: the headers, then the body).
public struct HTTPAnswer: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: String
    public let curlError: String

    init(status: Int, headers: [String: String], body: String, curlError: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.curlError = curlError
    }

    /// Reads what `curl -D - -o -` printed (the headers, then the body).
    public init(curlOutput: String, error: String, exitCode: Int32) {
        curlError = exitCode == 0 ? "" : error
        guard let separator = curlOutput.range(of: "\r\n\r\n") else {
            status = 0
            headers = [:]
            body = curlOutput
            return
        }
        let head = curlOutput[..<separator.lowerBound].split(separator: "\r\n")
        status = head.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        body = String(curlOutput[separator.upperBound...])
    }
}

public struct StackError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
