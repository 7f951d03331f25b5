import LicenseCore
import Postgres
import StoreBoundary

/// Licenses and seats in PostgreSQL, through one worker's connection and its prepared
/// statements. What a seat is, when it is active and how it is admitted is SQL's
/// (sql/functions/seats.sql and leases.sql); this class binds values and reads outcomes.
/// Not `Sendable`: one per worker thread.
public final class SeatStore: SeatStoring {
    private let connection: PostgresConnection

    /// What every worker's connection runs after each (re)connect: a database in trouble must
    /// answer 503 within seconds, and a refresh may commit asynchronously (an admission turns
    /// synchronous commit on for itself). The prepared statements keep one generic plan: left to
    /// choose, PostgreSQL planned the refresh again at every execution (docs/performance.md).
    static let sessionSettings = [
        "SET statement_timeout = '3s'", "SET lock_timeout = '2s'", "SET idle_in_transaction_session_timeout = '10s'",
        "SET synchronous_commit = off", "SET plan_cache_mode = force_generic_plan",
    ]

    /// A statement still running after this is cancelled by the pool and answers 503: the
    /// statement time-out above, and half a second for the network; it also ends an admission's
    /// commit waiting for a synchronous standby that does not confirm (SPEC §11).
    static let statementDeadlineSeconds = 3.5

    /// A worker's store on a connection of its own.
    public convenience init(conninfo: String) throws(StoreError) {
        let connection = try StoreError.translating { () throws(PostgresError) in
            try PostgresConnection(conninfo: conninfo, setupStatements: Self.sessionSettings,
                                   statementDeadline: Self.statementDeadlineSeconds)
        }
        try self.init(connection: connection)
    }

    private static let statements: [String: String] = [
        "health": "SELECT 1",
        "register_license": """
            INSERT INTO licenses (realm, issuer, product, license_id, fingerprint, licensee, license_type, key_fields,
                                  valid_from, valid_until, maintenance_from, maintenance_until, bind_limit)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (realm, issuer, product, license_id) DO UPDATE SET
                fingerprint = EXCLUDED.fingerprint, licensee = EXCLUDED.licensee, license_type = EXCLUDED.license_type,
                key_fields = EXCLUDED.key_fields, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
                maintenance_from = EXCLUDED.maintenance_from, maintenance_until = EXCLUDED.maintenance_until,
                bind_limit = EXCLUDED.bind_limit, last_seen = now()
            """,
        "register_scopes": """
            WITH given AS (
                SELECT * FROM unnest($5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
                    AS g(scope, users, hosts, rights, overdraft, linger_seconds)
            ), removed AS (
                DELETE FROM license_scopes s WHERE s.realm = $1 AND s.issuer = $2 AND s.product = $3 AND s.license_id = $4
                  AND s.scope NOT IN (SELECT scope FROM given)
            )
            INSERT INTO license_scopes (realm, issuer, product, license_id, scope, rights, users, hosts, overdraft, linger)
            SELECT $1, $2, $3, $4, scope, rights, users, hosts, overdraft, make_interval(secs => linger_seconds) FROM given
            ON CONFLICT (realm, issuer, product, license_id, scope) DO UPDATE SET
                rights = EXCLUDED.rights, users = EXCLUDED.users, hosts = EXCLUDED.hosts, overdraft = EXCLUDED.overdraft,
                linger = EXCLUDED.linger
            """,
        "is_revoked": "SELECT revoked FROM license_revoked($1, $2, $3)",
        // The whole of a check's seat work, one round trip (take_seat, sql/functions/seats.sql).
        "take_seat": """
            SELECT outcome, refused_scope, floor(extract(epoch FROM active_until))::bigint AS until, lease_seconds, overdraft_scopes
            FROM take_seat($1, $2, $3, $4, $5, $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10, $11, $12, $13, $14, $15,
                           $16::bigint[], $17::bigint[])
            """,
        "bind_computer": "SELECT outcome, bound FROM bind_computer($1, $2, $3, $4, $5, $6, $7)",
        "unbind_computer": "SELECT outcome, bound FROM unbind_computer($1, $2, $3, $4, $5, $6, $7)",
        "computer_bound": "SELECT bound FROM computer_bound($1, $2, $3, $4, $5)",
        "scope_usage": "SELECT scope, rights, users, hosts FROM scope_usage($1, $2, $3, $4, $5::text[], $6)",
        "release_seat": "SELECT release_seat($1, $2, $3, $4, $5, $6)",
    ]

    public init(connection: PostgresConnection) throws(StoreError) {
        self.connection = connection
        try StoreError.translating { () throws(PostgresError) in
            for (name, sql) in Self.statements { try connection.prepare(name, sql) }
        }
    }

    public func isHealthy() -> Bool {
        (try? connection.run("health", [])) != nil
    }

