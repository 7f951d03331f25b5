import Foundation

/// A private PostgreSQL cluster of its own, without the rest of the service: for the tests of
/// the schema itself. Laid out as `scripts/stack.sh` lays out a stack's (DIR/pg/data), under the
/// folder `make test` made for this run, so that a crashed run's cluster is stopped there too.
public final class PostgresCluster: @unchecked Sendable {
    /// Immutable after start, hence `@unchecked Sendable`.
    public let directory: String
    public let port: Int
    private let binaries: String

    public init(portOffset: Int) throws {
        port = 20_000 + Int(getpid() % 2000) * 10 + portOffset
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let newest = versions.compactMap(Int.init).max() else { throw StackError("no PostgreSQL in /usr/lib/postgresql") }
        binaries = "/usr/lib/postgresql/\(newest)/bin"
        let parent = ProcessInfo.processInfo.environment["LICENSE_TEST_STACKS"] ?? "/tmp"
        var template = Array((parent + "/license-stack-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw StackError("cannot make a folder in \(parent)") }
        directory = String(cString: made)
        chmod(directory, 0o755)
        try FileManager.default.createDirectory(atPath: directory + "/pg", withIntermediateDirectories: true)
        try require(Command.run("chown", ["postgres:postgres", directory + "/pg"]), "chown")
        try require(asPostgres("initdb", ["-D", directory + "/pg/data", "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]),
                    "initdb")
        try require(asPostgres("pg_ctl", ["-D", directory + "/pg/data", "-l", directory + "/pg/postgres.log", "-w", "-t", "30",
                                          "-o", "-c listen_addresses='' -c unix_socket_directories='\(directory)/pg' -c port=\(port)",
                                          "start"]), "pg_ctl start")
    }

    deinit {
        _ = try? asPostgres("pg_ctl", ["-D", directory + "/pg/data", "-m", "immediate", "-w", "stop"])
    }

    /// The libpq connection string of `database` as the superuser.
    public func conninfo(_ database: String) -> String {
        "host=\(directory)/pg port=\(port) dbname=\(database) user=postgres"
    }

    public func createDatabase(_ name: String) throws {
        try require(asPostgres("createdb", ["-h", directory + "/pg", "-p", String(port), name]), "createdb")
    }

    /// SQL through psql as the superuser, in one transaction; the output unaligned, one row a line.
    @discardableResult
    public func sql(_ database: String, _ statement: String) throws -> String {
        let result = try asPostgres("psql", ["-h", directory + "/pg", "-p", String(port), "-d", database, "-XAtq", "-1",
                                             "-v", "ON_ERROR_STOP=1", "-c", statement])
        try require(result, "psql")
        return result.standardOutput.trimmingCharacters(in: .newlines)
    }

    /// `pg_dump --schema-only` of `database`, without the lines that differ at every dump.
    public func schema(_ database: String) throws -> String {
        let result = try asPostgres("pg_dump", ["-h", directory + "/pg", "-p", String(port), "--schema-only", database])
        try require(result, "pg_dump")
        return result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
    }

    private func asPostgres(_ program: String, _ arguments: [String]) throws -> CommandResult {
        try Command.run("runuser", ["-u", "postgres", "--", binaries + "/" + program] + arguments)
    }

    private func require(_ result: CommandResult, _ what: String) throws {
        guard result.status == 0 else { throw StackError("\(what): \(result.standardError)") }
    }
}
