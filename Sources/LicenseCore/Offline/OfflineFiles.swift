/// The files that carry a check to and from a computer that is never online (SPEC §14): a
/// request (the startup code, with a fresh nonce) and the server's answer to it. Small, readable
/// text, at most 8 KiB, that can be typed, mailed or carried; neither holds a secret.
///
/// Both are a first line naming the format, then `name: value` lines, each name once:
///
/// ```
/// license-request/1                  license-answer/1
/// product: X-META-X                  status: 200
/// license-domain: plant.example      signature: t=…, until=…, sig=…
/// borrow: 14d                        body: valid
/// code: WC1NRVRBLVggaWQ9…
/// ```
///
/// In a request only `code` counts (the other lines say what it asks, for the person who
/// carries it, and must agree with it); in an answer `body` is the answer's one line, without
/// its line feed.
public enum OfflineFile {
    /// The largest file either may be, in bytes.
    public static let maximumLength = 8192

    /// A file that is not one of these: one line saying what is wrong.
    public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// The `name: value` lines of a file whose first line is `format`.
    static func fields(of bytes: [UInt8], format: String, known: Set<String>) throws(FormatError) -> [String: String] {
        guard bytes.count <= maximumLength else { throw FormatError("the file is longer than \(maximumLength) bytes") }
        guard bytes.allSatisfy({ $0 == 0x0A || ($0 >= 0x20 && $0 < 0x7F) }) else {
            throw FormatError("the file holds a byte that is not printable ASCII (or a CR)")
        }
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        // One line feed may end the file; nothing else may follow the last line.
        if lines.last == "" { lines.removeLast() }
        guard lines.first == format else { throw FormatError("the first line must be \(format)") }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            let bytes = Array(line.utf8)
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon + 1 < bytes.count, bytes[colon + 1] == 0x20 else {
                throw FormatError("a line is not name: value")
            }
            let name = String(decoding: bytes[..<colon], as: UTF8.self)
            guard known.contains(name) else { throw FormatError("unknown line \(name.prefix(40))") }
            guard fields[name] == nil else { throw FormatError("the \(name) line appears twice") }
            fields[name] = String(decoding: bytes[(colon + 2)...], as: UTF8.self)
        }
        return fields
    }

    static func text(format: String, _ lines: [(String, String?)]) -> String {
        ([format] + lines.compactMap { name, value in value.map { "\(name): \($0)" } }).joined(separator: "\n") + "\n"
    }
}

/// A request from a computer that is never online: the startup code it would send.
public struct OfflineRequest: Equatable, Sendable {
    public static let format = "license-request/1"
    public let code: StartupCode

    /// A request for `code`, which must carry a nonce (the answer is bound to it).
    public init(code: StartupCode) throws(OfflineFile.FormatError) {
        guard code.nonce != nil else { throw OfflineFile.FormatError("a request's code must carry a nonce") }
        self.code = code
    }

    /// Reads a request file.
    public init(parsing bytes: [UInt8]) throws(OfflineFile.FormatError) {
        let fields = try OfflineFile.fields(of: bytes, format: Self.format,
                                            known: ["product", "license-domain", "revision", "borrow", "rights", "code"])
        guard let encoded = fields["code"] else { throw OfflineFile.FormatError("the request has no code line") }
        let code: StartupCode
        do {
            code = try StartupCode(decoding: encoded)
        } catch {
            throw OfflineFile.FormatError("the request's code: \(error.message)")
        }
        try self.init(code: code)
        guard fields == Self.describing(code) else {
            throw OfflineFile.FormatError("the request's lines do not say what its code asks")
        }
    }

    /// The file's text.
    public var text: String {
        let described = Self.describing(code)
        return OfflineFile.text(format: Self.format, ["product", "license-domain", "revision", "rights", "borrow", "code"].map {
            ($0, described[$0])
        })
    }

    /// What the code asks, as the file's lines say it for a person. The product is the key
    /// line's first token, when it has one that can be read.
    private static func describing(_ code: StartupCode) -> [String: String] {
        var lines = ["license-domain": code.domain.text, "revision": code.revision.text, "code": code.encoded]
        let product = code.keyLine.prefix { $0 != 0x20 && $0 != 0x09 }
        if !product.isEmpty, ASCII.isProductName(product) { lines["product"] = String(decoding: product, as: UTF8.self) }
        if let rights = code.rights { lines["rights"] = String(rights) }
        if let borrow = code.borrow { lines["borrow"] = borrow }
        return lines
    }
}

/// The server's answer to a request, as `licensectl answer` writes it: the HTTP status, the
/// `License-Signature` header (when the server signed) and the one-line body.
public struct OfflineAnswer: Equatable, Sendable {
    public static let format = "license-answer/1"
    public let status: Int
    public let signature: String?
    /// The answer's line, without its line feed (`valid`, `invalid REASON`).
    public let line: String

    public init(status: Int, signature: String?, line: String) throws(OfflineFile.FormatError) {
        guard (100...599).contains(status) else { throw OfflineFile.FormatError("the status must be 100 to 599") }
        guard line.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), !line.isEmpty else {
            throw OfflineFile.FormatError("the body must be one line of printable ASCII")
        }
        if let signature, !signature.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            throw OfflineFile.FormatError("the signature must be printable ASCII")
        }
        self.status = status
        self.signature = signature
        self.line = line
    }

    /// Reads an answer file.
    public init(parsing bytes: [UInt8]) throws(OfflineFile.FormatError) {
        let fields = try OfflineFile.fields(of: bytes, format: Self.format, known: ["status", "signature", "body"])
        guard let statusText = fields["status"], statusText.utf8.count == 3, statusText.utf8.allSatisfy(ASCII.isDigit),
              let status = Int(statusText) else { throw OfflineFile.FormatError("the answer has no status line of three digits") }
        guard let line = fields["body"] else { throw OfflineFile.FormatError("the answer has no body line") }
        try self.init(status: status, signature: fields["signature"], line: line)
    }

    /// The body's bytes as the server sent them: the line and its line feed.
    public var body: [UInt8] { Array((line + "\n").utf8) }

    /// The file's text.
    public var text: String {
        OfflineFile.text(format: Self.format, [("status", String(status)), ("signature", signature), ("body", line)])
    }
}
