import Foundation
import LicenseCore
import LicenseSigning

/// The realms' answer keys (SPEC §7), loaded once at start from `--answer-keys DIR`:
/// `DIR/REALM.key` signs realm REALM's answers; a realm without one answers unsigned.
public struct AnswerKeys: Sendable {
    public let signers: [String: AnswerSigner]

    public init(signers: [String: AnswerSigner] = [:]) {
        self.signers = signers
    }

    /// Loads every `REALM.key` of `directory`. Whatever would leave a realm unsigned that was
    /// meant to be signed is an error now, not at the first check: a `.key` that does not
    /// load, a `REALM.pem` without its `REALM.key`, a key for a realm `realms` does not serve.
    public init(directory: String, realms: Set<String>) throws(ServiceSetupError) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw ServiceSetupError("cannot read answer keys directory \(directory)")
        }
        var signers: [String: AnswerSigner] = [:]
        for entry in entries.sorted() where entry.hasSuffix(".key") {
            let realm = String(entry.dropLast(4))
            let path = directory + "/" + entry
            guard realms.contains(realm) else {
                throw ServiceSetupError("answer key \(path) is for realm '\(realm)', which has no issuers folder")
            }
            do {
                signers[realm] = AnswerSigner(privateKey: try IssuerSigningKey(contentsOf: path).privateKey)
            } catch {
                throw ServiceSetupError("answer key: \(error)")
            }
        }
        for entry in entries where entry.hasSuffix(".pem") && signers[String(entry.dropLast(4))] == nil {
            throw ServiceSetupError("\(directory)/\(entry) has no \(entry.dropLast(4)).key beside it to sign with")
        }
        self.signers = signers
    }

    /// The signer of `realm`'s answers, if it has one.
    public func signer(of realm: String) -> AnswerSigner? { signers[realm] }
}
