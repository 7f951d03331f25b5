/// What a client sends each time it starts (SPEC §2): its key line, revision, user ID and
/// domain, and optionally its system ID, instance ID, the options it needs, the product it is,
/// a nonce, the rights it debits and how long it would borrow its seat.
///
/// Every line but the key line is checked here; what is wrong inside the key line is the
/// check's business (`malformed-key`, `unsupported-field`), not a 400.
public struct StartupCode: Equatable, Sendable {
    /// The most bytes a decoded code may have.
    public static let maximumDecodedLength = 4096
    /// The longest REVISION, in characters.
    public static let maximumRevisionLength = 32
    /// Base64url characters of the longest code, with padding.
    public static let maximumEncodedLength = (maximumDecodedLength + 2) / 3 * 4

    /// The key line's bytes as sent; not necessarily UTF-8.
    public let keyLine: [UInt8]
    public let revision: DottedNumber
    public let userID: String
    public let domain: HostName
    public let system: String?
    public let instance: String?
    /// The options this start needs, each once; empty when the code names none.
    public let options: [String]
    /// The product the running program is (rule 5), when the code names it.
    public let product: String?
    /// A value new for every start, asking for an answer bound to this code (SPEC §7).
    public let nonce: String?
    /// The `rights=` line: how many rights this start debits (SPEC §2); nil when the code has none.
    public let rights: Int?
    /// The `borrow=` line as sent (SPEC §14: keep the seat that long without checks); nil when absent.
    public let borrow: String?
    /// The decoded text as the client built it, which a signed answer is bound to (SPEC §7).
    public let text: [UInt8]

    /// The instance a seat is counted for: the instance ID, else the user ID (SPEC §4 rule 9).
    public var effectiveInstance: String { instance ?? userID }
    /// The computer a seat is counted for: the system ID, else the user ID (SPEC §4 rule 9).
    public var effectiveComputer: String { system ?? userID }
    /// The rights this start debits: its `rights=` line, else one (SPEC §2).
    public var debit: Int { rights ?? 1 }
    /// The most rights one start may debit (SPEC §2).
    public static let debitRange = 1...1_000_000
    /// The `borrow=` line's duration in seconds.
    public var borrowSeconds: Int? { self.borrow.flatMap(DurationText.seconds) }

    /// A code from its parts, each checked as decoding would check it.
    public init(keyLine: String, revision: String, userID: String, domain: String,
                system: String? = nil, instance: String? = nil, options: [String] = [], product: String? = nil,
                nonce: String? = nil, rights: Int? = nil, borrow: String? = nil) throws(StartupCodeError) {
        guard !keyLine.utf8.contains(where: { $0 == ASCII.lineFeed || $0 == ASCII.carriageReturn }) else {
            throw StartupCodeError("the key line must not contain a line break")
        }
        self.keyLine = Array(keyLine.utf8)
        self.revision = try Self.revision(revision)
        self.userID = try Self.identifier(userID, line: "USER_ID")
        self.domain = try Self.domain(domain)
        self.system = try system.map { s throws(StartupCodeError) in try Self.systemID(s) }
        self.instance = try instance.map { i throws(StartupCodeError) in try Self.identifier(i, line: "instance") }
        self.options = try Self.optionList(options)
        self.product = try product.map { p throws(StartupCodeError) in try Self.productName(p) }
        self.nonce = try nonce.map { n throws(StartupCodeError) in try Self.nonce(n) }
        if let rights, !Self.debitRange.contains(rights) { throw Self.rightsError }
        self.rights = rights
        self.borrow = try borrow.map { b throws(StartupCodeError) in try Self.borrowDuration(b) }
        let text = Self.text(keyLine: self.keyLine, lines: Self.lines(revision: self.revision, userID: self.userID, domain: self.domain,
                                                                     system: self.system, instance: self.instance, options: self.options,
                                                                     product: self.product, nonce: self.nonce, rights: rights,
                                                                     borrow: self.borrow))
        guard text.count <= Self.maximumDecodedLength else {
            throw StartupCodeError("the code is longer than \(Self.maximumDecodedLength) bytes")
        }
        self.text = text
    }

