import Foundation
import LicenseCore
import LicenseCrypto
import TestSupport
import Testing

/// licensectl as a user runs it: a separate process, its output and its exit status.
@Suite("licensectl end to end")
struct LicensectlTests {
    /// The licensectl built beside this test bundle.
    static let licensectl = BuiltProducts.path(of: "licensectl")

    static func licensectl(_ arguments: String...) throws -> CommandResult {
        try Command.run(licensectl, arguments)
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("keygen → issue → verify, with the exit codes of SPEC §6")
    func keygenIssueVerify() throws {
        let directory = try TemporaryDirectory()
        let issuers = directory.file("issuers")
        let keygen = try Self.licensectl("keygen", "--out", issuers)
        #expect(keygen.status == 0, "\(keygen.standardError)")
        let attributes = try FileManager.default.attributesOfItem(atPath: issuers + "/default.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(FileManager.default.fileExists(atPath: issuers + "/default.pem"))

        let issue = try Self.licensectl("issue", "--signing-key", issuers + "/default.key", "--out-dir", directory.file("license"),
                                        "--", "X-META-X", "id=ACME-1", "licensee=ACME Corp", "users=5", "option=Vario",
                                        "rights=2", "host=localhost", "host=*.example.com")
        #expect(issue.status == 0, "\(issue.standardError)")
        let line = issue.standardOutput.trimmingCharacters(in: .newlines)
        #expect(line.hasPrefix(#"X-META-X id=ACME-1 licensee="ACME Corp" users=5 option=Vario rights=2 host=localhost host=*.example.com signature="#))
        #expect(try Self.read(directory.file("license/localhost.txt")) == line + "\n")

        let verify = try Self.licensectl("verify", "--issuers", issuers, directory.file("license/localhost.txt"))
        #expect(verify.status == 0, "\(verify.standardError)")
        #expect(verify.standardOutput.contains("signature    verifies"))
        #expect(verify.standardOutput.contains("license      ACME-1"))
        #expect(verify.standardOutput.contains("option       Vario: rights=2"))

        // Another issuer's public key under the same name: the signature is not its.
        let other = try Self.licensectl("keygen", "--out", directory.file("other"))
        #expect(other.status == 0)
        let wrongIssuer = try Self.licensectl("verify", "--issuers", directory.file("other"), directory.file("license/localhost.txt"))
        #expect(wrongIssuer.status == 1)
        #expect(wrongIssuer.standardOutput.contains("invalid bad-signature"))

        // An issuers folder without that issuer.
        try FileManager.default.createDirectory(atPath: directory.file("empty"), withIntermediateDirectories: true)
        let unknown = try Self.licensectl("verify", "--issuers", directory.file("empty"), directory.file("license/localhost.txt"))
        #expect(unknown.status == 1)
        #expect(unknown.standardOutput.contains("invalid unknown-issuer"))

        // A changed byte.
        try line.replacingOccurrences(of: "users=5", with: "users=6").write(toFile: directory.file("tampered.txt"), atomically: true, encoding: .utf8)
        let tampered = try Self.licensectl("verify", "--issuers", issuers, directory.file("tampered.txt"))
        #expect(tampered.status == 1)
        #expect(tampered.standardOutput.contains("invalid bad-signature"))

        // A key that does not parse.
        try "X-META-X seats=5 signature=x\n".write(toFile: directory.file("unsupported.txt"), atomically: true, encoding: .utf8)
        let unsupported = try Self.licensectl("verify", "--issuers", issuers, directory.file("unsupported.txt"))
        #expect(unsupported.status == 1)
        #expect(unsupported.standardOutput.hasPrefix("invalid unsupported-field"))
    }

    @Test("keygen --name, and never over an existing key")
    func keygenName() throws {
        let directory = try TemporaryDirectory()
        #expect(try Self.licensectl("keygen", "--out", directory.path, "--name", "partner").status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.file("partner.key")))
        let before = try Self.read(directory.file("partner.key"))
        let again = try Self.licensectl("keygen", "--out", directory.path, "--name", "partner")
        #expect(again.status == 2)
        #expect(again.standardError.contains("exists already"))
        #expect(try Self.read(directory.file("partner.key")) == before)
        #expect(try Self.licensectl("keygen", "--out", directory.path, "--name", "../escape").status == 2)
    }

    @Test("bad usage and errors exit 2 with a line on standard error", arguments: [
        ["issue"], ["issue", "--signing-key", "/nonexistent.key", "--", "P", "users=5"], ["verify", "/nonexistent"],
        ["bogus"], ["code", "--key-file", "/nonexistent", "--revision", "1", "--user-id", "abcdefgh", "--domain", "a"],
        ["keygen"],
    ])
    func badUsage(arguments: [String]) throws {
        let result = try Command.run(Self.licensectl, arguments)
        #expect(result.status == 2)
        #expect(result.standardError.hasPrefix("Error: "))
    }

    @Test("issue refuses a key that would be invalid, and --out-dir without a host")
    func issueRefuses() throws {
        let directory = try TemporaryDirectory()
        #expect(try Self.licensectl("keygen", "--out", directory.path).status == 0)
        let key = directory.file("default.key")
        for fields in [["users=0"], ["seats=5"], ["signature=abc"], ["users"], ["duration=29Feb2021-01Mar2021"]] {
            let result = try Command.run(Self.licensectl, ["issue", "--signing-key", key, "--", "P"] + fields)
            #expect(result.status == 2, "\(fields)")
            #expect(result.standardOutput.isEmpty)
        }
        let noHost = try Self.licensectl("issue", "--signing-key", key, "--out-dir", directory.file("out"), "--", "P", "users=5")
        #expect(noHost.status == 2)
        #expect(noHost.standardError.contains("host="))
        // The public key is no signing key.
        #expect(try Self.licensectl("issue", "--signing-key", directory.file("default.pem"), "--", "P").status == 2)
    }

    @Test("--help on every command exits 0", arguments: ["keygen", "issue", "verify", "info", "code", "bind", "unbind"])
    func help(command: String) throws {
        let result = try Self.licensectl(command, "--help")
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("USAGE: licensectl \(command)"))
    }

    @Test("info prints this computer's system ID")
    func info() throws {
        let result = try Self.licensectl("info")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.range(of: "^Eth_([0-9a-f]{2}:){5}[0-9a-f]{2}\n$", options: .regularExpression) != nil)
    }

