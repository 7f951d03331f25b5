import Postgres

/// The SQL of `licensectl`'s database commands: migrations, revocations and purges. Run as
/// the owner role (or a superuser), one command at a time.
public final class Administration {
    private let connection: PostgresConnection

    public init(conninfo: String) throws(PostgresError) {
        connection = try PostgresConnection(conninfo: conninfo)
    }

    /// A migration file: its number, name and SQL.
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    /// Applies the migrations the database has not applied yet, in order, each in its own
    /// transaction; returns the names applied. Concurrent migrators wait for one another.
    public func migrate(_ migrations: [Migration]) throws -> [String] {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var applied: [String] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let done = try connection.transaction { () throws -> Bool in
                // One migrator at a time; a second waits, then finds the work done.
                try connection.execute("SELECT pg_advisory_xact_lock(7242)")
                let seen = try connection.execute("SELECT 1 FROM schema_migrations WHERE version = $1", [String(migration.version)])
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
                try connection.execute(migration.sql)
                try connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                       [String(migration.version), migration.name])
                return true
            }
            if done { applied.append(migration.name) }
        }
        return applied
    }

    /// Revokes every license of `licenseID` in `realm` (nil: every realm), whatever its issuer or product.
    public func revoke(licenseID: String, realm: String?) throws {
        try connection.execute("""
            INSERT INTO revocations (realm, license_id) VALUES ($1, $2)
            ON CONFLICT (license_id, coalesce(realm, '')) DO NOTHING
            """, [realm, licenseID])
    }

    /// Revokes the one key of `fingerprint` in `realm` (nil: every realm).
    public func revoke(fingerprint: String, realm: String?) throws {
        try connection.execute("""
            INSERT INTO revocations (realm, fingerprint) VALUES ($1, $2)
            ON CONFLICT (fingerprint, coalesce(realm, '')) WHERE fingerprint IS NOT NULL DO NOTHING
            """, [realm, fingerprint])
    }

    /// Seats removed and history rows removed by a purge.
    public struct Purged: Sendable, Equatable {
        public var seats = 0
        public var history = 0
    }

    /// Rolls the current day up, then removes lapsed seats and history older than `ageSeconds`,
    /// `batch` rows per transaction, so that it never holds many row locks while pools serve.
    public func purge(olderThan ageSeconds: Int, batch: Int = 20_000) throws -> Purged {
        var purged = Purged()
        try connection.execute("SELECT record_usage(now())")
        while true {
            let removed = try Self.count(try connection.execute("SELECT purge_lapsed_seats($1) AS removed", [String(batch)]))
            purged.seats += removed
            if removed == 0 { break }
        }
        while true {
            let removed = try Self.count(try connection.execute("SELECT purge_history($1::interval, $2) AS removed",
                                                                ["\(ageSeconds) seconds", String(batch)]))
            purged.history += removed
            if removed == 0 { break }
        }
        return purged
    }

    private static func count(_ rows: PostgresRows) throws -> Int {
        guard let text = try rows[0, "removed"], let count = Int(text) else {
            throw PostgresError(code: nil, kind: .fault, message: "a purge function answered no count")
        }
        return count
    }
}