    /// Decodes a code as a client sent it (base64url, with or without padding).
    public init(decoding encoded: some Collection<UInt8>) throws(StartupCodeError) {
        guard encoded.count <= Self.maximumEncodedLength else {
            throw StartupCodeError("the code is longer than \(Self.maximumDecodedLength) bytes")
        }
        guard let text = Base64URL.decode(encoded) else {
            throw StartupCodeError("the code is not base64url")
        }
        guard !text.isEmpty else { throw StartupCodeError("the code is empty") }
        guard text.count <= Self.maximumDecodedLength else {
            throw StartupCodeError("the code is longer than \(Self.maximumDecodedLength) bytes")
        }
        guard !text.contains(ASCII.carriageReturn) else {
            throw StartupCodeError("the code contains a CR; lines are separated by LF only")
        }
        guard text.last != ASCII.lineFeed else { throw StartupCodeError("the code ends with a line break") }

        let lines = text.split(separator: ASCII.lineFeed, omittingEmptySubsequences: false)
        let names = ["KEY_LINE", "REVISION", "USER_ID", "DOMAIN"]
        guard lines.count >= names.count else {
            throw StartupCodeError("the code has no \(names[lines.count]) line")
        }
        func ascii(_ line: ArraySlice<UInt8>, _ name: String) throws(StartupCodeError) -> String {
            guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw StartupCodeError("\(name) holds a byte outside printable ASCII")
            }
            return String(decoding: line, as: UTF8.self)
        }
        keyLine = Array(lines[0])
        revision = try Self.revision(try ascii(lines[1], "REVISION"))
        userID = try Self.identifier(try ascii(lines[2], "USER_ID"), line: "USER_ID")
        domain = try Self.domain(try ascii(lines[3], "DOMAIN"))

        var system: String?
        var instance: String?
        var options: [String]?
        var product: String?
        var nonce: String?
        var rights: Int?
        var borrow: String?
        for line in lines.dropFirst(names.count) {
            let text = try ascii(line, "an extra line")
            guard let equals = text.firstIndex(of: "=") else {
                throw StartupCodeError("an extra line must be system=, instance=, options=, product=, nonce=, rights= or borrow=")
            }
            let name = text[..<equals]
            let value = String(text[text.index(after: equals)...])
            switch name {
            case "system":
                guard system == nil else { throw StartupCodeError("the system= line appears twice") }
                system = try Self.systemID(value)
            case "instance":
                guard instance == nil else { throw StartupCodeError("the instance= line appears twice") }
                instance = try Self.identifier(value, line: "instance")
            case "options":
                guard options == nil else { throw StartupCodeError("the options= line appears twice") }
                options = try Self.optionList(value.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
            case "product":
                guard product == nil else { throw StartupCodeError("the product= line appears twice") }
                product = try Self.productName(value)
            case "nonce":
                guard nonce == nil else { throw StartupCodeError("the nonce= line appears twice") }
                nonce = try Self.nonce(value)
            case "rights":
                guard rights == nil else { throw StartupCodeError("the rights= line appears twice") }
                rights = try Self.debit(value)
            case "borrow":
                guard borrow == nil else { throw StartupCodeError("the borrow= line appears twice") }
                borrow = try Self.borrowDuration(value)
            default:
                throw StartupCodeError("unknown extra line; expected system=, instance=, options=, product=, nonce=, rights= or borrow=")
            }
        }
        self.system = system
        self.instance = instance
        self.options = options ?? []
        self.product = product
        self.nonce = nonce
        self.rights = rights
        self.borrow = borrow
        self.text = text
    }

    /// Decodes a code given as text.
    public init(decoding encoded: some StringProtocol) throws(StartupCodeError) {
        try self.init(decoding: Array(encoded.utf8))
    }

    /// The code as sent: base64url without padding.
    public var encoded: String {
        Base64URL.encode(text)
    }

    /// The lines after the key line, as a client builds them.
    private static func lines(revision: DottedNumber, userID: String, domain: HostName, system: String?, instance: String?,
                              options: [String], product: String?, nonce: String?, rights: Int?, borrow: String?) -> [String] {
        var lines = [revision.text, userID, domain.text]
        if let system { lines.append("system=" + system) }
        if let instance { lines.append("instance=" + instance) }
        if !options.isEmpty { lines.append("options=" + options.joined(separator: ",")) }
        if let product { lines.append("product=" + product) }
        if let nonce { lines.append("nonce=" + nonce) }
        if let rights { lines.append("rights=" + String(rights)) }
        if let borrow { lines.append("borrow=" + borrow) }
        return lines
    }

