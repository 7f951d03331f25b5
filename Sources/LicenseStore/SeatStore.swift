import LicenseCore
import LicenseService
import LicenseSigning
import Postgres

/// `admit_seat` answered something it never answers: the database's migrations and this pool
/// disagree. The check answers 503 and the log names it as a fault.
public struct UnexpectedAdmission: StoreFailure, CustomStringConvertible {
    public let outcome: String
    public var description: String { "admit_seat answered \(outcome); are the migrations applied?" }
    public var failureKind: StoreFailureKind { .fault }
    public var failureCode: String? { nil }
}

extension LicenseIdentity {
    /// The four key columns, as statement parameters `$1`–`$4`.
    var parameters: [String?] { [realm, issuer, product, id] }
}

/// Licenses and seats in PostgreSQL, through one worker's connection and its prepared
/// statements: the request path's SQL, all of it. Not `Sendable`: one per worker thread.
public final class SeatStore: SeatStoring {
    private let connection: PostgresConnection

    /// What every worker's connection runs after each (re)connect: a database in trouble must
    /// answer 503 within seconds, and a refresh may commit asynchronously (an admission turns
    /// synchronous commit on for itself). The prepared statements keep one generic plan: each
    /// finds its rows by the keys' prefix whatever the parameters, and left to choose,
    /// PostgreSQL planned the refresh again at every execution (its custom plans looked
    /// cheaper): `make bench` measured 402 µs of PostgreSQL's CPU per refresh that way, 220 µs
    /// with the generic plan.
    static let sessionSettings = [
        "SET statement_timeout = '3s'", "SET lock_timeout = '2s'", "SET idle_in_transaction_session_timeout = '10s'",
        "SET synchronous_commit = off", "SET plan_cache_mode = force_generic_plan",
    ]

    /// A worker's store on a connection of its own.
    public convenience init(conninfo: String) throws(PostgresError) {
        try self.init(connection: try PostgresConnection(conninfo: conninfo, setupStatements: Self.sessionSettings))
    }

    /// Rule 3 in SQL: the license's id, or this one key's fingerprint, is revoked in the realm
    /// (or in every realm). Both are found through their own index.
    static func revocation(realm: String, licenseID: String, fingerprint: String) -> String {
        """
        (EXISTS (SELECT FROM revocations WHERE license_id = \(licenseID) AND (realm IS NULL OR realm = \(realm)))
         OR EXISTS (SELECT FROM revocations WHERE fingerprint = \(fingerprint) AND (realm IS NULL OR realm = \(realm))))
        """
    }

    /// The moment after which a seat's last check keeps it counting for users and hosts: the
    /// seat lease, as `seat_active_since` (sql/009) gives it to admission and the report views.
    /// Spelled out rather than called: PostgreSQL cannot inline a function that reads a table,
    /// and each call costs (12–17 µs as SQL, which parses and plans its body at each execution;
    /// 4.5 µs in PL/pgSQL, sql/013), where the subquery is part of the statement's one plan.
    static let activeAfter = "(SELECT now() - seat_lease FROM leases)"
    /// The same for rights, a running instance's: the instance lease (`instance_active_since`, SPEC §8).
    static let instanceActiveAfter = "(SELECT now() - instance_lease FROM leases)"

    /// The seats of one license scope (`t`), for counting; `$1`–`$4` are the license.
    private static let scopeSeats = """
        seats t WHERE t.realm = $1 AND t.issuer = $2 AND t.product = $3 AND t.license_id = $4 AND t.scope = s.scope
          AND t.last_seen > a.after
        """

