import LicenseService
import Postgres

/// The console's SQL, all of it (SPEC §12): the report views only, through a worker's own
/// connection as a member of `license_reporter`, read-only by its session settings too.
///
/// Connects at the first page, not at the pool's start, so that a console database that is down
/// costs a 503 page, not the pool. Not `Sendable`: one per worker thread.
public final class ConsoleStore: ConsoleReading {
    private let conninfo: String
    private var connection: PostgresConnection?

    static let sessionSettings = [
        "SET default_transaction_read_only = on", "SET statement_timeout = '5s'", "SET TimeZone = 'UTC'",
    ]

    public init(conninfo: String) {
        self.conninfo = conninfo
    }

    private func connected() throws(PostgresError) -> PostgresConnection {
        if let connection { return connection }
        let made = try PostgresConnection(conninfo: conninfo, setupStatements: Self.sessionSettings)
        connection = made
        return made
    }

    /// Runs `sql` with `parameters`; the rows.
    private func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresRows {
        try connected().execute(sql, parameters)
    }

    private static let timestampFormat = "YYYY-MM-DD HH24:MI:SS"

    private func readAt() throws(PostgresError) -> String {
        try query("SELECT to_char(now(), '\(Self.timestampFormat)') AS read_at")[0, "read_at"] ?? ""
    }

    public func licenses(search: String?, offset: Int, limit: Int) throws -> ConsoleLicenses {
        let readAt = try readAt()
        // One row more than shown says whether there is a next page.
        let select = """
            SELECT realm, issuer, product, license_id, licensee, to_char(valid_until, 'YYYY-MM-DD') AS valid_until,
                   percent_used::float8 AS percent, to_char(counted_at, '\(Self.timestampFormat)') AS counted_at
            FROM report_licenses_fullest
            """
        // The view's own columns (an output alias of the same name would hide the index's order).
        let order = " ORDER BY percent_used DESC NULLS LAST, realm, license_id, issuer, product LIMIT $1 OFFSET $2"
        let page: [String?] = [String(limit + 1), String(offset)]
        var rows: PostgresRows
        if let search, !search.isEmpty {
            // A license id exactly (an index); only when no license has that id, a licensee in part
            // (which reads every license; LIKE's wildcards in the search are taken as text).
            rows = try query(select + " WHERE license_id = $3" + order, page + [search])
            if rows.rows.isEmpty {
                let partOfLicensee = " WHERE licensee ILIKE '%' || replace(replace(replace($3, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"
                rows = try query(select + partOfLicensee + order, page + [search])
            }
        } else {
            rows = try query(select + order, page)
        }
        var licenses: [ConsoleLicense] = []
        for row in 0..<min(rows.rows.count, limit) {
            licenses.append(ConsoleLicense(
                realm: try rows[row, "realm"] ?? "", issuer: try rows[row, "issuer"] ?? "", product: try rows[row, "product"] ?? "",
                licenseID: try rows[row, "license_id"] ?? "", licensee: try rows[row, "licensee"],
                validUntil: try rows[row, "valid_until"], percentUsed: try rows[row, "percent"].flatMap(Double.init),
                scopes: []))
        }
        let countedAt = try (0..<min(rows.rows.count, limit)).compactMap { row in try rows[row, "counted_at"] }.min()
        if !licenses.isEmpty {
            let scopes = try query("""
                SELECT s.realm, s.issuer, s.product, s.license_id, s.scope, s.users_limit, s.users_active, s.hosts_limit, s.hosts_active,
                       s.rights_limit, s.rights_active, s.percent_used::float8 AS percent_used
                FROM report_scopes_counted s
                JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS g(realm, issuer, product, license_id)
                  USING (realm, issuer, product, license_id)
                ORDER BY s.scope <> 'base', s.scope
                """, [SQLArray.text(licenses.map(\.realm)), SQLArray.text(licenses.map(\.issuer)),
                      SQLArray.text(licenses.map(\.product)), SQLArray.text(licenses.map(\.licenseID))])
            for row in scopes.rows.indices {
                let key = [try scopes[row, "realm"], try scopes[row, "issuer"], try scopes[row, "product"], try scopes[row, "license_id"]]
                guard let index = licenses.firstIndex(where: { [$0.realm, $0.issuer, $0.product, $0.licenseID] == key }) else { continue }
                licenses[index].scopes.append(try Self.scope(scopes, row))
            }
        }
        return ConsoleLicenses(licenses: licenses, hasMore: rows.rows.count > limit, readAt: readAt, countedAt: countedAt)
    }

    private static func scope(_ rows: PostgresRows, _ row: Int) throws(PostgresError) -> ConsoleScope {
        ConsoleScope(
            scope: try rows[row, "scope"] ?? "", usersLimit: try rows[row, "users_limit"].flatMap { Int($0) },
            usersActive: Int(try rows[row, "users_active"] ?? "") ?? 0, hostsLimit: try rows[row, "hosts_limit"].flatMap { Int($0) },
            hostsActive: Int(try rows[row, "hosts_active"] ?? "") ?? 0, rightsLimit: try rows[row, "rights_limit"].flatMap { Int($0) },
            rightsActive: Int(try rows[row, "rights_active"] ?? "") ?? 0, percentUsed: try rows[row, "percent_used"].flatMap(Double.init))
    }

