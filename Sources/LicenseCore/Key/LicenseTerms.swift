/// Everything a license key says except its signature: the fields in key order and what
/// they mean. Built only through validation, so every value here is well-formed.
public struct LicenseTerms: Equatable, Sendable {
    /// The base product's scope: its name in answers (SPEC §3), reports and the database. No
    /// option may take it (a key with `option=base` is `malformed-key`).
    public static let baseScope = "base"

    /// One `name=value` field, its value unquoted, exactly as signed.
    public struct Field: Equatable, Sendable {
        public let name: String
        public let value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }

        /// `name=value`, the value quoted only when it holds a space, a tab, `"` or `\`.
        public var canonicalText: String {
            guard value.utf8.contains(where: { ASCII.isBlank($0) || $0 == ASCII.quote || $0 == ASCII.backslash }) else {
                return name + "=" + value
            }
            var quoted = "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(character)
            }
            return name + "=" + quoted + "\""
        }
    }

    /// `rights`, `users` and `hosts` of one scope; nil where the key sets no limit. With them the
    /// scope's `overdraft` (admission may go that many past each limit) and `linger` (seconds a
    /// released or lapsed right keeps counting), SPEC §15.
    public struct Limits: Equatable, Sendable {
        public var rights: Int?
        public var users: Int?
        public var hosts: Int?
        public var overdraft: Int?
        public var lingerSeconds: Int?

        public init(rights: Int? = nil, users: Int? = nil, hosts: Int? = nil, overdraft: Int? = nil, lingerSeconds: Int? = nil) {
            self.rights = rights
            self.users = users
            self.hosts = hosts
            self.overdraft = overdraft
            self.lingerSeconds = lingerSeconds
        }

        /// Whether the scope is limited at all.
        public var isUnlimited: Bool { rights == nil && users == nil && hosts == nil }
    }

    /// An `option=NAME` and the limits that follow it, up to the next option.
    public struct Option: Equatable, Sendable {
        public let name: String
        public let limits: Limits

        public init(name: String, limits: Limits) {
            self.name = name
            self.limits = limits
        }
    }

    public enum LicenseType: String, Equatable, Sendable {
        case floating
        case nodelocked
    }

    /// The issuer a key without `issuer=` names.
    public static let defaultIssuer = "default"

    public let product: String
    /// Every field but the signature, in key order.
    public let fields: [Field]
    public let id: String?
    public let licensee: String?
    public let version: VersionRule?
    public let type: LicenseType
    public let baseLimits: Limits
    public let options: [Option]
    public let duration: DateRange?
    public let maintenance: DateRange?
    public let hosts: [HostPattern]
    public let systemIDs: [String]
    public let issuer: String
    /// `bind=N`: how many computers the holder may bind the license to (SPEC §13); nil: none.
    /// Only on node-locked keys.
    public let bindLimit: Int?
    /// `borrow=DURATION`: the longest a seat may be borrowed, in seconds (SPEC §14); nil: none.
    public let borrowSeconds: Int?

    /// The canonical signed message: the product and each field as `name=value`, in key
    /// order, joined by single spaces.
    public var signedMessage: String {
        ([product] + fields.map(\.canonicalText)).joined(separator: " ")
    }

    /// The option called `name`, if the key licenses it.
    public func option(named name: String) -> Option? {
        options.first { $0.name == name }
    }

    /// Validates a product and its fields (no `signature`), as `licensectl issue` and the
    /// key parser do; the first field in error gives the error.
    public init(product: String, fields: [Field]) throws(LicenseKeyError) {
        var builder = LicenseTermsBuilder()
        try builder.setProduct(product, column: nil)
        for field in fields {
            try builder.add(field, column: nil)
        }
        self = try builder.build()
    }

    init(product: String, fields: [Field], id: String?, licensee: String?, version: VersionRule?, type: LicenseType,
         baseLimits: Limits, options: [Option], duration: DateRange?, maintenance: DateRange?, hosts: [HostPattern],
         systemIDs: [String], issuer: String, bindLimit: Int?, borrowSeconds: Int?) {
        self.product = product
        self.fields = fields
        self.id = id
        self.licensee = licensee
        self.version = version
        self.type = type
        self.baseLimits = baseLimits
        self.options = options
        self.duration = duration
        self.maintenance = maintenance
        self.hosts = hosts
        self.systemIDs = systemIDs
        self.issuer = issuer
        self.bindLimit = bindLimit
        self.borrowSeconds = borrowSeconds
    }

    /// The last second the key is valid, when it has a `duration`: the end of its last day, UTC.
    public var lastValidMoment: UTCTimestamp? {
        duration.map { UTCTimestamp(secondsSince1970: ($0.last.daysSince1970 + 1) * 86_400 - 1) }
    }
}

extension LicenseTerms {
    /// Whether `name` can name an issuer: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with
    /// `.`; it is also the issuer's file name (`NAME.pem`).
    public static func isIssuerName(_ name: String) -> Bool {
        LicenseTermsBuilder.isIssuerName(name)
    }
}