    private static let statements: [String: String] = [
        "health": "SELECT 1",
        "register_license": """
            INSERT INTO licenses (realm, issuer, product, license_id, fingerprint, licensee, license_type, key_fields,
                                  valid_from, valid_until, maintenance_from, maintenance_until)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (realm, issuer, product, license_id) DO UPDATE SET
                fingerprint = EXCLUDED.fingerprint, licensee = EXCLUDED.licensee, license_type = EXCLUDED.license_type,
                key_fields = EXCLUDED.key_fields, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
                maintenance_from = EXCLUDED.maintenance_from, maintenance_until = EXCLUDED.maintenance_until,
                last_seen = now()
            """,
        "register_scopes": """
            WITH given AS (
                SELECT * FROM unnest($5::text[], $6::bigint[], $7::bigint[], $8::bigint[]) AS g(scope, rights, users, hosts)
            ), removed AS (
                DELETE FROM license_scopes s WHERE s.realm = $1 AND s.issuer = $2 AND s.product = $3 AND s.license_id = $4
                  AND s.scope NOT IN (SELECT scope FROM given)
            )
            INSERT INTO license_scopes (realm, issuer, product, license_id, scope, rights, users, hosts)
            SELECT $1, $2, $3, $4, scope, rights, users, hosts FROM given
            ON CONFLICT (realm, issuer, product, license_id, scope) DO UPDATE SET
                rights = EXCLUDED.rights, users = EXCLUDED.users, hosts = EXCLUDED.hosts
            """,
        "is_revoked": "SELECT \(revocation(realm: "$1", licenseID: "$2", fingerprint: "$3")) AS revoked",
        // Whether the license or key is revoked and, when not, the refresh of a known active seat
        // (same user, instance and computer) in one scope: the whole of a common check's
        // database work, one round trip. A seat from another computer is not matched, so it goes
        // through admission (SPEC §4); nor is one whose right lapsed with the instance lease when
        // a scope counts rights ($10), which must be admitted again (SPEC §8). One scope, by
        // equality: with `scope = ANY ($6::text[])` the generic plan found the seat through the
        // license's prefix of seats_by_computer and read every seat of the license (make bench:
        // 227 µs of PostgreSQL's CPU per refresh on licenses of 1 000 seats, 84 µs with 10).
        "refresh_seat": """
            WITH revocation AS (
                SELECT \(revocation(realm: "$1", licenseID: "$4", fingerprint: "$5")) AS revoked
            ), refreshed AS (
                UPDATE seats SET last_seen = now()
                WHERE realm = $1 AND issuer = $2 AND product = $3 AND license_id = $4 AND scope = $6
                  AND user_hash = $7 AND instance_hash = $8 AND computer_hash = $9
                  AND last_seen > CASE WHEN $10 THEN \(instanceActiveAfter) ELSE \(activeAfter) END
                  AND NOT (SELECT revoked FROM revocation)
                RETURNING 1
            )
            SELECT (SELECT revoked FROM revocation) AS revoked, (SELECT count(*) FROM refreshed) AS refreshed
            """,
        // Admission under the license's row lock, in one round trip (sql/007_license_identity.sql).
        "admit_seat": """
            SELECT outcome, refused_scope
            FROM admit_seat($1, $2, $3, $4, $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9, $10, $11)
            """,
        // Active seats per requested scope, for the JSON answer; each count stops one past the limit it shows.
        "count_active": """
            SELECT s.scope,
                   (SELECT count(*) FROM (SELECT FROM \(scopeSeats) AND t.last_seen > a.instance_after
                                          LIMIT \(ScopeUsage.countLimit + 1)) AS c) AS rights,
                   (SELECT count(*) FROM (SELECT DISTINCT t.user_hash FROM \(scopeSeats) LIMIT \(ScopeUsage.countLimit + 1)) AS c) AS users,
                   (SELECT count(*) FROM (SELECT DISTINCT t.computer_hash FROM \(scopeSeats) LIMIT \(ScopeUsage.countLimit + 1)) AS c) AS hosts
            FROM unnest($5::text[]) AS s(scope), (SELECT \(activeAfter) AS after, \(instanceActiveAfter) AS instance_after) AS a
            """,
        "release_seat": """
            DELETE FROM seats WHERE realm = $1 AND issuer = $2 AND product = $3 AND license_id = $4
              AND user_hash = $5 AND instance_hash = $6
            """,
    ]

