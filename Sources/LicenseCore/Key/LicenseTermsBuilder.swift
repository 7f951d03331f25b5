/// Gives each field of a key its meaning, in key order, enforcing SPEC §1's forms, counts and
/// scopes. Shared by the key parser and by issuing, so both accept exactly the same keys.
struct LicenseTermsBuilder {
    /// The field names SPEC §1 defines, `signature` aside; any other is `unsupported-field`.
    static let knownNames: Set<String> = [
        "id", "licensee", "version", "type", "rights", "users", "hosts", "option",
        "duration", "maintenance", "host", "systemid", "issuer", "bind", "borrow", "overdraft", "linger",
    ]

    private var product = ""
    private var fields: [LicenseTerms.Field] = []
    private var id: String?
    private var licensee: String?
    private var version: VersionRule?
    private var type: LicenseTerms.LicenseType?
    private var baseLimits = LicenseTerms.Limits()
    private var options: [LicenseTerms.Option] = []
    /// The option whose limits the next `rights`/`users`/`hosts` set; nil: the base product.
    private var currentOption: (name: String, limits: LicenseTerms.Limits)?
    private var duration: DateRange?
    private var maintenance: DateRange?
    private var hosts: [HostPattern] = []
    private var systemIDs: [String] = []
    private var issuer: String?
    private var bindLimit: Int?
    private var borrowSeconds: Int?

    mutating func setProduct(_ name: String, column: Int?) throws(LicenseKeyError) {
        guard ASCII.isProductName(name.utf8) else {
            throw .malformed("the product must be [A-Za-z0-9][A-Za-z0-9._+-]*", column: column)
        }
        product = name
    }

    mutating func add(_ field: LicenseTerms.Field, column: Int?) throws(LicenseKeyError) {
        let name = field.name
        let value = field.value
        func malformed(_ message: String) -> LicenseKeyError { .malformed("\(name): \(message)", column: column) }
        func once<T>(_ existing: T?) throws(LicenseKeyError) {
            if existing != nil { throw malformed("appears more than once") }
        }

        guard !name.isEmpty, name.utf8.allSatisfy({ ASCII.isLetterOrDigit($0) || $0 == ASCII.underscore || $0 == ASCII.hyphen || $0 == ASCII.dot }) else {
            throw .malformed("a field name must be letters, digits, '_', '-' or '.'", column: column)
        }
        if name == "signature" {
            throw .malformed("signature must be the last field, once", column: column)
        }
        guard Self.knownNames.contains(name) else {
            throw LicenseKeyError(.unsupportedField, "unknown field '\(name)'", column: column)
        }
        guard !value.isEmpty else { throw malformed("empty value") }

        switch name {
        case "id":
            try once(id)
            guard ASCII.matches(value.utf8, lengths: 1...64, allowed: { ASCII.isLetterOrDigit($0) || $0 == ASCII.dot || $0 == ASCII.underscore || $0 == ASCII.hyphen }) else {
                throw malformed("must be 1 to 64 of A-Z a-z 0-9 . _ -")
            }
            id = value
        case "licensee":
            try once(licensee)
            licensee = value
        case "version":
            try once(version)
            guard let rule = VersionRule(value) else { throw malformed("must be V, +V or -V with V a dotted number") }
            version = rule
        case "type":
            try once(type)
            guard let licenseType = LicenseTerms.LicenseType(rawValue: value) else {
                throw malformed("must be floating or nodelocked")
            }
            type = licenseType
        case "rights", "users", "hosts", "overdraft", "linger":
            let number = name == "linger" ? DurationText.seconds(value) : Self.limit(value)
            guard let limit = number else {
                throw malformed(name == "linger" ? "must be a duration: a number from 1 and a unit, 90s, 15m, 24h or 14d"
                                                 : "must be a whole number from 1, without leading zeros")
            }
            var limits = currentOption?.limits ?? baseLimits
            let keyPath: WritableKeyPath<LicenseTerms.Limits, Int?> = switch name {
            case "rights": \.rights
            case "users": \.users
            case "hosts": \.hosts
            case "overdraft": \.overdraft
            default: \.lingerSeconds
            }
            if limits[keyPath: keyPath] != nil {
                throw malformed(currentOption == nil ? "appears twice for the base product" : "appears twice for one option")
            }
            limits[keyPath: keyPath] = limit
            if currentOption != nil { currentOption!.limits = limits } else { baseLimits = limits }
        case "option":
            guard ASCII.isProductName(value.utf8) else { throw malformed("must be [A-Za-z0-9][A-Za-z0-9._+-]*") }
            guard value != LicenseTerms.baseScope else { throw malformed("\(value) names the base product's scope, not an option") }
            closeCurrentOption()
            guard !options.contains(where: { $0.name == value }) else { throw malformed("option \(value) appears twice") }
            currentOption = (value, LicenseTerms.Limits())
        case "duration":
            try once(duration)
            duration = try Self.dateRange(value, malformed)
        case "maintenance":
            try once(maintenance)
            maintenance = try Self.dateRange(value, malformed)
        case "host":
            guard let pattern = HostPattern(value) else {
                throw malformed("must be a host name, an IP literal or *.domain")
            }
            hosts.append(pattern)
        case "systemid":
            guard SystemIDSyntax.isValid(value) else {
                throw malformed("must be TYPE_VALUE, TYPE letters, VALUE printable ASCII without spaces or quotes, 64 characters at most")
            }
            systemIDs.append(value)
        case "issuer":
            try once(issuer)
            guard Self.isIssuerName(value) else { throw malformed("must be 1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.'") }
            issuer = value
        case "bind":
            try once(bindLimit)
            guard let limit = Self.limit(value) else { throw malformed("must be a whole number from 1, without leading zeros") }
            bindLimit = limit
        case "borrow":
            try once(borrowSeconds)
            guard let seconds = DurationText.seconds(value) else {
                throw malformed("must be a duration: a number from 1 and a unit, 90s, 15m, 24h or 14d")
            }
            borrowSeconds = seconds
        default:
            // Unreachable from input: unknown names were refused above; this catches a field
            // added to the known list without its rule, which every key test would hit.
            preconditionFailure("a known field without a rule: \(name)")
        }
        fields.append(field)
    }

