/// What the console reads (SPEC §12), from the report views only, through a connection of its
/// own as `license_reporter`. Every answer carries the moment the database read it.
/// Every method throws only `StoreError` (a 503 page).
public protocol ConsoleReading: AnyObject {
    /// Licenses, the fullest first; `search` matches a license id exactly or a licensee in part.
    func licenses(search: String?, offset: Int, limit: Int) throws(StoreError) -> ConsoleLicenses
    /// Every license of `id` in `realm` (one per issuer and product), with its use; nil when none.
    func license(realm: String, id: String) throws(StoreError) -> ConsoleLicenseDetail?
    /// Licenses whose validity or maintenance ends within `days`.
    func expiring(withinDays days: Int) throws(StoreError) -> ConsoleExpiring
    /// Refusals of the last `days`, by license and reason.
    func denials(days: Int) throws(StoreError) -> ConsoleDenials
}

/// A limit and what of it is in use.
public struct ConsoleScope: Sendable, Equatable {
    public var scope: String
    public var usersLimit: Int?
    public var usersActive: Int
    public var hostsLimit: Int?
    public var hostsActive: Int
    public var rightsLimit: Int?
    public var rightsActive: Int
    public var percentUsed: Double?

    public init(scope: String, usersLimit: Int?, usersActive: Int, hostsLimit: Int?, hostsActive: Int, rightsLimit: Int?,
                rightsActive: Int, percentUsed: Double?) {
        self.scope = scope
        self.usersLimit = usersLimit
        self.usersActive = usersActive
        self.hostsLimit = hostsLimit
        self.hostsActive = hostsActive
        self.rightsLimit = rightsLimit
        self.rightsActive = rightsActive
        self.percentUsed = percentUsed
    }
}

/// A license as SPEC §1 names it (realm, issuer, product, id), with what the console lists.
public struct ConsoleLicense: Sendable, Equatable {
    public var realm: String
    public var issuer: String
    public var product: String
    public var licenseID: String
    public var licensee: String?
    /// The last day of `duration`, `YYYY-MM-DD`; nil for a key without an end.
    public var validUntil: String?
    public var percentUsed: Double?
    public var scopes: [ConsoleScope]

    public init(realm: String, issuer: String, product: String, licenseID: String, licensee: String?, validUntil: String?,
                percentUsed: Double?, scopes: [ConsoleScope]) {
        self.realm = realm
        self.issuer = issuer
        self.product = product
        self.licenseID = licenseID
        self.licensee = licensee
        self.validUntil = validUntil
        self.percentUsed = percentUsed
        self.scopes = scopes
    }
}

public struct ConsoleLicenses: Sendable, Equatable {
    public var licenses: [ConsoleLicense]
    /// Whether more licenses follow the last one shown.
    public var hasMore: Bool
    /// When the database read them (UTC, `YYYY-MM-DD HH:MM:SS`), and when their use was counted.
    public var readAt: String
    public var countedAt: String?

    public init(licenses: [ConsoleLicense], hasMore: Bool, readAt: String, countedAt: String?) {
        self.licenses = licenses
        self.hasMore = hasMore
        self.readAt = readAt
        self.countedAt = countedAt
    }
}

/// Distinct users and computers of one day (the base scope).
public struct ConsoleDay: Sendable, Equatable {
    /// `YYYY-MM-DD`.
    public var day: String
    /// Days since the first day of the chart's 90 (0 to 89; 89 is today).
    public var index: Int
    public var users: Int
    public var hosts: Int

    public init(day: String, index: Int, users: Int, hosts: Int) {
        self.day = day
        self.index = index
        self.users = users
        self.hosts = hosts
    }
}

public struct ConsoleCount: Sendable, Equatable {
    public var name: String
    public var count: Int

    public init(name: String, count: Int) {
        self.name = name
        self.count = count
    }
}

public struct ConsoleClient: Sendable, Equatable {
    public var domain: String
    public var revision: String
    public var checks: Int
    public var lastSeen: String

    public init(domain: String, revision: String, checks: Int, lastSeen: String) {
        self.domain = domain
        self.revision = revision
        self.checks = checks
        self.lastSeen = lastSeen
    }
}

/// One license page: each license of the id in the realm, its use now (counted live) and history.
/// A license's bindings by its holder (SPEC §13): how many of `limit` computers, each by its handle.
public struct ConsoleBindings: Sendable, Equatable {
    public struct Computer: Sendable, Equatable {
        /// 12 hex digits of the computer's keyed hash: no system ID is kept.
        public var handle: String
        public var boundAt: String

