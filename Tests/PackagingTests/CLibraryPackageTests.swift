import Foundation
import LicenseCore
import TestSupport
import Testing

/// The C library's packages (scripts/deb-client-library.sh): lintian, and apt installing them
/// into a clean Debian 12 root where a C program is compiled against them with pkg-config and
/// runs with nothing of Swift installed.
@Suite("The C library's Debian packages", .serialized)
struct CLibraryPackageTests {
    static func builtPackages() throws -> [String] {
        let (upstream, revision) = try DebianPackageTests.packageVersion()
        let architecture = try Command.run("dpkg", ["--print-architecture"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return try ["liblicense-client1", "liblicense-client-dev"].map { package in
            let path = DebianPackageTests.packageRoot + "/dist/\(package)_\(upstream)-\(revision)_\(architecture).deb"
            guard FileManager.default.fileExists(atPath: path) else {
                throw PackageTestError("\(path) is missing: make test builds it with make deb")
            }
            return path
        }
    }

    @Test("lintian finds no error in either package; their warnings are the ones docs/operating.md lists")
    func lintian() throws {
        let linted = try Command.run("lintian", ["--pedantic", "--display-info"] + (try Self.builtPackages()))
        let lines = linted.standardOutput.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("E: ") }.isEmpty, "\(linted.standardOutput)")
        #expect(linted.status == 0, "\(linted.standardError)")
        let runbook = try String(contentsOfFile: DebianPackageTests.packageRoot + "/docs/operating.md", encoding: .utf8)
        let listed = runbook.components(separatedBy: "lintian's warnings").dropFirst().first ?? ""
        for warning in Set(lines.filter { $0.hasPrefix("W: ") }.compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) }) {
            #expect(listed.contains("`\(warning)`"), "lintian warns \(warning), which docs/operating.md does not list")
        }
    }

    @Test("the packages' contents: the soname, shlibs, the ldconfig trigger, only license_* exported, no Swift library needed",
          .timeLimit(.minutes(2)))
    func contents() throws {
        let packages = try Self.builtPackages()
        let folder = try TemporaryDirectory()
        for package in packages { _ = try DebianRoot.require(Command.run("dpkg-deb", ["-x", package, folder.path]), "dpkg-deb -x") }
        let multiarch = try Command.run("dpkg-architecture", ["-qDEB_HOST_MULTIARCH"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let library = folder.path + "/usr/lib/\(multiarch)/liblicense-client.so.1"
        let dynamic = try DebianRoot.require(Command.run("readelf", ["-d", library]), "readelf").standardOutput
        #expect(dynamic.contains("Library soname: [liblicense-client.so.1]"))
        let needed = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { $0.split(separator: "[").last?.dropLast() }
        #expect(!needed.isEmpty && needed.allSatisfy { !$0.contains("swift") && !$0.contains("Foundation") && !$0.contains("dispatch") },
                "\(needed)")
        let symbols = try DebianRoot.require(Command.run("nm", ["-D", "--defined-only", library]), "nm").standardOutput
        let exported = symbols.split(separator: "\n").filter { $0.split(separator: " ").dropFirst().first == "T" }
            .compactMap { $0.split(separator: " ").last?.split(separator: "@").first.map(String.init) }
        #expect(exported.count >= 14 && exported.allSatisfy { $0.hasPrefix("license_") }, "\(exported)")
        // Every function of the header is exported (and nothing the header does not declare).
        let header = try String(contentsOfFile: folder.path + "/usr/include/license-client.h", encoding: .utf8)
        let declared = Set(header.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: #"license_[a-z_]+(?=\()"#, options: .regularExpression), !line.hasPrefix(" *") else { return nil }
            return String(line[range])
        })
        #expect(declared == Set(exported), "declared \(declared.sorted()), exported \(exported.sorted())")
        try DebianRoot.require(Command.run("dpkg-deb", ["-e", packages[0], folder.file("control")]), "dpkg-deb -e")
        #expect(try String(contentsOfFile: folder.file("control/shlibs"), encoding: .utf8) == "liblicense-client 1 liblicense-client1 (>= \(ProductVersion.current))\n")
        #expect(try String(contentsOfFile: folder.file("control/triggers"), encoding: .utf8) == "activate-noawait ldconfig\n")
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: folder.path + "/usr/lib/\(multiarch)/liblicense-client.so")
        #expect(link == "liblicense-client.so.1")
    }

    @Test("apt installs both into a clean Debian 12 root; a C program built there with pkg-config runs on the library alone",
          .timeLimit(.minutes(10)))
    func installAndBuildInDebian() throws {
        let packages = try Self.builtPackages()
        let stacks = ProcessInfo.processInfo.environment["LICENSE_TEST_STACKS"] ?? NSTemporaryDirectory()
        let root = try DebianRoot(parent: stacks, packageRoot: DebianPackageTests.packageRoot)
        defer { root.remove() }
        for package in packages {
            try FileManager.default.copyItem(atPath: package, toPath: root.file("/tmp/" + URL(fileURLWithPath: package).lastPathComponent))
        }
        try FileManager.default.copyItem(atPath: DebianPackageTests.packageRoot + "/clients/c/tests/license-check.c",
                                         toPath: root.file("/tmp/license-check.c"))
        try root.mustRun(["apt-get", "update", "-qq"])
        try root.mustRun(["apt-get", "install", "-y", "--no-install-recommends", "gcc", "libc6-dev", "pkg-config"]
                         + packages.map { "/tmp/" + URL(fileURLWithPath: $0).lastPathComponent })
        let flags = try root.mustRun(["pkg-config", "--cflags", "--libs", "license-client"])
        #expect(flags.contains("-llicense-client"), "\(flags)")
        try root.mustRun(["sh", "-c", "gcc -Wall -Wextra -Werror -o /tmp/license-check /tmp/license-check.c $(pkg-config --cflags --libs license-client)"])
        // The ABI's bad-input cases need no server; the settings file is read for the NULL case's client.
        try "server=https://licenses.example.com\nkey=X-META-X signature=x\nrevision=7.1\ndomain=localhost\nuser-id-file=/tmp/user-id\n"
            .write(toFile: root.file("/tmp/settings"), atomically: true, encoding: .utf8)
        for badCase in ["null-pointers", "not-utf8"] {
            let output = try root.mustRun(["/tmp/license-check", "/tmp/settings", "abuse", badCase])
            #expect(output.hasSuffix("ok \(badCase)\n"), "\(output)")
        }
        let libraries = try root.mustRun(["ldd", "/tmp/license-check"])
        #expect(libraries.contains("liblicense-client.so.1 => /lib/") || libraries.contains("liblicense-client.so.1 => /usr/lib/"), "\(libraries)")
        #expect(!libraries.contains("not found") && !libraries.contains("swift"), "\(libraries)")
        let version = try root.mustRun(["dpkg-query", "-W", "-f", "${Version}", "liblicense-client-dev"])
        #expect(version.hasPrefix(ProductVersion.current + "-"))
    }
}
