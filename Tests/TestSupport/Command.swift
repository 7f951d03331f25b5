import Foundation

/// What a finished process left: its exit status and its output.
public struct CommandResult: Sendable {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
}

/// Runs programs for the tests that go through real processes (licensectl, openssl).
public enum Command {
    /// Runs `executable` (a path, or a name looked up in PATH) to completion.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil,
                           environment: [String: String]? = nil) throws -> CommandResult {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let environment { process.environment = environment }
        // Files, not pipes: a chatty process can never block on a full pipe.
        let directory = try TemporaryDirectory()
        let outputURL = URL(fileURLWithPath: directory.path + "/stdout")
        let errorURL = URL(fileURLWithPath: directory.path + "/stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        process.standardOutput = output
        process.standardError = error
        if let input {
            let inputURL = URL(fileURLWithPath: directory.path + "/stdin")
            try input.write(to: inputURL)
            process.standardInput = try FileHandle(forReadingFrom: inputURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        try output.close()
        try error.close()
        return CommandResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
    }
}

/// A folder under the system's temporary directory, removed with everything in it when this
/// goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    /// Immutable after init, hence the `@unchecked Sendable`.
    public let path: String

    public init() throws {
        var template = Array((NSTemporaryDirectory() + "/license-test-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(cString: created)
    }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
