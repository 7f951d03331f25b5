import Postgres
import StoreBoundary

/// The SQL of `licensectl`'s database commands: the schema, revocations and purges. Run as the
/// owner role (or a superuser), one command at a time.
public final class Administration {
    let connection: PostgresConnection

    public init(conninfo: String) throws(StoreError) {
        connection = try StoreError.translating { () throws(PostgresError) in try PostgresConnection(conninfo: conninfo) }
    }

    /// An SQL file: its name and text.
    public struct SQLFile: Sendable {
        public let name: String
        public let sql: String

        public init(name: String, sql: String) {
            self.name = name
            self.sql = sql
        }

        /// A migration's number: the digits its name starts with.
        var version: Int? { Int(name.prefix { $0.isNumber }) }
    }

    /// The schema in its two kinds of files (sql/README.md): numbered migrations of tables and
    /// data, applied once each in order; functions and views, made whole at every migrate.
    public struct Schema: Sendable {
        public let migrations: [SQLFile]
        public let functions: [SQLFile]
        public let views: [SQLFile]

        public init(migrations: [SQLFile], functions: [SQLFile], views: [SQLFile]) {
            self.migrations = migrations
            self.functions = functions
            self.views = views
        }
    }

    /// What a migrate did.
    public struct Migrated: Sendable {
        /// The migrations applied, by name.
        public var applied: [String] = []
        /// How many functions and views files were applied.
        public var definitions = 0
    }

    /// Applies the migrations the database has not applied yet, in order, each in its own
    /// transaction; then, in one transaction, drops every function and view license_owner owns
    /// and makes them again from `schema`'s files, so that the database holds exactly what the
    /// files say (a function no file defines any more is gone). Concurrent migrators wait for
    /// one another.
    public func migrate(_ schema: Schema) throws(StoreError) -> Migrated {
        try StoreError.translating { () throws(PostgresError) in try applying(schema) }
    }

    private func applying(_ schema: Schema) throws(PostgresError) -> Migrated {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var migrated = Migrated()
        let numbered = schema.migrations.compactMap { file in file.version.map { ($0, file) } }.sorted { $0.0 < $1.0 }
        for (version, migration) in numbered {
            let done = try connection.transaction { () throws(PostgresError) -> Bool in
                try lockAndBecomeOwner()
                let seen = try connection.execute("SELECT 1 FROM schema_migrations WHERE version = $1", [.integer(version)])
                if !seen.isEmpty { return false }
                try connection.execute(migration.sql)
                try connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                       [.integer(version), .text(migration.name)])
                return true
            }
            if done { migrated.applied.append(migration.name) }
        }
        try connection.transaction { () throws(PostgresError) in
            try lockAndBecomeOwner()
            // pg_dump's way: a function's body may name one made by a later file.
            try connection.execute("SET LOCAL check_function_bodies = off")
            try connection.execute("""
                DO $$
                DECLARE
                    doomed text;
                BEGIN
                    SELECT string_agg(format('%I.%I', schemaname, viewname), ', ') INTO doomed
                    FROM pg_views WHERE schemaname = current_schema() AND viewowner = 'license_owner';
                    IF doomed IS NOT NULL THEN EXECUTE 'DROP VIEW ' || doomed; END IF;
                    -- Functions of extensions (pgcrypto for make bench) are the extension's, not ours.
                    SELECT string_agg(p.oid::regprocedure::text, ', ') INTO doomed
                    FROM pg_proc p
                    WHERE p.pronamespace = current_schema()::regnamespace AND p.proowner = 'license_owner'::regrole
                      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                                                AND d.deptype = 'e');
                    IF doomed IS NOT NULL THEN EXECUTE 'DROP ROUTINE ' || doomed; END IF;
                END
                $$
                """)
            for file in schema.functions.sorted(by: { $0.name < $1.name }) + schema.views.sorted(by: { $0.name < $1.name }) {
                try connection.execute(file.sql)
                migrated.definitions += 1
            }
        }
        return migrated
    }

    /// One migrator at a time: a second waits, then finds the work done. Objects belong to the
    /// owner role once the first migration has made `schema_migrations` its own; roles are the
    /// cluster's, so the role alone says nothing (another database of the cluster may have made it).
    private func lockAndBecomeOwner() throws(PostgresError) {
        try connection.execute("SELECT pg_advisory_xact_lock(7242)")
        let owned = try connection.execute("""
            SELECT 1 FROM pg_tables t JOIN pg_roles r ON r.rolname = t.tableowner
            WHERE t.schemaname = current_schema() AND t.tablename = 'schema_migrations'
              AND r.rolname = 'license_owner' AND pg_has_role(current_user, r.oid, 'MEMBER')
            """)
        if !owned.isEmpty {
            // Since PostgreSQL 15 only the database owner creates in schema public.
            try connection.execute("GRANT CREATE ON SCHEMA public TO license_owner")
            try connection.execute("SET LOCAL ROLE license_owner")
        }
    }

    /// Revokes every license of `licenseID` in `realm` (nil: every realm), whatever its issuer or product.
    public func revoke(licenseID: String, realm: String?) throws(StoreError) {
        try run("""
            INSERT INTO revocations (realm, license_id) VALUES ($1, $2)
            ON CONFLICT (license_id, coalesce(realm, '')) DO NOTHING
            """, [.text(realm), .text(licenseID)])
    }

    /// Revokes the one key of `fingerprint` in `realm` (nil: every realm).
    public func revoke(fingerprint: String, realm: String?) throws(StoreError) {
        try run("""
            INSERT INTO revocations (realm, fingerprint) VALUES ($1, $2)
            ON CONFLICT (fingerprint, coalesce(realm, '')) WHERE fingerprint IS NOT NULL DO NOTHING
            """, [.text(realm), .text(fingerprint)])
    }

    /// Seats removed and history rows removed by a purge.
    public struct Purged: Sendable, Equatable {
        public var seats = 0
        public var history = 0
    }

    /// Rolls the current day up, then removes lapsed seats and history older than `ageSeconds`,
    /// `batch` rows per transaction, so that it never holds many row locks while pools serve.
    public func purge(olderThan ageSeconds: Int, batch: Int = 20_000) throws(StoreError) -> Purged {
        var purged = Purged()
        try run("SELECT record_usage(now())", [])
        while true {
            let removed = try removedCount(try run("SELECT purge_lapsed_seats($1) AS removed", [.integer(batch)]))
            purged.seats += removed
            if removed == 0 { break }
        }
        while true {
            let removed = try removedCount(try run("SELECT purge_history($1::interval, $2) AS removed",
                                                   [.text("\(ageSeconds) seconds"), .integer(batch)]))
            purged.history += removed
            if removed == 0 { break }
        }
        return purged
    }

    @discardableResult
    func run(_ sql: String, _ parameters: [PostgresValue]) throws(StoreError) -> PostgresRows {
        try StoreError.translating { () throws(PostgresError) in try connection.execute(sql, parameters) }
    }

    private func removedCount(_ rows: PostgresRows) throws(StoreError) -> Int {
        try StoreError.translating { () throws(PostgresError) in Int(try rows.single().integer("removed")) }
    }
}
