import ArgumentParser
import Foundation
import LicenseCore
import LicenseSigning
import LicenseStore

extension Licensectl {
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the database's schema up to date: the migrations it has not applied, then every function and view.",
            discussion: """
                Run as the owner role or a superuser. Each migration (DIR/migrations/NNN_name.sql) runs in its own transaction \
                and is recorded in schema_migrations; then the functions (DIR/functions) and views (DIR/views) are made whole, \
                in one transaction.
                """)

        @Option(help: ArgumentHelp("libpq connection string.", valueName: "CONNINFO"))
        var database: String

        @Option(help: ArgumentHelp("The schema's folder (default: the package's /usr/share/license-server/sql, or sql/ of this checkout).",
                                   valueName: "DIR"))
        var migrations: String?

        func run() throws {
            let directory = try migrations ?? Self.defaultSchemaDirectory()
            func files(_ kind: String) throws -> [Administration.SQLFile] {
                let folder = directory + "/" + kind
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                    throw CommandError("\(folder): no such folder; --migrations names the folder that holds migrations/, functions/ and views/")
                }
                return try names.filter { $0.hasSuffix(".sql") }.sorted().map { name in
                    Administration.SQLFile(name: name, sql: try String(contentsOfFile: folder + "/" + name, encoding: .utf8))
                }
            }
            let schema = Administration.Schema(migrations: try files("migrations"), functions: try files("functions"),
                                               views: try files("views"))
            let migrated = try Administration(conninfo: database).migrate(schema)
            for name in migrated.applied { print("applied \(name)") }
            print(migrated.applied.isEmpty ? "up to date" : "applied \(migrated.applied.count) migration(s)")
            print("made \(migrated.definitions) function and view file(s) whole")
        }

        /// The package's schema (`share/license-server/sql` beside the `bin/` of this licensectl,
        /// so /usr/share/license-server/sql when installed); else sql/ of the current folder, else
        /// of the checkout this licensectl was built in.
        static func defaultSchemaDirectory() throws -> String {
            func isSchema(_ folder: String) -> Bool { FileManager.default.fileExists(atPath: folder + "/migrations") }
            // Started through PATH, arguments[0] is a bare name; the kernel knows the file.
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            let binFolder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
            let installed = binFolder.deletingLastPathComponent().appendingPathComponent("share/license-server/sql").path
            if isSchema(installed) { return installed }
            if isSchema("sql") { return "sql" }
            var folder = binFolder
            for _ in 0..<5 {
                folder.deleteLastPathComponent()
                let candidate = folder.appendingPathComponent("sql").path
                if isSchema(candidate) { return candidate }
            }
            throw CommandError("cannot find the schema (/usr/share/license-server/sql or a checkout's sql/); give it with --migrations DIR")
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
            let purged = try Administration(conninfo: database).purge(olderThan: seconds)
            print("purged \(purged.seats) seat(s) and \(purged.history) history row(s)")
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
                try Administration(conninfo: database).revoke(fingerprint: key.fingerprint, realm: realm)
                print("revoked key \(key.fingerprint) of \(key.id ?? key.fingerprint) in \(realm.map { "realm \($0)" } ?? "every realm")")
            } else if let licenseID {
                try Administration(conninfo: database).revoke(licenseID: licenseID, realm: realm)
                print("revoked \(licenseID) in \(realm.map { "realm \($0)" } ?? "every realm")")
            }
        }
    }
}
