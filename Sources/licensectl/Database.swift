import ArgumentParser
import Foundation
import LicenseCore
import LicenseSigning
import Postgres

extension Licensectl {
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the SQL migrations (sql/NNN_name.sql) that the database has not applied yet.",
            discussion: "Run as the owner role. Each migration runs in its own transaction and is recorded in schema_migrations.")

        @Option(help: ArgumentHelp("libpq connection string.", valueName: "CONNINFO"))
        var database: String

        @Option(help: ArgumentHelp("The migrations folder (default: sql/ of this checkout).", valueName: "DIR"))
        var migrations: String?

        func run() throws {
            let directory = try migrations ?? Self.defaultMigrationsDirectory()
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".sql") && $0.prefix(3).allSatisfy(\.isNumber) }
                .sorted()
            let connection = try PostgresConnection(conninfo: database)
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
            var applied = 0
            for file in files {
                let version = Int(file.prefix(3))!
                let sql = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
                let done = try connection.transaction { () throws -> Bool in
                    // One migrator at a time; a second waits, then finds the work done.
                    try connection.execute("SELECT pg_advisory_xact_lock(7242)")
                    let seen = try connection.execute("SELECT 1 FROM schema_migrations WHERE version = $1", [String(version)])
                    if !seen.rows.isEmpty { return false }
                    // Objects belong to the owner role once a migration of this database has made
                    // them its own (002). Roles are the cluster's, so the role alone says nothing:
                    // another database of the cluster may have made it.
                    let owner = try connection.execute("""
                        SELECT 1 FROM pg_tables t JOIN pg_roles r ON r.rolname = t.tableowner
                        WHERE t.schemaname = current_schema() AND t.tablename = 'schema_migrations'
                          AND r.rolname = 'license_owner' AND pg_has_role(current_user, r.oid, 'MEMBER')
                        """)
                    if !owner.rows.isEmpty {
                        // Since PostgreSQL 15 only the database owner creates in schema public.
                        try connection.execute("GRANT CREATE ON SCHEMA public TO license_owner")
                        try connection.execute("SET LOCAL ROLE license_owner")
                    }
                    try connection.execute(sql)
                    try connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(version), file])
                    return true
                }
                if done {
                    print("applied \(file)")
                    applied += 1
                }
            }
            print(applied == 0 ? "up to date" : "applied \(applied) migration(s)")
        }

        /// sql/ of the current folder, else of the checkout this licensectl was built in.
        static func defaultMigrationsDirectory() throws -> String {
            if FileManager.default.fileExists(atPath: "sql/001_licenses_and_seats.sql") { return "sql" }
            var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<5 {
                folder.deleteLastPathComponent()
                let candidate = folder.appendingPathComponent("sql").path
                if FileManager.default.fileExists(atPath: candidate + "/001_licenses_and_seats.sql") { return candidate }
            }
            throw CommandError("cannot find the sql/ folder; give it with --migrations DIR")
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove expired seats and usage history older than --older-than; never an active seat.",
            discussion: """
                Safe from cron while the pool serves: seats go in batches, and only when they are past the lease and \
                not needed for this month's distinct counts; the current day and month are rolled up first.
                """)

        @Option(help: ArgumentHelp("libpq connection string.", valueName: "CONNINFO"))
        var database: String

        @Option(name: .customLong("older-than"), help: ArgumentHelp("History older than this goes (default 400d).", valueName: "DURATION"))
        var olderThan: String = "400d"

        func run() throws {
            guard let seconds = DurationText.seconds(olderThan) else {
                throw ValidationError("--older-than must be a number and a unit: 90s, 15m, 24h, 400d")
            }
            let connection = try PostgresConnection(conninfo: database)
            let result = try connection.execute("SELECT seats, history FROM purge_usage($1::interval)", ["\(seconds) seconds"])
            print("purged \(try result[0, "seats"] ?? "0") seat(s) and \(try result[0, "history"] ?? "0") history row(s)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a license, or one key of it, in one realm or in every realm; refused from the next check on.",
            discussion: """
                LICENSE_ID revokes every license of that id (whatever its issuer or product). --key-file revokes only \
                that key, by its fingerprint: the license's other keys (a re-issued one) keep working.
                """)

        @Option(help: ArgumentHelp("libpq connection string.", valueName: "CONNINFO"))
        var database: String

        @Option(help: ArgumentHelp("The realm (default: every realm).", valueName: "NAME"))
        var realm: String?

        @Option(name: .customLong("key-file"), help: ArgumentHelp("Revoke only this key.", valueName: "F"))
        var keyFile: String?

        @Argument(help: ArgumentHelp("The license's id= field, or its fingerprint.", valueName: "LICENSE_ID"))
        var licenseID: String?

        func validate() throws {
            guard (licenseID == nil) != (keyFile == nil) else {
                throw ValidationError("give either LICENSE_ID or --key-file F")
            }
        }

        func run() throws {
            if let keyFile {
                let key: LicenseKey
                do {
                    key = try LicenseKey(parsing: try readKeyLine(keyFile))
                } catch let error as LicenseKeyError {
                    throw CommandError("\(keyFile): \(error)")
                }
                let connection = try PostgresConnection(conninfo: database)
                try connection.execute("""
                    INSERT INTO revocations (realm, fingerprint) VALUES ($1, $2)
                    ON CONFLICT (fingerprint, coalesce(realm, '')) WHERE fingerprint IS NOT NULL DO NOTHING
                    """, [realm, key.fingerprint])
                print("revoked key \(key.fingerprint) of \(key.id ?? key.fingerprint) in \(realm.map { "realm \($0)" } ?? "every realm")")
            } else if let licenseID {
                let connection = try PostgresConnection(conninfo: database)
                try connection.execute("""
                    INSERT INTO revocations (realm, license_id) VALUES ($1, $2)
                    ON CONFLICT (license_id, coalesce(realm, '')) DO NOTHING
                    """, [realm, licenseID])
                print("revoked \(licenseID) in \(realm.map { "realm \($0)" } ?? "every realm")")
            }
        }
    }
}
