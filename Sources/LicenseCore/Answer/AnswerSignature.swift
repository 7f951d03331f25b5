/// The `License-Signature` header of a signed answer (SPEC §7):
/// `t=TIME, until=TIME-OR-EMPTY, sig=BASE64URL`, and the message its signature covers.
///
/// Pure: the SHA-256 of the code and the Ed25519 signature are computed by the caller
/// (`LicenseSigning.AnswerSigner` and `AnswerVerifier`).
public struct AnswerSignature: Equatable, Sendable {
    /// The response header's name.
    public static let headerName = "License-Signature"
    /// How far `t` may be from the client's clock, in seconds.
    public static let clockTolerance: Int64 = 300
    /// Bytes of an Ed25519 signature.
    public static let signatureLength = 64

    /// The server's clock when it answered.
    public let time: UTCTimestamp
    /// When the seat stops being active unless checked again; only on a `valid` answer.
    public let until: UTCTimestamp?
    /// The Ed25519 signature over `message(...)`.
    public let signature: [UInt8]

    public init(time: UTCTimestamp, until: UTCTimestamp?, signature: [UInt8]) {
        self.time = time
        self.until = until
        self.signature = signature
    }

    /// Reads a header value; nil unless it is exactly SPEC §7's form.
    public init?(headerValue: some StringProtocol) {
        let parts = headerValue.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.drop { $0 == " " } }
        guard parts.count == 3, parts[0].hasPrefix("t="), parts[1].hasPrefix("until="), parts[2].hasPrefix("sig="),
              let time = UTCTimestamp(parts[0].dropFirst(2)) else { return nil }
        let untilText = parts[1].dropFirst(6)
        let until = untilText.isEmpty ? nil : UTCTimestamp(untilText)
        guard untilText.isEmpty || until != nil,
              !parts[2].dropFirst(4).contains("="),
              let signature = Base64URL.decode(Array(parts[2].dropFirst(4).utf8)), signature.count == Self.signatureLength else {
            return nil
        }
        self.init(time: time, until: until, signature: signature)
    }

    /// The header's value.
    public var headerValue: String {
        "t=\(time), until=\(until.map(\.description) ?? ""), sig=\(Base64URL.encode(signature))"
    }

    /// The bytes signed: `"license-answer/1" LF C LF t LF until LF BODY`, C the base64url of
    /// the SHA-256 of the decoded startup code.
    public static func message(codeDigest: [UInt8], time: UTCTimestamp, until: UTCTimestamp?, body: [UInt8]) -> [UInt8] {
        Array("license-answer/1\n\(Base64URL.encode(codeDigest))\n\(time)\n\(until.map(\.description) ?? "")\n".utf8) + body
    }

    /// Whether `t` is within `clockTolerance` of the client's clock.
    public func isTimely(now: UTCTimestamp) -> Bool {
        abs(time.secondsSince1970 - now.secondsSince1970) <= Self.clockTolerance
    }
}