    public func license(realm: String, id: String) throws -> ConsoleLicenseDetail? {
        let readAt = try readAt()
        let days = try query("SELECT to_char(current_date - 89, 'YYYY-MM-DD') AS first, to_char(current_date, 'YYYY-MM-DD') AS today")
        let licenses = try query("""
            SELECT issuer, product, licensee, to_char(valid_until, 'YYYY-MM-DD') AS valid_until
            FROM report_licenses WHERE realm = $1 AND license_id = $2 ORDER BY issuer, product
            """, [realm, id])
        guard !licenses.rows.isEmpty else { return nil }
        let scopes = try query("""
            SELECT issuer, product, scope, users_limit, users_active, hosts_limit, hosts_active, rights_limit, rights_active,
                   percent_used::float8 AS percent_used
            FROM report_usage_now WHERE realm = $1 AND license_id = $2 ORDER BY scope <> 'base', scope
            """, [realm, id])
        let history = try query("""
            SELECT issuer, product, to_char(day, 'YYYY-MM-DD') AS day, day - (current_date - 89) AS index, users, hosts
            FROM report_usage_by_day WHERE realm = $1 AND license_id = $2 AND scope = 'base' AND day > current_date - 90
            ORDER BY day
            """, [realm, id])
        let denials = try query("""
            SELECT issuer, product, reason, sum(denials) AS denials
            FROM report_denials_by_day WHERE realm = $1 AND license_id = $2 AND day > current_date - 30
            GROUP BY issuer, product, reason ORDER BY sum(denials) DESC, reason
            """, [realm, id])
        let clients = try query("""
            SELECT issuer, product, domain, revision, checks, to_char(last_seen, '\(Self.timestampFormat)') AS last_seen
            FROM report_clients WHERE realm = $1 AND license_id = $2 ORDER BY last_seen DESC, domain, revision LIMIT 200
            """, [realm, id])
        var parts: [ConsoleLicenseDetail.Part] = []
        for row in licenses.rows.indices {
            let issuer = try licenses[row, "issuer"] ?? ""
            let product = try licenses[row, "product"] ?? ""
            func mine(_ rows: PostgresRows) throws -> [Int] {
                try rows.rows.indices.filter { index in
                    try rows[index, "issuer"] == issuer && rows[index, "product"] == product
                }
            }
            let licenseScopes = try mine(scopes).map { index in try Self.scope(scopes, index) }
            let percent = licenseScopes.compactMap(\.percentUsed).max()
            parts.append(ConsoleLicenseDetail.Part(
                license: ConsoleLicense(realm: realm, issuer: issuer, product: product, licenseID: id,
                                        licensee: try licenses[row, "licensee"], validUntil: try licenses[row, "valid_until"],
                                        percentUsed: percent, scopes: licenseScopes),
                days: try mine(history).map { index in
                    ConsoleDay(day: try history[index, "day"] ?? "", index: Int(try history[index, "index"] ?? "") ?? -1,
                               users: Int(try history[index, "users"] ?? "") ?? 0,
                               hosts: Int(try history[index, "hosts"] ?? "") ?? 0)
                },
                denials: try mine(denials).map { index in
                    ConsoleCount(name: try denials[index, "reason"] ?? "", count: Int(try denials[index, "denials"] ?? "") ?? 0)
                },
                clients: try mine(clients).map { index in
                    ConsoleClient(domain: try clients[index, "domain"] ?? "", revision: try clients[index, "revision"] ?? "",
                                  checks: Int(try clients[index, "checks"] ?? "") ?? 0, lastSeen: try clients[index, "last_seen"] ?? "")
                }))
        }
        return ConsoleLicenseDetail(parts: parts, firstDay: try days[0, "first"] ?? "", today: try days[0, "today"] ?? "", readAt: readAt)
    }

    public func expiring(withinDays days: Int) throws -> ConsoleExpiring {
        let readAt = try readAt()
        let rows = try query("""
            SELECT realm, product, license_id, licensee, to_char(valid_until, 'YYYY-MM-DD') AS valid_until, expires_in_days,
                   to_char(maintenance_until, 'YYYY-MM-DD') AS maintenance_until, maintenance_ends_in_days
            FROM report_expiry
            WHERE expires_in_days BETWEEN 0 AND $1 OR maintenance_ends_in_days BETWEEN 0 AND $1
            ORDER BY least(coalesce(expires_in_days, 100000), coalesce(maintenance_ends_in_days, 100000)), realm, license_id
            LIMIT 500
            """, [String(days)])
        let entries = try rows.rows.indices.map { row in
            ConsoleExpiring.Entry(
                realm: try rows[row, "realm"] ?? "", product: try rows[row, "product"] ?? "", licenseID: try rows[row, "license_id"] ?? "",
                licensee: try rows[row, "licensee"], validUntil: try rows[row, "valid_until"],
                expiresInDays: try rows[row, "expires_in_days"].flatMap { Int($0) },
                maintenanceUntil: try rows[row, "maintenance_until"],
                maintenanceEndsInDays: try rows[row, "maintenance_ends_in_days"].flatMap { Int($0) })
        }
        return ConsoleExpiring(entries: entries, readAt: readAt)
    }

    public func denials(days: Int) throws -> ConsoleDenials {
        let readAt = try readAt()
        let rows = try query("""
            SELECT realm, license_id, reason, sum(denials) AS denials
            FROM report_denials_by_day WHERE day > current_date - $1::int
            GROUP BY realm, license_id, reason ORDER BY sum(denials) DESC, realm, license_id, reason LIMIT 500
            """, [String(days)])
        let entries = try rows.rows.indices.map { row in
            ConsoleDenials.Entry(realm: try rows[row, "realm"] ?? "", licenseID: try rows[row, "license_id"], reason: try rows[row, "reason"] ?? "",
                                 denials: Int(try rows[row, "denials"] ?? "") ?? 0)
        }
        return ConsoleDenials(entries: entries, readAt: readAt)
    }
}
