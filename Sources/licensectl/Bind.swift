import ArgumentParser
import Foundation
import LicenseClient
import SystemIdentity

extension Licensectl {
    struct Bind: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bind a license whose key has bind=N to a computer (this one by default): prints bound or invalid REASON.",
            discussion: """
                --system names the computer (default: this one, as licensectl info prints it). Exit status 0 for bound, \
                1 for invalid (binding: no bind=, or N computers bound already), 2 for an error, an unreachable server included.
                """)

        @OptionGroup var client: ClientOptions
        @OptionGroup var answer: BindAnswerKey

        func run() throws {
            try Licensectl.binding(client, answerKey: answer.answerKey, unbinding: false)
        }
    }

    struct Unbind: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a computer's binding (this one by default): prints unbound or invalid REASON.",
            discussion: """
                Exit status 0 for unbound, 1 for invalid (unbind-limit: the license's unbindings of 30 days are used up), \
                2 for an error.
                """)

        @OptionGroup var client: ClientOptions
        @OptionGroup var answer: BindAnswerKey

        func run() throws {
            try Licensectl.binding(client, answerKey: answer.answerKey, unbinding: true)
        }
    }

    /// Binds or unbinds (SPEC §13), prints the answer and exits as it says: 0 done, 1 invalid, 2 an error.
    static func binding(_ options: ClientOptions, answerKey: String?, unbinding: Bool) throws {
        let computer: String
        do {
            computer = try options.code.system ?? SystemID.current()
        } catch {
            throw CommandError("no --system given, and this computer's system ID cannot be read: \(error)")
        }
        let client = try options.client(answerKey: answerKey, system: computer)
        let outcome: BindOutcome
        do {
            outcome = unbinding ? try client.unbind(system: computer) : try client.bind(system: computer)
        } catch {
            throw CommandError(error.message)
        }
        func note(_ line: String) { FileHandle.standardError.write(Data("licensectl: \(line)\n".utf8)) }
        switch outcome {
        case .done(let bound, let limit):
            print(unbinding ? "unbound" : "bound")
            if let bound, let limit { note("\(bound) of \(limit) computers bound to the license") }
        case .invalid(let reason, let bound, let limit):
            print("invalid \(reason.rawValue)")
            if let bound, let limit { note("\(bound) of \(limit) computers bound to the license") }
            throw ExitCode(1)
        case .forged(let why):
            print("invalid forged-answer")
            note(why)
            throw ExitCode(1)
        }
    }
}

/// The answer key of `bind` and `unbind`: an answer it does not sign is forged.
struct BindAnswerKey: ParsableArguments {
    @Option(name: .customLong("answer-key"),
            help: ArgumentHelp("The realm's public answer key: an answer it does not sign is invalid forged-answer.", valueName: "FILE.pem"))
    var answerKey: String?
}
