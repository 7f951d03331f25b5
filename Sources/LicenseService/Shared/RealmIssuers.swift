import Foundation
import Logging
import Synchronization
import LicenseCore
import LicenseSigning

/// The trusted issuers of every realm (SPEC §5), loaded once at start-up from `--issuers DIR`:
/// each sub-folder is a realm of its name; `NAME.pem` files directly in DIR are the `default`
/// realm's.
public struct RealmIssuers: Sendable {
    /// The realm of requests that name none.
    public static let defaultRealm = "default"

    /// Each realm's issuers, by realm name.
    public let issuersByRealm: [String: IssuerKeys]

    public init(realms: [String: IssuerKeys]) {
        issuersByRealm = realms
    }

    /// The realms that have an issuers folder.
    public var names: Set<String> { Set(issuersByRealm.keys) }

    /// Whether `realm` has an issuers folder.
    public func knows(_ realm: String) -> Bool { issuersByRealm[realm] != nil }

    public init(directory: String) throws(ServiceSetupError) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw ServiceSetupError("cannot read issuers directory \(directory)")
        }
        var found: [String: IssuerKeys] = [:]
        do {
            if entries.contains(where: { $0.hasSuffix(".pem") }) {
                found[Self.defaultRealm] = try IssuerKeys(directory: directory)
            }
            for entry in entries.sorted() {
                var isDirectory: ObjCBool = false
                let path = directory + "/" + entry
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                      !entry.hasPrefix(".") else { continue }
                guard found[entry] == nil else {
                    throw ServiceSetupError("\(directory) holds both .pem files and a \(entry)/ folder for the default realm")
                }
                found[entry] = try IssuerKeys(directory: path)
            }
        } catch let error as IssuerKeysError {
            throw ServiceSetupError(error.description)
        } catch let error as ServiceSetupError {
            throw error
        } catch {
            throw ServiceSetupError("\(error)")
        }
        guard !found.isEmpty else {
            throw ServiceSetupError("\(directory) holds no issuer (NAME.pem) and no realm folder")
        }
        issuersByRealm = found
    }

    /// The issuers of `realm`; a realm that has none trusts no key (`unknown-issuer`).
    public func issuers(of realm: String) -> IssuerKeys {
        issuersByRealm[realm] ?? IssuerKeys(keys: [:])
    }
}

/// Realms that nginx's `LICENSE_REALM` named but `--issuers` has no folder for: every key is
/// `unknown-issuer` there, almost surely a configuration slip, so it is logged (once a realm).
public final class UnknownRealms: Sendable {
    private let warned = Mutex<Set<String>>([])

    public init() {}

    public func warnOnce(_ realm: String, logger: Logger) {
        let isNew = warned.withLock { warned in warned.count < 1000 && warned.insert(realm).inserted }
        if isNew {
            logger.warning("a request names a realm that has no issuers folder: every key is unknown-issuer there",
                           metadata: ["realm": "\(realm)"])
        }
    }
}
