import ArgumentParser
import Foundation
import LicenseClient
import LicenseCore
import LicenseSigning

extension Licensectl {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a key file's fields and whether its signature verifies.",
            discussion: "Exits 0 when the key verifies, 1 when it does not (malformed, unknown issuer, bad signature).")

        @Option(name: .long, help: ArgumentHelp("The trusted issuers' public keys, NAME.pem each.", valueName: "DIR"))
        var issuers: String

        @Argument(help: ArgumentHelp("The key file.", valueName: "FILE"))
        var file: String

        func run() throws {
            let trusted = try IssuerKeys(directory: issuers)
            let line = try readKeyLine(file)
            let key: LicenseKey
            do {
                key = try LicenseKey(parsing: line)
            } catch {
                print("invalid \(error.reason.rawValue): \(error)")
                throw ExitCode(1)
            }
            let today = LicenseDate(secondsSince1970: Int64(Date().timeIntervalSince1970))
            for (label, value) in Self.describe(key, today: today) {
                print(label.padding(toLength: 13, withPad: " ", startingAt: 0) + value)
            }
            switch trusted.verdict(for: key) {
            case .verified:
                print("signature    verifies")
            case .unknownIssuer:
                print("invalid unknown-issuer: no \(key.issuer).pem in \(issuers)")
                throw ExitCode(1)
            case .badSignature:
                print("invalid bad-signature: the signature is not \(key.issuer)'s signature of this key")
                throw ExitCode(1)
            }
        }

        /// The key's fields as label and value, one per printed line.
        static func describe(_ key: LicenseKey, today: LicenseDate) -> [(String, String)] {
            func limits(_ limits: LicenseTerms.Limits) -> String {
                let parts = [("rights", limits.rights), ("users", limits.users), ("hosts", limits.hosts)]
                    .compactMap { name, value in value.map { "\(name)=\($0)" } }
                return parts.isEmpty ? "no limit" : parts.joined(separator: " ")
            }
            var lines: [(String, String)] = [
                ("product", key.product),
                ("license", key.licenseID),
                ("fingerprint", key.fingerprint),
            ]
            if let licensee = key.licensee { lines.append(("licensee", licensee)) }
            lines.append(("type", key.type.rawValue))
            lines.append(("version", key.version.map(\.description) ?? "any"))
            lines.append((LicenseTerms.baseScope, limits(key.baseLimits)))
            for option in key.options { lines.append(("option", "\(option.name): \(limits(option.limits))")) }
            if let duration = key.duration {
                let status = today < duration.first ? " (not yet valid)" : today > duration.last ? " (expired)" : ""
                lines.append(("duration", "\(duration)\(status)"))
            } else {
                lines.append(("duration", "unlimited"))
            }
            if let maintenance = key.maintenance { lines.append(("maintenance", maintenance.description)) }
            lines.append(("hosts", key.hosts.isEmpty ? "any" : key.hosts.map(\.description).joined(separator: " ")))
            if !key.systemIDs.isEmpty { lines.append(("systemids", key.systemIDs.joined(separator: " "))) }
            lines.append(("issuer", key.issuer))
            return lines
        }
    }
}

/// The key line of a key file, or an error naming the file.
func readKeyLine(_ path: String) throws -> String {
    do {
        return try LicenseClient.keyLine(inFile: path)
    } catch {
        throw CommandError(error.message)
    }
}
