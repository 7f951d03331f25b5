import LicenseCore
import Postgres
import StoreBoundary

/// One active seat as `licensectl seats` shows it (SPEC §15): named by handles, never by an ID.
public struct SeatListing: Sendable, Equatable {
    public let realm: String
    public let issuer: String
    public let product: String
    public let scope: String
    /// 12 hex digits of the seat's keyed hashes: the same in every scope, what `free` takes.
    public let seat: String
    /// 12 hex digits of its computer's keyed hash.
    public let computer: String
    public let rights: Int
    /// RFC 3339, UTC.
    public let firstSeen: String
    public let lastSeen: String
    public let borrowedUntil: String?
    public let overdraft: Bool
}

/// What `licensectl free` came to.
public enum FreeOutcome: Sendable, Equatable {
    /// How many seats (handles) were ended.
    case freed(Int)
    /// Handles that name no seat of the license: nothing was freed.
    case unknownHandles([String])
}

/// `licensectl seats` and `free` (SPEC §15): the vendor's staff see a license's seats and end
/// those of a computer that died, without waiting for the lease. Run as the owner role.
extension Administration {
    /// The license's seats that count now (`report_active_seats`), in every realm when `realm`
    /// is nil, by scope and then the oldest check first.
    public func seats(licenseID: String, realm: String?) throws(StoreError) -> [SeatListing] {
        let rows = try run("""
            SELECT realm, issuer, product, scope, seat, computer, rights,
                   \(Self.rfc3339("first_seen")) AS first_seen, \(Self.rfc3339("last_seen")) AS last_seen,
                   \(Self.rfc3339("borrowed_until")) AS borrowed_until, overdraft
            FROM report_active_seats WHERE license_id = $1 AND ($2::text IS NULL OR realm = $2)
            ORDER BY realm, issuer, product, scope <> $3, scope, last_seen, seat
            """, [.text(licenseID), .text(realm), .text(LicenseTerms.baseScope)])
        return try StoreError.translating { () throws(PostgresError) in
            var listings: [SeatListing] = []
            for row in rows.rows {
                listings.append(SeatListing(
                    realm: try row.string("realm"), issuer: try row.string("issuer"), product: try row.string("product"),
                    scope: try row.string("scope"), seat: try row.string("seat"), computer: try row.string("computer"),
                    rights: Int(try row.integer("rights")), firstSeen: try row.string("first_seen"), lastSeen: try row.string("last_seen"),
                    borrowedUntil: try row.optionalString("borrowed_until"), overdraft: try row.boolean("overdraft")))
            }
            return listings
        }
    }

    /// Ends the seats of `handles` in every scope, all or none: a handle that names no seat of
    /// the license frees nothing.
    public func freeSeats(licenseID: String, realm: String?, handles: [String]) throws(StoreError) -> FreeOutcome {
        try StoreError.translating { () throws(PostgresError) in
            try connection.transaction { () throws(PostgresError) in
                let known = try connection.execute("""
                    SELECT DISTINCT seat_handle(user_hash, instance_hash, computer_hash) AS handle FROM seats
                    WHERE license_id = $1 AND ($2::text IS NULL OR realm = $2)
                      AND seat_handle(user_hash, instance_hash, computer_hash) = ANY ($3::text[])
                    """, [.text(licenseID), .text(realm), .textArray(handles)])
                var found: Set<String> = []
                for row in known.rows { found.insert(try row.string("handle")) }
                let unknown = handles.filter { !found.contains($0) }
                guard unknown.isEmpty else { return .unknownHandles(unknown) }
                let freed = try connection.execute("SELECT free_seats($1, $2, $3::text[], NULL) AS freed",
                                                   [.text(realm), .text(licenseID), .textArray(handles)])
                return .freed(Int(try freed.single().integer("freed")))
            }
        }
    }

    /// Ends every seat of the license last seen longer ago than `seconds`, in every scope.
    public func freeSeats(licenseID: String, realm: String?, olderThan seconds: Int) throws(StoreError) -> Int {
        let rows = try run("SELECT free_seats($1, $2, '{}', $3::interval) AS freed",
                           [.text(realm), .text(licenseID), .text("\(seconds) seconds")])
        return try StoreError.translating { () throws(PostgresError) in Int(try rows.single().integer("freed")) }
    }

    private static func rfc3339(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }
}
