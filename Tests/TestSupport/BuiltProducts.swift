import Foundation

/// Where SwiftPM put the programs built with the tests (licensectl, license-server): beside the
/// test binary (on Linux the `.xctest` file sits in the build folder itself).
public enum BuiltProducts {
    public static let folder: String = {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.path
    }()

    /// The built program `name`.
    public static func path(of name: String) -> String { folder + "/" + name }
}
