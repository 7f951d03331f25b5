import ArgumentParser
import Foundation
import LicenseClient
import SystemIdentity

/// What `bind` and `unbind` share (SPEC §13): the server, the key, the computer, and the answer
/// key that must sign the answer.
struct BindOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The server's base URL, https://HOST[:PORT][/PATH].", valueName: "URL"))
    var server: String

    @Option(name: .long, help: ArgumentHelp("The license key file.", valueName: "F"))
    var keyFile: String

    @Option(name: .long, help: ArgumentHelp("The program's revision, a dotted number.", valueName: "R"))
    var revision: String

    @Option(name: .long, help: ArgumentHelp("The domain the program works on.", valueName: "D"))
    var domain: String

    @Option(name: .long, help: ArgumentHelp("The computer's system ID (default: this computer's, as licensectl info prints it).",
                                            valueName: "S"))
    var system: String?

    @Option(name: .long, help: ArgumentHelp("PEM certificates to trust instead of the system's.", valueName: "FILE"))
    var cacert: String?

    @Option(name: .customLong("answer-key"),
            help: ArgumentHelp("The realm's public answer key: an answer it does not sign is invalid forged-answer.", valueName: "FILE.pem"))
    var answerKey: String?

    @Option(name: .long, help: ArgumentHelp("The product the program is; a key for another product is refused.", valueName: "P"))
    var product: String?

    @Option(name: .customLong("user-id-file"),
            help: ArgumentHelp("Where the user ID is kept (default: ~/.config/license-client/user-id).", valueName: "F"))
    var userIDFile: String?

    /// Binds or unbinds, prints the answer and exits as SPEC §13 says: 0 done, 1 invalid, 2 an error.
    func run(unbinding: Bool) throws {
        let done = unbinding ? "unbound" : "bound"
        let computer: String
        do {
            computer = try system ?? SystemID.current()
        } catch {
            throw CommandError("no --system given, and this computer's system ID cannot be read: \(error)")
        }
        let outcome: BindOutcome
        do {
            let client = try LicenseClient(serverURL: server, keyFile: keyFile, revision: revision, domain: domain, system: computer,
                                           product: product, userIDFile: userIDFile ?? UserIDFile.defaultPath, caFile: cacert,
                                           answerKey: answerKey)
            outcome = unbinding ? try client.unbind(system: computer) : try client.bind(system: computer)
        } catch {
            throw CommandError(error.message)
        }
        switch outcome {
        case .done(let bound, let limit):
            print(done)
            if let bound, let limit { Self.note("\(bound) of \(limit) computers bound to the license") }
        case .invalid(let reason, let bound, let limit):
            print("invalid \(reason.rawValue)")
            if let bound, let limit { Self.note("\(bound) of \(limit) computers bound to the license") }
            throw ExitCode(1)
        case .forged(let why):
            print("invalid forged-answer")
            Self.note(why)
            throw ExitCode(1)
        }
    }

    private static func note(_ line: String) {
        FileHandle.standardError.write(Data("licensectl: \(line)\n".utf8))
    }
}

extension Licensectl {
    struct Bind: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bind a license whose key has bind=N to a computer (this one by default): prints bound or invalid REASON.",
            discussion: "Exit status 0 for bound, 1 for invalid (binding: no bind= or N computers bound already), 2 for an error, an unreachable server included.")

        @OptionGroup var options: BindOptions

        func run() throws {
            try options.run(unbinding: false)
        }
    }

    struct Unbind: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a computer's binding (this one by default): prints unbound or invalid REASON.",
            discussion: "Exit status 0 for unbound, 1 for invalid (unbind-limit: the license's unbindings of 30 days are used up), 2 for an error.")

        @OptionGroup var options: BindOptions

        func run() throws {
            try options.run(unbinding: true)
        }
    }
}
