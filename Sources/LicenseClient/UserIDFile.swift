import Foundation
import LicenseCore
import LicenseCrypto

/// The user ID a client generates once and keeps (SPEC §2): random, naming no person, in a
/// file only the user can read.
public enum UserIDFile {
    /// `$XDG_CONFIG_HOME/license-client/user-id`, or `~/.config/license-client/user-id`.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let configuration = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.config"
        return configuration + "/license-client/user-id"
    }

    /// The ID kept in `path`, made first if there is none. Creation is atomic: the file appears
    /// whole (written aside, then hard-linked into place, which never replaces a file), so
    /// programs starting at the same moment all end up with the one ID that won.
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
            newID = try SecureRandom.bytes(16).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        } catch {
            throw LicenseClientError(.userIDFile, "no random bytes for a user ID: \(error)")
        }
        let aside = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(aside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LicenseClientError(.userIDFile, "cannot create \(aside): \(String(cString: strerror(errno)))")
        }
        defer { unlink(aside) }
        let bytes = Array((newID + "\n").utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0 else {
            throw LicenseClientError(.userIDFile, "cannot write \(aside): \(String(cString: strerror(errno)))")
        }
        if link(aside, path) == 0 { return newID }
        guard errno == EEXIST else {
            throw LicenseClientError(.userIDFile, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        // Another program made it first: its ID is the one.
        if let existing = try read(path) { return existing }
        // What is there is no ID (an empty or damaged file): replace it, atomically.
        guard rename(aside, path) == 0 else {
            throw LicenseClientError(.userIDFile, "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
        return newID
    }

    /// The ID in `path`; nil when there is no file or it holds no valid ID.
    private static func read(_ path: String) throws(LicenseClientError) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw LicenseClientError(.userIDFile, "cannot read \(path)")
            }
            return nil
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return StartupCode.isValidIdentifier(text) ? text : nil
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