    public init(connection: PostgresConnection) throws(PostgresError) {
        self.connection = connection
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
    public func register(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws {
        let dates = [key.duration?.first, key.duration?.last, key.maintenance?.first, key.maintenance?.last]
        try connection.transaction {
            try connection.run("register_license", license.parameters + [
                fingerprint, key.licensee, key.type.rawValue, key.signedMessage,
            ] + dates.map { $0?.description })
            let scopes = [(SeatRequest.baseScope, key.baseLimits)] + key.options.map { ($0.name, $0.limits) }
            try connection.run("register_scopes", license.parameters + [
                SQLArray.text(scopes.map(\.0)), SQLArray.numbers(scopes.map(\.1.rights)),
                SQLArray.numbers(scopes.map(\.1.users)), SQLArray.numbers(scopes.map(\.1.hosts)),
            ])
        }
    }

    /// Whether the license, or the key of `fingerprint`, is revoked in its realm (or in every realm).
    public func isRevoked(_ license: LicenseIdentity, fingerprint: String) throws -> Bool {
        try connection.run("is_revoked", [license.realm, license.id, fingerprint])[0, "revoked"] == "t"
    }

    /// Rule 3 and rules 9–10: refreshes the seat, or admits it when every scope has room;
    /// otherwise the reason (`users`, `hosts`, `rights`) and the first scope without room.
    public func seat(_ request: SeatRequest) throws -> SeatOutcome {
        // The common case: a known active seat, refreshed in one statement per scope (a check
        // without options has one). Its commit may be asynchronous (the connection's default):
        // losing it in a crash only shortens a lease. A scope without the seat ends the refresh:
        // the admission then seats the user in every scope.
        let countsRights = request.scopes.contains { $0.limits.rights != nil } ? "t" : "f"
        for scope in request.scopes {
            let refreshed = try connection.run("refresh_seat", request.license.parameters + [
                request.fingerprint, scope.name, request.userHash, request.instanceHash, request.computerHash, countsRights,
            ])
            if try refreshed[0, "revoked"] == "t" { return .revoked }
            if try refreshed[0, "refreshed"] != "1" { return try admit(request) }
        }
        return .seated
    }

    /// Rules 9–10 under the license's lock: the seat in every scope with room, committed durably
    /// before the answer says valid (the function sees to it).
    private func admit(_ request: SeatRequest) throws -> SeatOutcome {
        let admitted = try connection.run("admit_seat", request.license.parameters + [
            SQLArray.text(request.scopes.map(\.name)), SQLArray.numbers(request.scopes.map(\.limits.users)),
            SQLArray.numbers(request.scopes.map(\.limits.hosts)), SQLArray.numbers(request.scopes.map(\.limits.rights)),
            request.userHash, request.instanceHash, request.computerHash,
        ])
        switch try admitted[0, "outcome"] {
        case "admitted":
            return .seated
        case "unregistered":
            throw LicenseNotRegistered()
        case let reason?:
            guard let refusal = CheckReason(rawValue: reason), [.users, .hosts, .rights].contains(refusal),
                  let scope = try admitted[0, "refused_scope"] else {
                throw UnexpectedAdmission(outcome: reason)
            }
            return .refused(refusal, scope: scope)
        case nil:
            throw UnexpectedAdmission(outcome: "NULL")
        }
    }

    /// Active seats per scope, for the JSON answer, each count at most `ScopeUsage.countLimit + 1`.
    public func usage(_ request: SeatRequest) throws -> [String: ScopeUsage] {
        let counts = try connection.run("count_active", request.license.parameters + [SQLArray.text(request.scopes.map(\.name))])
        var usage: [String: ScopeUsage] = [:]
        for row in counts.rows.indices {
            func number(_ column: String) throws -> Int {
                guard let text = try counts[row, column], let value = Int(text) else {
                    throw PostgresError(code: nil, kind: .fault, message: "count_active: \(column) is not a count")
                }
                return value
            }
            usage[try counts[row, "scope"] ?? ""] = ScopeUsage(rights: try number("rights"), users: try number("users"),
                                                               hosts: try number("hosts"))
        }
        return usage
    }

    /// Ends a user's instance in every scope of the license (SPEC §3 `/release`).
    public func release(_ license: LicenseIdentity, userHash: String, instanceHash: String) throws {
        try connection.run("release_seat", license.parameters + [userHash, instanceHash])
    }
}
