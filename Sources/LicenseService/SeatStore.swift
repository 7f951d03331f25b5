import LicenseCore
import LicenseSigning
import Postgres

/// A seat request: who asks for which scopes of which license (SPEC §4 rule 9). IDs are
/// already hashed; the store never sees a raw one.
public struct SeatRequest: Sendable {
    public let realm: String
    public let licenseID: String
    /// The base product (`""`) and each requested option, with their limits.
    public let scopes: [(name: String, limits: LicenseTerms.Limits)]
    public let userHash: String
    public let instanceHash: String
    public let computerHash: String

    public init(realm: String, licenseID: String, scopes: [(name: String, limits: LicenseTerms.Limits)],
                userHash: String, instanceHash: String, computerHash: String) {
        self.realm = realm
        self.licenseID = licenseID
        self.scopes = scopes
        self.userHash = userHash
        self.instanceHash = instanceHash
        self.computerHash = computerHash
    }
}

/// An admission found no row for its license (the database was reset or the row deleted
/// while this pool remembered having registered it): register again, then retry.
public struct LicenseNotRegistered: Error {}

/// `admit_seat` answered something it never answers: the database's migrations and this pool
/// disagree. The check answers 503 and the log names the outcome.
public struct UnexpectedAdmission: Error, CustomStringConvertible {
    public let outcome: String
    public var description: String { "admit_seat answered \(outcome); are the migrations applied?" }
}

/// What became of a seat request.
public enum SeatOutcome: Equatable, Sendable {
    /// The seat is active: refreshed, or admitted.
    case seated
    /// The license is revoked in this realm (rule 3).
    case revoked
    /// A scope has no room: the limit's reason and the scope's name.
    case refused(CheckReason, scope: String)
}

/// Active seats of one scope, as the JSON answer shows them.
public struct ScopeUsage: Equatable, Sendable {
    public var rights = 0
    public var users = 0
    public var hosts = 0
}

/// Licenses and seats in PostgreSQL, through one worker's connection and its prepared
/// statements. Not `Sendable`: one per worker thread.
public final class SeatStore {
    /// The base product's scope name in the database; options are named as in the key.
    public static let baseScope = ""

    private let connection: PostgresConnection
    private let leaseSeconds: Int

    private static let statements: [String: String] = [
        "health": "SELECT 1",
        "register_license": """
            INSERT INTO licenses (realm, license_id, fingerprint, product, licensee, license_type, issuer, key_fields,
                                  valid_from, valid_until, maintenance_from, maintenance_until)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (realm, license_id) DO UPDATE SET
                fingerprint = EXCLUDED.fingerprint, product = EXCLUDED.product, licensee = EXCLUDED.licensee,
                license_type = EXCLUDED.license_type, issuer = EXCLUDED.issuer, key_fields = EXCLUDED.key_fields,
                valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
                maintenance_from = EXCLUDED.maintenance_from, maintenance_until = EXCLUDED.maintenance_until,
                last_seen = now()
            """,
        "register_scopes": """
            WITH given AS (
                SELECT * FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) AS g(scope, rights, users, hosts)
            ), removed AS (
                DELETE FROM license_scopes s WHERE s.realm = $1 AND s.license_id = $2
                  AND s.scope NOT IN (SELECT scope FROM given)
            )
            INSERT INTO license_scopes (realm, license_id, scope, rights, users, hosts)
            SELECT $1, $2, scope, rights, users, hosts FROM given
            ON CONFLICT (realm, license_id, scope) DO UPDATE SET
                rights = EXCLUDED.rights, users = EXCLUDED.users, hosts = EXCLUDED.hosts
            """,
        "is_revoked": """
            SELECT EXISTS (SELECT 1 FROM revocations WHERE license_id = $2 AND (realm IS NULL OR realm = $1))
            """,
        // Whether the license is revoked and, when it is not, the refresh of a known active seat
        // in every requested scope: the whole of a common check's database work, one round trip.
        "refresh_seat": """
            WITH revocation AS (
                SELECT EXISTS (SELECT 1 FROM revocations WHERE license_id = $2 AND (realm IS NULL OR realm = $1)) AS revoked
            ), refreshed AS (
                UPDATE seats SET last_seen = now(), computer_hash = $6
                WHERE realm = $1 AND license_id = $2 AND scope = ANY ($3::text[]) AND user_hash = $4 AND instance_hash = $5
                  AND last_seen > now() - $7::interval AND NOT (SELECT revoked FROM revocation)
                RETURNING 1
            )
            SELECT (SELECT revoked FROM revocation) AS revoked, (SELECT count(*) FROM refreshed) AS refreshed
            """,
        // Admission under the license's row lock, in one round trip (sql/004_admit_seat_function.sql).
        "admit_seat": """
            SELECT outcome, refused_scope
            FROM admit_seat($1, $2, $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7, $8, $9, $10::interval)
            """,
        // Active seats per requested scope, for the JSON answer.
        "count_active": """
            SELECT scope, count(*) AS rights, count(DISTINCT user_hash) AS users, count(DISTINCT computer_hash) AS hosts
            FROM seats
            WHERE realm = $1 AND license_id = $2 AND scope = ANY ($3::text[]) AND last_seen > now() - $4::interval
            GROUP BY scope
            """,
        "release_seat": """
            DELETE FROM seats WHERE realm = $1 AND license_id = $2 AND user_hash = $3 AND instance_hash = $4
            """,
    ]

