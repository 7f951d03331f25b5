import Foundation
import LicenseCore
import LicenseCrypto
import SystemCalls

/// The user ID a client keeps (SPEC §2): a random secret made once per computer, naming no
/// person, in a file only the user can read; each server is sent an ID derived from it
/// (`userID(forServerHost:secret:)`), so that two vendors' servers never see the same ID.
public enum UserIDFile {
    /// `$XDG_CONFIG_HOME/license-client/user-id`, or `~/.config/license-client/user-id`.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let configuration = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.config"
        return configuration + "/license-client/user-id"
    }

    /// The ID sent to the server at `serverHost`: the hexadecimal HMAC-SHA-256 of the host name
    /// (lower case) under the computer's secret. Stable for one server, unrelated between two;
    /// the secret itself never leaves the computer.
    public static func userID(forServerHost serverHost: String, secret: String) -> String {
        Digest.hex(Digest.hmacSHA256(key: Array(secret.utf8), message: Array(serverHost.lowercased().utf8)))
    }

    /// The user ID for the server at `serverHost`, from the secret kept in `path`.
    public static func userID(forServerHost serverHost: String, secretAt path: String) throws(LicenseClientError) -> String {
        userID(forServerHost: serverHost, secret: try loadOrCreate(at: path))
    }

    /// The secret kept in `path`, made first if there is none. A file of an earlier version, which
    /// held the ID it sent, keeps working: its ID becomes the secret. Creation is atomic: the file
    /// appears whole (written aside, then hard-linked into place, which never replaces a file), so
    /// programs starting at the same moment all end up with the one secret that won.
    public static func loadOrCreate(at path: String) throws(LicenseClientError) -> String {
        if let existing = try read(path) { return existing }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw LicenseClientError(.userIDFile, "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        let newID: String
        do {
            newID = Digest.hex(try SecureRandom.bytes(16))
        } catch {
            throw LicenseClientError(.userIDFile, "no random bytes for a user ID: \(error)")
        }
        let aside = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        // Gone at the end whatever happens: linked into place, or not needed.
        defer { unlink(aside) }
        do {
            try createNewFile(aside, Array((newID + "\n").utf8), mode: 0o600, synced: true)
        } catch {
            throw LicenseClientError(.userIDFile, error.description)
        }
        do {
            _ = try systemCall("cannot create \(path)") { link(aside, path) }
            return newID
        } catch where error.errno == EEXIST {
            // Another program made it first: its ID is the one.
            if let existing = try read(path) { return existing }
        } catch {
            throw LicenseClientError(.userIDFile, error.description)
        }
        // What is there is no ID (an empty or damaged file): replace it, atomically.
        do {
            _ = try systemCall("cannot replace \(path)") { rename(aside, path) }
        } catch {
            throw LicenseClientError(.userIDFile, error.description)
        }
        return newID
    }

    /// The secret in `path`; nil when there is no file or it holds none (a secret has the
    /// alphabet and length of a user ID).
    private static func read(_ path: String) throws(LicenseClientError) -> String? {
        let data: [UInt8]
        do {
            guard let bytes = try readWholeFile(path) else { return nil }
            data = bytes
        } catch {
            throw LicenseClientError(.userIDFile, error.description)
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return StartupCode.isValidIdentifier(text) ? text : nil
    }
}