    public func register(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws(StoreError) {
        let dates = [key.duration?.first, key.duration?.last, key.maintenance?.first, key.maintenance?.last]
        let scopes = [SeatScope(name: LicenseTerms.baseScope, limits: key.baseLimits)]
            + key.options.map { SeatScope(name: $0.name, limits: $0.limits) }
        try StoreError.translating { () throws(PostgresError) in
            try connection.transaction { () throws(PostgresError) in
                try connection.run("register_license", license.parameters + [
                    .text(fingerprint), .text(key.licensee), .text(key.type.rawValue), .text(key.signedMessage),
                ] + dates.map { .text($0?.description) } + [key.bindLimit.map { .integer($0) } ?? .null])
                try connection.run("register_scopes", license.parameters + Self.scopeArrays(scopes))
            }
        }
    }

    public func isRevoked(_ license: LicenseIdentity, fingerprint: String) throws(StoreError) -> Bool {
        try StoreError.translating { () throws(PostgresError) in
            try connection.run("is_revoked", [.text(license.realm), .text(license.id), .text(fingerprint)]).single().boolean("revoked")
        }
    }

    public func seat(_ request: SeatRequest) throws(StoreError) -> SeatOutcome {
        let row = try StoreError.translating { () throws(PostgresError) in
            let scopes = Self.scopeArrays(request.scopes)
            return try connection.run("take_seat", request.license.parameters + [.text(request.fingerprint)] + scopes.prefix(4) + [
                .bytes(request.user.bytes), .bytes(request.instance.bytes), .bytes(request.computer.bytes),
                .integer(Int64(request.rights)), .boolean(request.computerMustBeBound),
                request.borrowSeconds.map { .integer($0) } ?? .null,
            ] + scopes.suffix(2)).single()
        }
        return try StoreError.translating { () throws(PostgresError) in
            let outcome = try row.string("outcome")
            switch outcome {
            case "refreshed", "admitted":
                return .seated(until: UTCTimestamp(secondsSince1970: try row.integer("until")),
                               leaseSeconds: try row.integer("lease_seconds"), overdraftScopes: try row.textArray("overdraft_scopes"),
                               admitted: outcome == "admitted")
            case "revoked":
                return .revoked
            case "unregistered":
                return .unregistered
            case "system-id":
                return .computerNotBound
            default:
                guard let reason = CheckReason(rawValue: outcome), [.users, .hosts, .rights].contains(reason) else {
                    throw PostgresError(code: nil, kind: .fault, message: "take_seat answered \(outcome); are the migrations applied?")
                }
                return .refused(reason, scope: try row.string("refused_scope"))
            }
        }
    }

    public func usage(_ request: SeatRequest) throws(StoreError) -> [String: ScopeUsage] {
        try StoreError.translating { () throws(PostgresError) in
            let counts = try connection.run("scope_usage", request.license.parameters + [
                .textArray(request.scopes.map(\.name)), .integer(ScopeUsage.countLimit),
            ])
            var usage: [String: ScopeUsage] = [:]
            for row in counts.rows {
                usage[try row.string("scope")] = ScopeUsage(rights: Int(try row.integer("rights")), users: Int(try row.integer("users")),
                                                           hosts: Int(try row.integer("hosts")))
            }
            return usage
        }
    }

    public func release(_ license: LicenseIdentity, user: SeatHash, instance: SeatHash) throws(StoreError) {
        _ = try StoreError.translating { () throws(PostgresError) in
            try connection.run("release_seat", license.parameters + [.bytes(user.bytes), .bytes(instance.bytes)])
        }
    }

    public func bind(_ license: LicenseIdentity, fingerprint: String, computer: SeatHash, limit: Int) throws(StoreError) -> BindingOutcome {
        try binding("bind_computer", license, fingerprint: fingerprint, computer: computer, limit: limit)
    }

    public func unbind(_ license: LicenseIdentity, fingerprint: String, computer: SeatHash, limit: Int) throws(StoreError) -> BindingOutcome {
        try binding("unbind_computer", license, fingerprint: fingerprint, computer: computer, limit: limit)
    }

    public func isBound(_ license: LicenseIdentity, computer: SeatHash) throws(StoreError) -> Bool {
        try StoreError.translating { () throws(PostgresError) in
            try connection.run("computer_bound", license.parameters + [.bytes(computer.bytes)]).single().boolean("bound")
        }
    }

    /// `bind_computer` or `unbind_computer` (sql/functions/bindings.sql) and its outcome.
    private func binding(_ statement: String, _ license: LicenseIdentity, fingerprint: String, computer: SeatHash,
                         limit: Int) throws(StoreError) -> BindingOutcome {
        try StoreError.translating { () throws(PostgresError) in
            let row = try connection.run(statement, license.parameters + [
                .text(fingerprint), .bytes(computer.bytes), .integer(Int64(limit)),
            ]).single()
            let outcome = try row.string("outcome")
            switch outcome {
            case "bound", "unbound": return .done(bound: Int(try row.integer("bound")))
            case "revoked": return .revoked
            case "unregistered": return .unregistered
            case CheckReason.binding.rawValue: return .refused(.binding, bound: Int(try row.integer("bound")))
            case CheckReason.unbindLimit.rawValue: return .refused(.unbindLimit, bound: Int(try row.integer("bound")))
            default:
                throw PostgresError(code: nil, kind: .fault, message: "\(statement) answered \(outcome); are the migrations applied?")
            }
        }
    }

    /// The scopes as the parallel arrays the SQL takes: names, then users, hosts and rights
    /// limits, then overdrafts and lingers (seconds).
    private static func scopeArrays(_ scopes: [SeatScope]) -> [PostgresValue] {
        [.textArray(scopes.map(\.name))] + [\LicenseTerms.Limits.users, \.hosts, \.rights, \.overdraft, \.lingerSeconds].map { limit in
            .integerArray(scopes.map { $0.limits[keyPath: limit].map(Int64.init) })
        }
    }
}

extension LicenseIdentity {
    /// The four key columns, as statement parameters `$1`–`$4`.
    var parameters: [PostgresValue] { [.text(realm), .text(issuer), .text(product), .text(id)] }
}
