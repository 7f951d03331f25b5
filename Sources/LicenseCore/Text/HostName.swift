/// A DOMAIN as SPEC §2 allows it: a DNS name of letters, digits, `-` and `_` labels (IDNA names
/// in their `xn--` form), an IPv4 literal, or an IPv6 literal with or without brackets; at most
/// 253 characters. Kept in lower case, IPv6 without brackets, because it is compared so.
public struct HostName: Hashable, Sendable, CustomStringConvertible {
    /// The most characters a DOMAIN may have.
    public static let maximumLength = 253

    /// The name in lower case (an IPv6 literal without its brackets).
    public let text: String

    /// Reads a host name or IP literal; nil when it is neither.
    public init?(_ raw: some StringProtocol) {
        let bytes = Array(raw.utf8)
        guard !bytes.isEmpty, bytes.count <= HostName.maximumLength else { return nil }
        if bytes.contains(ASCII.colon) {
            var inner = bytes[...]
            if inner.first == 0x5B {
                guard inner.last == 0x5D else { return nil }
                inner = inner.dropFirst().dropLast()
            }
            guard HostName.isIPv6(inner) else { return nil }
            text = String(decoding: inner, as: UTF8.self).lowercased()
        } else {
            guard HostName.isDNSName(bytes[...]) else { return nil }
            text = String(decoding: bytes, as: UTF8.self).lowercased()
        }
    }

    public var description: String { text }

    /// Dot-separated labels of 1 to 63 letters, digits, `-` and `_`; this also admits IPv4 literals.
    static func isDNSName(_ bytes: ArraySlice<UInt8>) -> Bool {
        let labels = bytes.split(separator: ASCII.dot, omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            ASCII.matches(label, lengths: 1...63) { ASCII.isLetterOrDigit($0) || $0 == ASCII.hyphen || $0 == ASCII.underscore }
        }
    }

    /// RFC 4291 text form: up to eight groups of 1–4 hex digits, at most one `::`, an optional
    /// trailing dotted IPv4 part counting as two groups.
    static func isIPv6(_ bytes: ArraySlice<UInt8>) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return false }
        var groupCount = 0
        for (halfIndex, half) in halves.enumerated() {
            if half.isEmpty { continue }
            let groups = half.split(separator: ":", omittingEmptySubsequences: false)
            for (groupIndex, group) in groups.enumerated() {
                let isLastGroup = halfIndex == halves.count - 1 && groupIndex == groups.count - 1
                if isLastGroup, group.contains(".") {
                    let octets = group.split(separator: ".", omittingEmptySubsequences: false)
                    // Int(octet)! cannot fail: one to three ASCII digits, checked first.
                    guard octets.count == 4, octets.allSatisfy({ octet in
                        (1...3).contains(octet.count) && octet.utf8.allSatisfy(ASCII.isDigit) && Int(octet)! <= 255
                    }) else { return false }
                    groupCount += 2
                } else {
                    guard (1...4).contains(group.count), group.utf8.allSatisfy(ASCII.isHexDigit) else { return false }
                    groupCount += 1
                }
            }
        }
        return halves.count == 2 ? groupCount <= 7 : groupCount == 8
    }

    /// The host of a browser's `Origin` header (`https://app.example.com:8443`), or nil for
    /// `null` and anything that is not a `scheme://host[:port]` origin.
    public init?(origin text: some StringProtocol) {
        let origin = Substring(text)
        guard let schemeEnd = origin.firstRange(of: "://") else { return nil }
        let scheme = origin[..<schemeEnd.lowerBound]
        guard let first = scheme.utf8.first, ASCII.isLetter(first),
              scheme.utf8.allSatisfy({ ASCII.isLetterOrDigit($0) || $0 == 0x2B || $0 == ASCII.hyphen || $0 == ASCII.dot })
        else { return nil }
        var authority = origin[schemeEnd.upperBound...]
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || HostName.isPortSuffix(rest) else { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard HostName.isPortSuffix(authority[colon...]) else { return nil }
        } else {
            host = authority
        }
        self.init(host)
    }

    private static func isPortSuffix(_ text: Substring) -> Bool {
        text.first == ":" && (2...6).contains(text.count) && text.dropFirst().utf8.allSatisfy(ASCII.isDigit)
    }
}

/// A `host=` field: a name compared case-insensitively, or `*.example.com`, which covers
/// every subdomain at any depth but not `example.com` itself.
public enum HostPattern: Equatable, Sendable, CustomStringConvertible {
    case exactly(HostName)
    /// `*.` followed by this suffix.
    case subdomains(of: HostName)

    /// Reads a `host=` value.
    public init?(_ text: some StringProtocol) {
        if text.hasPrefix("*.") {
            let suffix = text.dropFirst(2)
            guard !suffix.contains(":"), let name = HostName(suffix) else { return nil }
            self = .subdomains(of: name)
        } else {
            guard let name = HostName(text) else { return nil }
            self = .exactly(name)
        }
    }

    /// Whether the pattern covers `domain`.
    public func covers(_ domain: HostName) -> Bool {
        switch self {
        case .exactly(let name):
            return name == domain
        case .subdomains(of: let parent):
            return domain.text.count > parent.text.count + 1 && domain.text.hasSuffix("." + parent.text)
        }
    }

    public var description: String {
        switch self {
        case .exactly(let name): name.text
        case .subdomains(of: let parent): "*." + parent.text
        }
    }
}
