import LicenseCore
import Postgres
import StoreBoundary

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
    private func query(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> PostgresRows {
        try connected().execute(sql, parameters)
    }


    private static let timestampFormat = "YYYY-MM-DD HH24:MI:SS"

    private func readAt() throws(PostgresError) -> String {
        try query("SELECT to_char(now(), '\(Self.timestampFormat)') AS read_at").single().string("read_at")
    }

    public func licenses(search: String?, offset: Int, limit: Int) throws(StoreError) -> ConsoleLicenses {
        try StoreError.translating { () throws(PostgresError) in try readLicenses(search: search, offset: offset, limit: limit) }
    }

    private func readLicenses(search: String?, offset: Int, limit: Int) throws(PostgresError) -> ConsoleLicenses {
        let readAt = try readAt()
        // One row more than shown says whether there is a next page.
        let select = """
            SELECT realm, issuer, product, license_id, licensee, to_char(valid_until, 'YYYY-MM-DD') AS valid_until,
                   percent_used::float8 AS percent, to_char(counted_at, '\(Self.timestampFormat)') AS counted_at
            FROM report_licenses_fullest
            """
        // The view's own columns (an output alias of the same name would hide the index's order).
        let order = " ORDER BY percent_used DESC NULLS LAST, realm, license_id, issuer, product LIMIT $1 OFFSET $2"
        let page: [PostgresValue] = [.integer(limit + 1), .integer(offset)]
        var rows: PostgresRows
        if let search, !search.isEmpty {
            // A license id exactly (an index); only when no license has that id, a licensee in part
            // (which reads every license; LIKE's wildcards in the search are taken as text).
            rows = try query(select + " WHERE license_id = $3" + order, page + [.text(search)])
            if rows.rows.isEmpty {
                let partOfLicensee = " WHERE licensee ILIKE '%' || replace(replace(replace($3, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"
                rows = try query(select + partOfLicensee + order, page + [.text(search)])
            }
        } else {
            rows = try query(select + order, page)
        }
        let shown = rows.rows.prefix(limit)
        var licenses: [ConsoleLicense] = []
        for row in shown {
            licenses.append(ConsoleLicense(
                realm: try row.string("realm"), issuer: try row.string("issuer"), product: try row.string("product"),
                licenseID: try row.string("license_id"), licensee: try row.optionalString("licensee"),
                validUntil: try row.optionalString("valid_until"), percentUsed: try row.optionalDouble("percent"),
                scopes: []))
        }
        let countedAt = try shown.map { row throws(PostgresError) in try row.string("counted_at") }.min()
        if !licenses.isEmpty {
            let scopes = try query("""
                SELECT s.realm, s.issuer, s.product, s.license_id, s.scope, s.users_limit, s.users_active, s.hosts_limit, s.hosts_active,
                       s.rights_limit, s.rights_active, s.percent_used::float8 AS percent_used
                FROM report_scopes_counted s
                JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS g(realm, issuer, product, license_id)
                  USING (realm, issuer, product, license_id)
                ORDER BY s.scope <> $5, s.scope
                """, [.textArray(licenses.map(\.realm)), .textArray(licenses.map(\.issuer)),
                      .textArray(licenses.map(\.product)), .textArray(licenses.map(\.licenseID)), .text(LicenseTerms.baseScope)])
            for row in scopes.rows {
                let key = [try row.string("realm"), try row.string("issuer"), try row.string("product"), try row.string("license_id")]
                guard let index = licenses.firstIndex(where: { [$0.realm, $0.issuer, $0.product, $0.licenseID] == key }) else { continue }
                licenses[index].scopes.append(try Self.scope(row))
            }
        }
        return ConsoleLicenses(licenses: licenses, hasMore: rows.count > limit, readAt: readAt, countedAt: countedAt)
    }

    private static func scope(_ row: PostgresRow) throws(PostgresError) -> ConsoleScope {
        ConsoleScope(
            scope: try row.string("scope"), usersLimit: try row.optionalInteger("users_limit").map(Int.init),
            usersActive: Int(try row.integer("users_active")), hostsLimit: try row.optionalInteger("hosts_limit").map(Int.init),
            hostsActive: Int(try row.integer("hosts_active")), rightsLimit: try row.optionalInteger("rights_limit").map(Int.init),
            rightsActive: Int(try row.integer("rights_active")), percentUsed: try row.optionalDouble("percent_used"))
    }

    public func license(realm: String, id: String) throws(StoreError) -> ConsoleLicenseDetail? {
        try StoreError.translating { () throws(PostgresError) in try readLicense(realm: realm, id: id) }
    }

    private func readLicense(realm: String, id: String) throws(PostgresError) -> ConsoleLicenseDetail? {
        let readAt = try readAt()
        let days = try query("SELECT to_char(current_date - 89, 'YYYY-MM-DD') AS first, to_char(current_date, 'YYYY-MM-DD') AS today")
        let licenses = try query("""
            SELECT issuer, product, licensee, to_char(valid_until, 'YYYY-MM-DD') AS valid_until
            FROM report_licenses WHERE realm = $1 AND license_id = $2 ORDER BY issuer, product
            """, [.text(realm), .text(id)])
        guard !licenses.isEmpty else { return nil }
        let scopes = try query("""
            SELECT issuer, product, scope, users_limit, users_active, hosts_limit, hosts_active, rights_limit, rights_active,
                   percent_used::float8 AS percent_used
            FROM report_usage_now WHERE realm = $1 AND license_id = $2 ORDER BY scope <> $3, scope
            """, [.text(realm), .text(id), .text(LicenseTerms.baseScope)])
        let history = try query("""
            SELECT issuer, product, to_char(day, 'YYYY-MM-DD') AS day, day - (current_date - 89) AS index, users, hosts
            FROM report_usage_by_day WHERE realm = $1 AND license_id = $2 AND scope = $3 AND day > current_date - 90
            ORDER BY day
            """, [.text(realm), .text(id), .text(LicenseTerms.baseScope)])
        let denials = try query("""
            SELECT issuer, product, reason, sum(denials) AS denials
            FROM report_denials_by_day WHERE realm = $1 AND license_id = $2 AND day > current_date - 30
            GROUP BY issuer, product, reason ORDER BY sum(denials) DESC, reason
            """, [.text(realm), .text(id)])
        let clients = try query("""
            SELECT issuer, product, domain, revision, checks, to_char(last_seen, '\(Self.timestampFormat)') AS last_seen
            FROM report_clients WHERE realm = $1 AND license_id = $2 ORDER BY last_seen DESC, domain, revision LIMIT 200
            """, [.text(realm), .text(id)])
        let bindings = try query("""
            SELECT issuer, product, bind_limit, unbound_30_days FROM report_bindings WHERE realm = $1 AND license_id = $2
            """, [.text(realm), .text(id)])
        let computers = try query("""
            SELECT issuer, product, computer, to_char(bound_at, '\(Self.timestampFormat)') AS bound_at
            FROM report_bound_computers WHERE realm = $1 AND license_id = $2 ORDER BY bound_at, computer LIMIT 1000
            """, [.text(realm), .text(id)])
        let borrowed = try query("""
            SELECT issuer, product, scope, computer, to_char(borrowed_until, '\(Self.timestampFormat)') AS borrowed_until
            FROM report_borrowed_seats WHERE realm = $1 AND license_id = $2 ORDER BY borrowed_until, scope, computer LIMIT 1000
            """, [.text(realm), .text(id)])
        let seats = try query("""
            SELECT issuer, product, scope, seat, computer, rights, to_char(first_seen, '\(Self.timestampFormat)') AS first_seen,
                   to_char(last_seen, '\(Self.timestampFormat)') AS last_seen,
                   to_char(borrowed_until, '\(Self.timestampFormat)') AS borrowed_until, overdraft
            FROM report_active_seats WHERE realm = $1 AND license_id = $2 ORDER BY scope <> $3, scope, last_seen DESC, seat LIMIT 1000
            """, [.text(realm), .text(id), .text(LicenseTerms.baseScope)])
        var parts: [ConsoleLicenseDetail.Part] = []
        for license in licenses.rows {
            let issuer = try license.string("issuer")
            let product = try license.string("product")
            func mine(_ rows: PostgresRows) throws(PostgresError) -> [PostgresRow] {
                var own: [PostgresRow] = []
                for row in rows.rows {
                    let rowIssuer = try row.string("issuer")
                    let rowProduct = try row.string("product")
                    if rowIssuer == issuer && rowProduct == product { own.append(row) }
                }
                return own
            }
            let licenseScopes = try mine(scopes).map { row throws(PostgresError) in try Self.scope(row) }
            let percent = licenseScopes.compactMap(\.percentUsed).max()
            parts.append(ConsoleLicenseDetail.Part(
                license: ConsoleLicense(realm: realm, issuer: issuer, product: product, licenseID: id,
                                        licensee: try license.optionalString("licensee"), validUntil: try license.optionalString("valid_until"),
                                        percentUsed: percent, scopes: licenseScopes),
                days: try mine(history).map { row throws(PostgresError) in
                    ConsoleDay(day: try row.string("day"), index: Int(try row.integer("index")),
                               users: Int(try row.integer("users")), hosts: Int(try row.integer("hosts")))
                },
                denials: try mine(denials).map { row throws(PostgresError) in
                    ConsoleCount(name: try row.string("reason"), count: Int(try row.integer("denials")))
                },
                clients: try mine(clients).map { row throws(PostgresError) in
                    ConsoleClient(domain: try row.string("domain"), revision: try row.string("revision"),
                                  checks: Int(try row.integer("checks")), lastSeen: try row.string("last_seen"))
                },
                bindings: try mine(bindings).first.map { row throws(PostgresError) in
                    ConsoleBindings(limit: try row.optionalInteger("bind_limit").map(Int.init),
                                    computers: try mine(computers).map { computer throws(PostgresError) in
                                        ConsoleBindings.Computer(handle: try computer.string("computer"), boundAt: try computer.string("bound_at"))
                                    },
                                    unboundIn30Days: Int(try row.integer("unbound_30_days")))
                },
                borrowed: try mine(borrowed).map { row throws(PostgresError) in
                    ConsoleBorrowedSeat(scope: try row.string("scope"), computer: try row.string("computer"),
                                        borrowedUntil: try row.string("borrowed_until"))
                },
                seats: try mine(seats).map { row throws(PostgresError) in
                    ConsoleSeat(scope: try row.string("scope"), seat: try row.string("seat"), computer: try row.string("computer"),
                                rights: Int(try row.integer("rights")), firstSeen: try row.string("first_seen"),
                                lastSeen: try row.string("last_seen"), borrowedUntil: try row.optionalString("borrowed_until"),
                                overdraft: try row.boolean("overdraft"))
                }))
        }
        let period = try days.single()
        return ConsoleLicenseDetail(parts: parts, firstDay: try period.string("first"), today: try period.string("today"), readAt: readAt)
    }

    public func expiring(withinDays days: Int) throws(StoreError) -> ConsoleExpiring {
        try StoreError.translating { () throws(PostgresError) in try readExpiring(withinDays: days) }
    }

    private func readExpiring(withinDays days: Int) throws(PostgresError) -> ConsoleExpiring {
        let readAt = try readAt()
        let rows = try query("""
            SELECT realm, product, license_id, licensee, to_char(valid_until, 'YYYY-MM-DD') AS valid_until, expires_in_days,
                   to_char(maintenance_until, 'YYYY-MM-DD') AS maintenance_until, maintenance_ends_in_days
            FROM report_expiry
            WHERE expires_in_days BETWEEN 0 AND $1 OR maintenance_ends_in_days BETWEEN 0 AND $1
            ORDER BY least(coalesce(expires_in_days, 100000), coalesce(maintenance_ends_in_days, 100000)), realm, license_id
            LIMIT 500
            """, [.integer(days)])
        let entries = try rows.rows.map { row throws(PostgresError) in
            ConsoleExpiring.Entry(
                realm: try row.string("realm"), product: try row.string("product"), licenseID: try row.string("license_id"),
                licensee: try row.optionalString("licensee"), validUntil: try row.optionalString("valid_until"),
                expiresInDays: try row.optionalInteger("expires_in_days").map(Int.init),
                maintenanceUntil: try row.optionalString("maintenance_until"),
                maintenanceEndsInDays: try row.optionalInteger("maintenance_ends_in_days").map(Int.init))
        }
        return ConsoleExpiring(entries: entries, readAt: readAt)
    }

    public func denials(days: Int) throws(StoreError) -> ConsoleDenials {
        try StoreError.translating { () throws(PostgresError) in try readDenials(days: days) }
    }

    private func readDenials(days: Int) throws(PostgresError) -> ConsoleDenials {
        let readAt = try readAt()
        let rows = try query("""
            SELECT realm, license_id, reason, sum(denials) AS denials
            FROM report_denials_by_day WHERE day > current_date - $1::int
            GROUP BY realm, license_id, reason ORDER BY sum(denials) DESC, realm, license_id, reason LIMIT 500
            """, [.integer(days)])
        let entries = try rows.rows.map { row throws(PostgresError) in
            ConsoleDenials.Entry(realm: try row.string("realm"), licenseID: try row.optionalString("license_id"),
                                 reason: try row.string("reason"), denials: Int(try row.integer("denials")))
        }
        return ConsoleDenials(entries: entries, readAt: readAt)
    }
}