    @Test("a key file may be a pipe: --key-file /dev/stdin and <(…), and verify's FILE (SPEC §6)")
    func keyFileFromPipe() throws {
        let directory = try TemporaryDirectory()
        try #require(try Self.licensectl("keygen", "--out", directory.file("issuers")).status == 0)
        let issued = try Self.licensectl("issue", "--signing-key", directory.file("issuers/default.key"), "--", "X-PIPE", "users=5")
        let line = issued.standardOutput.trimmingCharacters(in: .newlines)
        try #require(issued.status == 0 && !line.isEmpty)
        func shell(_ script: String) throws -> CommandResult {
            try Command.run("/bin/bash", ["-c", script], environment: ["LICENSECTL": Self.licensectl, "KEY": "# a comment\n" + line,
                                                                      "ISSUERS": directory.file("issuers")])
        }
        let code = "--revision 7.1 --user-id user-0001 --domain localhost"
        for script in [#"printf "$KEY\n" | "$LICENSECTL" code --key-file /dev/stdin "# + code,
                       #""$LICENSECTL" code --key-file <(printf "$KEY\n") "# + code] {
            let result = try shell(script)
            #expect(result.status == 0, "\(script): \(result.standardError)")
            let decoded = try StartupCode(decoding: result.standardOutput.trimmingCharacters(in: .newlines))
            #expect(decoded.keyLine == Array(line.utf8), "\(script)")
        }
        let verified = try shell(#"printf "$KEY\n" | "$LICENSECTL" verify --issuers "$ISSUERS" /dev/stdin"#)
        #expect(verified.status == 0 && verified.standardOutput.contains("signature    verifies"), "\(verified.standardError)")
    }

    @Test("code prints a startup code that decodes to its inputs; bad parts exit 2")
    func code() throws {
        let directory = try TemporaryDirectory()
        try "# demo\nX-DEMO users=5 signature=abc\n".write(toFile: directory.file("k.txt"), atomically: true, encoding: .utf8)
        let result = try Self.licensectl("code", "--key-file", directory.file("k.txt"), "--revision", "7.1", "--user-id", "user-0001",
                                         "--domain", "Localhost", "--system", "Eth_1", "--instance", "inst-0001", "--options", "A,B",
                                         "--rights", "5")
        #expect(result.status == 0, "\(result.standardError)")
        let code = try StartupCode(decoding: result.standardOutput.trimmingCharacters(in: .newlines))
        #expect(code.keyLine == Array("X-DEMO users=5 signature=abc".utf8))
        #expect(code.revision.text == "7.1" && code.userID == "user-0001" && code.domain.text == "localhost")
        #expect(code.system == "Eth_1" && code.instance == "inst-0001" && code.options == ["A", "B"] && code.rights == 5)
        for outOfRange in ["0", "1000001"] {
            let bad = try Self.licensectl("code", "--key-file", directory.file("k.txt"), "--revision", "7.1", "--user-id", "user-0001",
                                          "--domain", "localhost", "--rights", outOfRange)
            #expect(bad.status == 2 && bad.standardError.contains("rights must be"), "\(bad.standardError)")
        }

        let badUser = try Self.licensectl("code", "--key-file", directory.file("k.txt"), "--revision", "7.1", "--user-id", "short",
                                          "--domain", "localhost")
        #expect(badUser.status == 2)
        #expect(badUser.standardError.contains("USER_ID must be 8 to 128"))
    }

    @Test("keys from openssl genpkey sign keys; keys from keygen are read by openssl pkey")
    func opensslKeys() throws {
        let directory = try TemporaryDirectory()
        try #require(try Command.run("openssl", ["genpkey", "-algorithm", "ed25519", "-out", directory.file("default.key")]).status == 0)
        try Command.run("openssl", ["pkey", "-in", directory.file("default.key"), "-pubout", "-out", directory.file("default.pem")])
        let issue = try Self.licensectl("issue", "--signing-key", directory.file("default.key"), "--out-dir", directory.path, "--",
                                        "P", "host=example.com")
        #expect(issue.status == 0, "\(issue.standardError)")
        #expect(try Self.licensectl("verify", "--issuers", directory.path, directory.file("example.com.txt")).status == 0)

        let ours = directory.file("ours")
        #expect(try Self.licensectl("keygen", "--out", ours).status == 0)
        let privateText = try Command.run("openssl", ["pkey", "-in", ours + "/default.key", "-noout", "-text"])
        #expect(privateText.status == 0 && privateText.standardOutput.contains("ED25519 Private-Key"))
        let publicText = try Command.run("openssl", ["pkey", "-pubin", "-in", ours + "/default.pem", "-noout", "-text"])
        #expect(publicText.status == 0 && publicText.standardOutput.contains("ED25519 Public-Key"))
    }

    @Test("a key whose canonical message openssl pkeyutl -sign -rawin signed verifies; ours verifies with openssl")
    func opensslSignatures() throws {
        let directory = try TemporaryDirectory()
        try #require(try Self.licensectl("keygen", "--out", directory.path).status == 0)
        let message = #"X-META-X id=ACME-7 licensee="ACME Corp" users=5 host=example.com"#
        try Data(message.utf8).write(to: URL(fileURLWithPath: directory.file("message")))
        let signed = try Command.run("openssl", ["pkeyutl", "-sign", "-rawin", "-inkey", directory.file("default.key"),
                                                 "-in", directory.file("message"), "-out", directory.file("sig")])
        try #require(signed.status == 0, "\(signed.standardError)")
        let signature = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("sig"))))
        let line = message + " signature=" + SignatureText.encode(signature)
        try (line + "\n").write(toFile: directory.file("key.txt"), atomically: true, encoding: .utf8)
        let verify = try Self.licensectl("verify", "--issuers", directory.path, directory.file("key.txt"))
        #expect(verify.status == 0, "\(verify.standardOutput)")

        // The project's signature, checked by openssl over the canonical message.
        let issue = try Self.licensectl("issue", "--signing-key", directory.file("default.key"), "--", "X-META-X", "id=ACME-7",
                                        "licensee=ACME Corp", "users=5", "host=example.com")
        let ourLine = issue.standardOutput.trimmingCharacters(in: .newlines)
        #expect(ourLine == line, "Ed25519 is deterministic: both signatures are the same")
        let key = try LicenseKey(parsing: ourLine)
        try Data(key.signature).write(to: URL(fileURLWithPath: directory.file("ours.sig")))
        let opensslVerify = try Command.run("openssl", ["pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", directory.file("default.pem"),
                                                        "-in", directory.file("message"), "-sigfile", directory.file("ours.sig")])
        #expect(opensslVerify.status == 0, "\(opensslVerify.standardError)")
    }
}
