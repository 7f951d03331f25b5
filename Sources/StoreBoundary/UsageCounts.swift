import Foundation

/// What a pool counted in memory since its last write (SPEC's reports): checks and denials per
/// license scope and day, denials per reason, clients' domains and revisions. The pool's
/// counters fill it; the usage store adds it to the history in one statement.
public struct UsageCounts: Sendable {
    /// The most new (domain, revision) pairs a license adds to its history in a UTC day: a client
    /// that sends a new revision with every check cannot grow the history without bound.
    public static let newClientsPerLicenseAndDay = 100

    public struct Scope: Sendable {
        public let license: LicenseIdentity
        public let scope: String
        /// The UTC day, `YYYY-MM-DD`.
        public let day: String
        public let checks: Int
        public let denials: Int

        public init(license: LicenseIdentity, scope: String, day: String, checks: Int, denials: Int) {
            self.license = license
            self.scope = scope
            self.day = day
            self.checks = checks
            self.denials = denials
        }
    }

    public struct Denial: Sendable {
        public let license: LicenseIdentity
        public let day: String
        public let reason: String
        public let denials: Int

        public init(license: LicenseIdentity, day: String, reason: String, denials: Int) {
            self.license = license
            self.day = day
            self.reason = reason
            self.denials = denials
        }
    }

    public struct Client: Sendable {
        public let license: LicenseIdentity
        public let domain: String
        public let revision: String
        public let first: Date
        public let last: Date
        public let checks: Int

        public init(license: LicenseIdentity, domain: String, revision: String, first: Date, last: Date, checks: Int) {
            self.license = license
            self.domain = domain
            self.revision = revision
            self.first = first
            self.last = last
            self.checks = checks
        }
    }

    public var scopes: [Scope]
    public var denials: [Denial]
    public var clients: [Client]

    public init(scopes: [Scope] = [], denials: [Denial] = [], clients: [Client] = []) {
        self.scopes = scopes
        self.denials = denials
        self.clients = clients
    }
}