    public init(connection: PostgresConnection, leaseSeconds: Int) throws(PostgresError) {
        self.connection = connection
        self.leaseSeconds = leaseSeconds
        for (name, sql) in Self.statements { try connection.prepare(name, sql) }
    }

    /// Whether the database answers.
    public func isHealthy() -> Bool {
        do {
            try connection.run("health", [])
            return true
        } catch {
            return false
        }
    }

    /// Registers (or updates) the license of a key whose signature verified (SPEC §4).
    public func register(_ key: LicenseKey, realm: String, licenseID: String, fingerprint: String) throws {
        let dates = [key.duration?.first, key.duration?.last, key.maintenance?.first, key.maintenance?.last]
        try connection.transaction {
            try connection.run("register_license", [
                realm, licenseID, fingerprint, key.product, key.licensee, key.type.rawValue, key.issuer,
                key.signedMessage,
            ] + dates.map { $0?.description })
            let scopes = [(Self.baseScope, key.baseLimits)] + key.options.map { ($0.name, $0.limits) }
            try connection.run("register_scopes", [
                realm, licenseID, SQLArray.text(scopes.map(\.0)),
                SQLArray.numbers(scopes.map(\.1.rights)), SQLArray.numbers(scopes.map(\.1.users)),
                SQLArray.numbers(scopes.map(\.1.hosts)),
            ])
        }
    }

    /// Whether the license is revoked in `realm` (or in every realm).
    public func isRevoked(realm: String, licenseID: String) throws -> Bool {
        try connection.run("is_revoked", [realm, licenseID])[0, "exists"] == "t"
    }

    /// Rule 3 and rules 9–10: refreshes the seat, or admits it when every scope has room;
    /// otherwise the reason (`users`, `hosts`, `rights`) and the first scope without room.
    public func seat(_ request: SeatRequest) throws -> SeatOutcome {
        let scopeArray = SQLArray.text(request.scopes.map(\.name))
        let lease = "\(leaseSeconds) seconds"
        // The common case: a known active seat, refreshed in one statement. Its commit may be
        // asynchronous (the connection's default): losing it in a crash only shortens a lease.
        let refreshed = try connection.run("refresh_seat", [
            request.realm, request.licenseID, scopeArray, request.userHash, request.instanceHash, request.computerHash, lease,
        ])
        if refreshed[0, "revoked"] == "t" { return .revoked }
        if refreshed[0, "refreshed"] == String(request.scopes.count) { return .seated }

        // An admission is committed durably before the answer says valid (the function sees to it).
        let admitted = try connection.run("admit_seat", [
            request.realm, request.licenseID, scopeArray, SQLArray.numbers(request.scopes.map(\.limits.users)),
            SQLArray.numbers(request.scopes.map(\.limits.hosts)), SQLArray.numbers(request.scopes.map(\.limits.rights)),
            request.userHash, request.instanceHash, request.computerHash, lease,
        ])
        switch admitted[0, "outcome"] {
        case "admitted":
            return .seated
        case "unregistered":
            throw LicenseNotRegistered()
        case let reason?:
            guard let refusal = CheckReason(rawValue: reason), let scope = admitted[0, "refused_scope"] else {
                throw UnexpectedAdmission(outcome: reason)
            }
            return .refused(refusal, scope: scope)
        case nil:
            throw UnexpectedAdmission(outcome: "no row")
        }
    }

    /// Active seats per scope, for the JSON answer.
    public func usage(_ request: SeatRequest) throws -> [String: ScopeUsage] {
        let counts = try connection.run("count_active", [
            request.realm, request.licenseID, SQLArray.text(request.scopes.map(\.name)), "\(leaseSeconds) seconds",
        ])
        var usage: [String: ScopeUsage] = [:]
        for row in counts.rows.indices {
            usage[counts[row, "scope"] ?? ""] = ScopeUsage(
                rights: Int(counts[row, "rights"] ?? "") ?? 0, users: Int(counts[row, "users"] ?? "") ?? 0,
                hosts: Int(counts[row, "hosts"] ?? "") ?? 0)
        }
        return usage
    }

    /// Ends a user's instance in every scope of the license (SPEC §3 `/release`).
    public func release(realm: String, licenseID: String, userHash: String, instanceHash: String) throws {
        try connection.run("release_seat", [realm, licenseID, userHash, instanceHash])
    }
}
