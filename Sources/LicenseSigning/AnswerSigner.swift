import Foundation
import LicenseCore
import LicenseCrypto

/// A realm's answer key, which signs the answers of `/check` and `/release` (SPEC §7).
public struct AnswerSigner: Sendable {
    public let privateKey: Ed25519PrivateKey

    public init(privateKey: Ed25519PrivateKey) {
        self.privateKey = privateKey
    }

    /// The `License-Signature` value for an answer `body` to the code whose decoded text is
    /// `codeText`: one SHA-256 and one Ed25519 signature.
    public func signature(codeText: [UInt8], body: [UInt8], time: UTCTimestamp, until: UTCTimestamp?) throws -> AnswerSignature {
        let message = AnswerSignature.message(codeDigest: Digest.sha256(codeText), time: time, until: until, body: body)
        return AnswerSignature(time: time, until: until, signature: try privateKey.signature(for: message))
    }
}

/// What a client makes of a `200` answer to a code that carried a nonce (SPEC §7).
public enum AnswerVerdict: Equatable, Sendable {
    /// The signature verifies over this code and body, and `t` is timely.
    case verified(AnswerSignature)
    /// Anything else: the program must not run on it. The reason is for a log, not the user.
    case forged(String)
}

/// The vendor's public answer key, as a client ships it (SPEC §7).
public struct AnswerVerifier: Sendable {
    public let publicKey: Ed25519PublicKey

    public init(publicKey: Ed25519PublicKey) {
        self.publicKey = publicKey
    }

    /// Reads the realm's public answer key (`REALM.pem`).
    public init(contentsOf path: String) throws(IssuerKeysError) {
        guard let pem = FileManager.default.contents(atPath: path) else {
            throw IssuerKeysError("cannot read answer key \(path)")
        }
        do {
            publicKey = try Ed25519PublicKey(pem: Array(pem))
        } catch {
            throw IssuerKeysError("\(path) is not an Ed25519 public key (\(error))")
        }
    }

    /// Checks a `200` answer: the header is there and well-formed, its `t` within five minutes
    /// of `now`, and its signature verifies over `codeText` (the code this client sent) and
    /// `body` (the bytes it received).
    public func verdict(header: String?, codeText: [UInt8], body: [UInt8], now: UTCTimestamp) -> AnswerVerdict {
        guard let header else { return .forged("no \(AnswerSignature.headerName) header") }
        guard let signature = AnswerSignature(headerValue: header) else {
            return .forged("a malformed \(AnswerSignature.headerName) header")
        }
        guard signature.isTimely(now: now) else {
            return .forged("signed at \(signature.time), more than five minutes from this clock (\(now))")
        }
        let message = AnswerSignature.message(codeDigest: Digest.sha256(codeText), time: signature.time, until: signature.until, body: body)
        guard (try? publicKey.isValidSignature(signature.signature, for: message)) == true else {
            return .forged("the signature does not verify for this code and answer")
        }
        return .verified(signature)
    }
}
