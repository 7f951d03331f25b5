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

    public let realms: [String: IssuerKeys]

    public init(realms: [String: IssuerKeys]) {
        self.realms = realms
    }

    public init(directory: String) throws(ServiceSetupError) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw ServiceSetupError("cannot read issuers directory \(directory)")
        }
        var realms: [String: IssuerKeys] = [:]
        do {
            if entries.contains(where: { $0.hasSuffix(".pem") }) {
                realms[Self.defaultRealm] = try IssuerKeys(directory: directory)
            }
            for entry in entries.sorted() {
                var isDirectory: ObjCBool = false
                let path = directory + "/" + entry
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                      !entry.hasPrefix(".") else { continue }
                guard realms[entry] == nil else {
                    throw ServiceSetupError("\(directory) holds both .pem files and a \(entry)/ folder for the default realm")
                }
                realms[entry] = try IssuerKeys(directory: path)
            }
        } catch let error as IssuerKeysError {
            throw ServiceSetupError(error.description)
        } catch let error as ServiceSetupError {
            throw error
        } catch {
            throw ServiceSetupError("\(error)")
        }
        guard !realms.isEmpty else {
            throw ServiceSetupError("\(directory) holds no issuer (NAME.pem) and no realm folder")
        }
        self.realms = realms
    }

    /// The issuers of `realm`; a realm that has none trusts no key (`unknown-issuer`).
    public func issuers(of realm: String) -> IssuerKeys {
        realms[realm] ?? IssuerKeys(keys: [:])
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
