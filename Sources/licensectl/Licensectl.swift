import ArgumentParser
import LicenseCore
import Foundation

/// `licensectl`: the vendor's and the operator's tool (SPEC §6).
///
/// Exit status: 0 success, 1 a negative answer (a key that does not verify), 2 bad usage or
/// an error, with a line on standard error saying what.
@main
struct Licensectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "licensectl",
        abstract: "Issue, inspect and use license keys.",
        version: ProductVersion.current,
        subcommands: [Keygen.self, Issue.self, Verify.self, Info.self, Code.self, Check.self, Release.self, Run.self, Bind.self, Unbind.self, Borrow.self, Return.self, Request.self, Answer.self, Accept.self, Migrate.self, Revoke.self, Purge.self, Seats.self, Free.self]
    )

    /// ArgumentParser exits 64 on bad usage and 1 on other errors; SPEC §6 keeps 1 for
    /// negative answers, so every error and every usage mistake exits 2 here.
    static func main() {
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(reporting: error, of: Licensectl.self)
        }
        do {
            var runnable = command
            try runnable.run()
        } catch let error as ValidationError {
            let name = type(of: command)._commandName
            exit(reporting: CommandError("\(error.message)\nSee 'licensectl \(name) --help'."), of: Licensectl.self)
        } catch {
            exit(reporting: error, of: Licensectl.self)
        }
    }

    /// Prints `error` as `command`'s usage message or one error line, then exits with its status.
    private static func exit(reporting error: Error, of command: ParsableCommand.Type) -> Never {
        if let exit = error as? ExitCode {
            Foundation.exit(exit.rawValue)
        }
        let message = command.fullMessage(for: error)
        if command.exitCode(for: error) == .success {
            print(message)
            Foundation.exit(0)
        }
        let line = message.hasPrefix("Error:") ? message : "Error: " + message
        FileHandle.standardError.write(Data((line + "\n").utf8))
        Foundation.exit(2)
    }
}

/// An error of a command, printed as one line; exits 2.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