    /// An issuer name, which is also a file name (`NAME.pem`): no path separators, no leading dot.
    static func isIssuerName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != ASCII.dot else { return false }
        return ASCII.matches(name.utf8, lengths: 1...64) { ASCII.isLetterOrDigit($0) || $0 == ASCII.dot || $0 == ASCII.underscore || $0 == ASCII.hyphen }
    }

    private static func limit(_ text: String) -> Int? {
        guard let first = text.utf8.first, first != 0x30, text.utf8.allSatisfy(ASCII.isDigit) else { return nil }
        return Int(text)
    }

    private static func dateRange(_ text: String, _ malformed: (String) -> LicenseKeyError) throws(LicenseKeyError) -> DateRange {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw malformed("must be DDMonYYYY-DDMonYYYY") }
        guard let first = LicenseDate(keyText: parts[0]), let last = LicenseDate(keyText: parts[1]) else {
            throw malformed("not a real date in DDMonYYYY form (two-digit day, Jan…Dec, four-digit year)")
        }
        guard let range = DateRange(first: first, last: last) else { throw malformed("the first day is after the last") }
        return range
    }

    private mutating func closeCurrentOption() {
        if let option = currentOption {
            options.append(LicenseTerms.Option(name: option.name, limits: option.limits))
            currentOption = nil
        }
    }

    /// The terms, once every field is in: a rule between fields (`bind=` on a floating key,
    /// whichever comes first) is checked here.
    mutating func build() throws(LicenseKeyError) -> LicenseTerms {
        closeCurrentOption()
        if bindLimit != nil, type == .floating {
            throw .malformed("bind: a floating key cannot be bound by its holder (bind= is for node-locked keys)", column: nil)
        }
        return LicenseTerms(
            product: product, fields: fields, id: id, licensee: licensee, version: version,
            type: type ?? .nodelocked, baseLimits: baseLimits, options: options, duration: duration,
            maintenance: maintenance, hosts: hosts, systemIDs: systemIDs, issuer: issuer ?? LicenseTerms.defaultIssuer, bindLimit: bindLimit,
            borrowSeconds: borrowSeconds)
    }
}
