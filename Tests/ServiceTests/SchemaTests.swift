import Foundation
import TestSupport
import Testing

/// The schema's two kinds of files (sql/README.md): numbered migrations of tables and data, and
/// functions and views made whole by every `licensectl migrate`. A database migrated from
/// nothing and one migrated by release 0.4.0 (its migrations, kept in Tests/Fixtures as that
/// release shipped them) then brought up to date must be the same schema, and the upgrade must
/// keep seats and history.
@Suite("The schema: migrations, functions and views", .serialized)
struct SchemaTests {
    let cluster: PostgresCluster
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    init() throws {
        cluster = try PostgresCluster(portOffset: 9)
    }

    private func migrate(_ database: String) throws -> CommandResult {
        try Command.run(BuiltProducts.folder + "/licensectl", ["migrate", "--database", cluster.conninfo(database),
                                                                "--migrations", packageRoot + "/sql"])
    }

    /// Migrates `database` as 0.4.0's `licensectl migrate` did: each file in its own transaction,
    /// recorded in schema_migrations, as license_owner once migration 002 had made that role.
    private func migrateAsRelease040(_ database: String) throws {
        let folder = cluster.directory + "/sql-0.4.0"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let unpacked = try Command.run("tar", ["-xzf", packageRoot + "/Tests/Fixtures/sql-0.4.0.tar.gz", "-C", folder,
                                               "--strip-components=2"])
        try #require(unpacked.status == 0, "tar: \(unpacked.standardError)")
        try cluster.sql(database, """
            CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
                                            applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count == 13)
        for file in files {
            let version = try #require(Int(file.prefix(3)))
            let asOwner = version > 2 ? "GRANT CREATE ON SCHEMA public TO license_owner; SET LOCAL ROLE license_owner;\n" : ""
            try cluster.sql(database, asOwner + (try String(contentsOfFile: folder + "/" + file, encoding: .utf8))
                            + "\n;INSERT INTO schema_migrations (version, name) VALUES (\(version), '\(file)');")
        }
    }

    @Test("a database migrated from nothing and one upgraded from 0.4.0 dump to the same schema")
    func freshAndUpgradedAreTheSame() throws {
        try cluster.createDatabase("fresh")
        try cluster.createDatabase("upgraded")
        let fresh = try migrate("fresh")
        #expect(fresh.status == 0, "\(fresh.standardError)")
        #expect(fresh.standardOutput.contains("applied 013_schema_of_0.4.0.sql"))
        try migrateAsRelease040("upgraded")
        let upgrade = try migrate("upgraded")
        #expect(upgrade.status == 0, "\(upgrade.standardError)")
        #expect(!upgrade.standardOutput.contains("013_"), "0.4.0's database has version 13 and must not run it again")
        let freshSchema = try cluster.schema("fresh")
        let upgradedSchema = try cluster.schema("upgraded")
        let freshLines = freshSchema.split(separator: "\n", omittingEmptySubsequences: false)
        let upgradedLines = upgradedSchema.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDifference = zip(freshLines, upgradedLines).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(freshSchema == upgradedSchema,
                "first difference at line \(firstDifference?.offset ?? min(freshLines.count, upgradedLines.count)): \(firstDifference.map { "\($0.element.0) | \($0.element.1)" } ?? "one dump is longer")")
        // What 0.4.0 defined and no file defines any more is gone.
        #expect(try cluster.sql("upgraded", "SELECT count(*) FROM pg_proc WHERE proname IN ('admit_seat', 'active_lease')") == "0")
        // A second migrate changes nothing.
        let again = try migrate("fresh")
        #expect(again.status == 0 && again.standardOutput.contains("up to date"), "\(again.standardOutput) \(again.standardError)")
        #expect(try cluster.schema("fresh") == freshSchema)
    }

    @Test("the upgrade from 0.4.0 keeps seats and history, and names the base scope base")
    func upgradeKeepsSeatsAndHistory() throws {
        try cluster.createDatabase("kept")
        try migrateAsRelease040("kept")
        try cluster.sql("kept", """
            INSERT INTO licenses (realm, issuer, product, license_id, fingerprint, license_type, key_fields)
                VALUES ('default', 'default', 'X-KEPT', 'K1', '0123456789abcdef', 'floating', 'X-KEPT id=K1 users=5');
            INSERT INTO license_scopes (realm, issuer, product, license_id, scope, users) VALUES
                ('default', 'default', 'X-KEPT', 'K1', '', 5), ('default', 'default', 'X-KEPT', 'K1', 'Vario', 2);
            INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash)
                SELECT 'default', 'default', 'X-KEPT', 'K1', scope, '\\x01', '\\x02', '\\x03' FROM unnest(ARRAY['', 'Vario']) AS scope;
            INSERT INTO usage_days (realm, issuer, product, license_id, scope, day, users, checks)
                VALUES ('default', 'default', 'X-KEPT', 'K1', '', '2026-11-30', 3, 40);
            INSERT INTO usage_months (realm, issuer, product, license_id, scope, month, users)
                VALUES ('default', 'default', 'X-KEPT', 'K1', '', '2026-11-01', 4);
            INSERT INTO denial_days (realm, issuer, product, license_id, day, reason, denials)
                VALUES ('default', 'default', 'X-KEPT', 'K1', '2026-11-30', 'users', 7);
            INSERT INTO revocations (license_id) VALUES ('GONE');
            """)
        let upgrade = try migrate("kept")
        #expect(upgrade.status == 0, "\(upgrade.standardError)")
        #expect(try cluster.sql("kept", "SELECT string_agg(scope, ',' ORDER BY scope) FROM seats WHERE license_id = 'K1'") == "Vario,base")
        #expect(try cluster.sql("kept", "SELECT string_agg(scope || ':' || users, ',' ORDER BY scope) FROM license_scopes") == "Vario:2,base:5")
        #expect(try cluster.sql("kept", "SELECT scope || ' ' || users || ' ' || checks FROM report_usage_by_day WHERE license_id = 'K1'")
                == "base 3 40")
        #expect(try cluster.sql("kept", "SELECT scope || ' ' || users FROM report_usage_by_month WHERE license_id = 'K1'") == "base 4")
        #expect(try cluster.sql("kept", "SELECT reason || ' ' || denials FROM report_denials_by_day WHERE license_id = 'K1'") == "users 7")
        #expect(try cluster.sql("kept", "SELECT revoked FROM license_revoked('default', 'GONE', '0000000000000000')") == "t")
        #expect(try cluster.sql("kept", "SELECT users_active FROM report_usage_now WHERE license_id = 'K1' AND scope = 'base'") == "1")
    }

    @Test("a database migrated by a release before 0.4.0 is refused with a message, and left as it was")
    func olderThanTheBaselineIsRefused() throws {
        try cluster.createDatabase("older")
        try cluster.sql("older", """
            CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO schema_migrations (version, name) VALUES (1, '001_licenses_and_seats.sql');
            """)
        let refused = try migrate("older")
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("before 0.4.0"), "\(refused.standardError)")
        #expect(try cluster.sql("older", "SELECT count(*) FROM pg_tables WHERE tablename = 'seats'") == "0")
    }
}