        public init(handle: String, boundAt: String) {
            self.handle = handle
            self.boundAt = boundAt
        }
    }

    /// The latest key's `bind=`; nil when it has none.
    public var limit: Int?
    public var computers: [Computer]
    public var unboundIn30Days: Int

    public init(limit: Int?, computers: [Computer], unboundIn30Days: Int) {
        self.limit = limit
        self.computers = computers
        self.unboundIn30Days = unboundIn30Days
    }
}

/// A seat that counts now, by its handles (SPEC §15).
public struct ConsoleSeat: Sendable, Equatable {
    public var scope: String
    public var seat: String
    public var computer: String
    public var rights: Int
    public var firstSeen: String
    public var lastSeen: String
    public var borrowedUntil: String?
    public var overdraft: Bool

    public init(scope: String, seat: String, computer: String, rights: Int, firstSeen: String, lastSeen: String,
                borrowedUntil: String?, overdraft: Bool) {
        self.scope = scope
        self.seat = seat
        self.computer = computer
        self.rights = rights
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.borrowedUntil = borrowedUntil
        self.overdraft = overdraft
    }
}

/// A seat borrowed now (SPEC §14): its scope, its computer's handle and when the borrow ends.
public struct ConsoleBorrowedSeat: Sendable, Equatable {
    public var scope: String
    /// 12 hex digits of the computer's keyed hash.
    public var computer: String
    public var borrowedUntil: String

    public init(scope: String, computer: String, borrowedUntil: String) {
        self.scope = scope
        self.computer = computer
        self.borrowedUntil = borrowedUntil
    }
}

public struct ConsoleLicenseDetail: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public var license: ConsoleLicense
        /// The last 90 days that have figures, oldest first.
        public var days: [ConsoleDay]
        /// Refusals of the last 30 days by reason, the most first.
        public var denials: [ConsoleCount]
        public var clients: [ConsoleClient]
        /// The computers its holder bound it to (SPEC §13); nil when its key has no `bind=` and none are bound.
        public var bindings: ConsoleBindings?
        /// Seats borrowed now (SPEC §14), the soonest back first.
        public var borrowed: [ConsoleBorrowedSeat]
        /// The seats that count now, as `licensectl seats` lists them (SPEC §15).
        public var seats: [ConsoleSeat]

        public init(license: ConsoleLicense, days: [ConsoleDay], denials: [ConsoleCount], clients: [ConsoleClient],
                    bindings: ConsoleBindings? = nil, borrowed: [ConsoleBorrowedSeat] = [], seats: [ConsoleSeat] = []) {
            self.license = license
            self.days = days
            self.denials = denials
            self.clients = clients
            self.bindings = bindings
            self.borrowed = borrowed
            self.seats = seats
        }
    }

    public var parts: [Part]
    /// The first of the 90 days the chart covers and the last (today), `YYYY-MM-DD`.
    public var firstDay: String
    public var today: String
    public var readAt: String

    public init(parts: [Part], firstDay: String, today: String, readAt: String) {
        self.parts = parts
        self.firstDay = firstDay
        self.today = today
        self.readAt = readAt
    }
}

public struct ConsoleExpiring: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var realm: String
        public var product: String
        public var licenseID: String
        public var licensee: String?
        public var validUntil: String?
        public var expiresInDays: Int?
        public var maintenanceUntil: String?
        public var maintenanceEndsInDays: Int?

        public init(realm: String, product: String, licenseID: String, licensee: String?, validUntil: String?, expiresInDays: Int?,
                    maintenanceUntil: String?, maintenanceEndsInDays: Int?) {
            self.realm = realm
            self.product = product
            self.licenseID = licenseID
            self.licensee = licensee
            self.validUntil = validUntil
            self.expiresInDays = expiresInDays
            self.maintenanceUntil = maintenanceUntil
            self.maintenanceEndsInDays = maintenanceEndsInDays
        }
    }

    public var entries: [Entry]
    public var readAt: String

    public init(entries: [Entry], readAt: String) {
        self.entries = entries
        self.readAt = readAt
    }
}

public struct ConsoleDenials: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var realm: String
        /// nil for keys refused before their signature verified.
        public var licenseID: String?
        public var reason: String
        public var denials: Int

        public init(realm: String, licenseID: String?, reason: String, denials: Int) {
            self.realm = realm
            self.licenseID = licenseID
            self.reason = reason
            self.denials = denials
        }
    }

    public var entries: [Entry]
    public var readAt: String

    public init(entries: [Entry], readAt: String) {
        self.entries = entries
        self.readAt = readAt
    }
}