    /// The decoded text, byte for byte: the key line as it came (it need not be UTF-8), then
    /// the other lines.
    private static func text(keyLine: [UInt8], lines: [String]) -> [UInt8] {
        keyLine + Array(("\n" + lines.joined(separator: "\n")).utf8)
    }

    private static func revision(_ text: String) throws(StartupCodeError) -> DottedNumber {
        guard text.utf8.count <= maximumRevisionLength, let revision = DottedNumber(text) else {
            throw StartupCodeError("REVISION must be a dotted number ([0-9]+(.[0-9]+)*), at most \(maximumRevisionLength) characters")
        }
        return revision
    }

    /// Whether `text` has the form of a USER_ID or an instance ID: 8 to 128 of `A-Z a-z 0-9 . _ ~ -`.
    public static func isValidIdentifier(_ text: String) -> Bool {
        ASCII.matches(text.utf8, lengths: 8...128, allowed: ASCII.isIDCharacter)
    }

    private static func identifier(_ text: String, line: String) throws(StartupCodeError) -> String {
        guard isValidIdentifier(text) else {
            throw StartupCodeError("\(line) must be 8 to 128 of A-Z a-z 0-9 . _ ~ -")
        }
        return text
    }

    private static func domain(_ text: String) throws(StartupCodeError) -> HostName {
        guard let name = HostName(text) else {
            throw StartupCodeError("DOMAIN must be a host name (labels of letters, digits, - and _) or an IP literal, at most \(HostName.maximumLength) characters")
        }
        return name
    }

    private static func systemID(_ text: String) throws(StartupCodeError) -> String {
        guard SystemIDSyntax.isValid(text) else {
            throw StartupCodeError("system must be TYPE_VALUE: TYPE letters, VALUE printable ASCII without spaces or quotes, 64 characters at most")
        }
        return text
    }

    /// Each name once: a repeated one would be two requests for one seat (SPEC §2).
    private static func optionList(_ names: [String]) throws(StartupCodeError) -> [String] {
        guard names.allSatisfy({ ASCII.isProductName($0.utf8) }) else {
            throw StartupCodeError("options must be option names ([A-Za-z0-9][A-Za-z0-9._+-]*) separated by commas, none empty")
        }
        guard Set(names).count == names.count else {
            throw StartupCodeError("an option is named twice in options=")
        }
        return names
    }

    private static func productName(_ text: String) throws(StartupCodeError) -> String {
        guard ASCII.isProductName(text.utf8) else {
            throw StartupCodeError("product must be a product name ([A-Za-z0-9][A-Za-z0-9._+-]*)")
        }
        return text
    }

    private static let rightsError = StartupCodeError("rights must be a whole number from 1 to 1000000, without leading zeros")

    private static func debit(_ text: String) throws(StartupCodeError) -> Int {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.count <= 7, text.utf8.allSatisfy(ASCII.isDigit),
              let value = Int(text), debitRange.contains(value) else { throw rightsError }
        return value
    }

    private static func borrowDuration(_ text: String) throws(StartupCodeError) -> String {
        guard DurationText.seconds(text) != nil else {
            throw StartupCodeError("borrow must be a duration: a number from 1 and a unit, 90s, 15m, 24h or 14d")
        }
        return text
    }

    /// The lengths a nonce may have (SPEC §2).
    public static let nonceLengths = 16...128

    private static func nonce(_ text: String) throws(StartupCodeError) -> String {
        guard ASCII.matches(text.utf8, lengths: nonceLengths, allowed: ASCII.isIDCharacter) else {
            throw StartupCodeError("nonce must be 16 to 128 of A-Z a-z 0-9 . _ ~ -")
        }
        return text
    }
}

/// A startup code that cannot be read: one line saying what is wrong, fit for a 400 answer.
/// It never repeats the code's values, so it is safe to log.
public struct StartupCodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
