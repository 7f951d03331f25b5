import ArgumentParser
import Foundation
import LicenseClient

/// The options of a client's exchange with the server, shared by `check` and `release`.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The server's base URL, https://HOST[:PORT][/PATH].", valueName: "URL"))
    var server: String

    @OptionGroup var code: CodeOptions

    @Option(name: .long, help: ArgumentHelp("PEM certificates to trust instead of the system's.", valueName: "FILE"))
    var cacert: String?

    @Option(name: .customLong("user-id-file"),
            help: ArgumentHelp("Where the user ID is kept (default: ~/.config/license-client/user-id).", valueName: "F"))
    var userIDFile: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for the server before skipping (default 5).", valueName: "SECONDS"))
    var timeout: Double = 5

    /// The client of these options; `answers` for the commands that have SPEC §7's options.
    func client(answers: AnswerOptions? = nil) throws -> LicenseClient {
        try client(answerKey: answers?.answerKey, answerCache: answers?.answerCache, failClosed: answers?.failClosed ?? false)
    }

    /// The client of these options, with the answer key and cache given; `system` in place of `--system`.
    func client(answerKey: String?, answerCache: String? = nil, failClosed: Bool = false,
                system: String? = nil) throws -> LicenseClient {
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be more than 0 and at most 60 seconds") }
        guard answerKey != nil || (answerCache == nil && !failClosed) else {
            throw ValidationError("--answer-cache and --fail-closed need --answer-key")
        }
        do {
            return try LicenseClient(
                serverURL: server, keyFile: code.keyFile, revision: code.revision, domain: code.domain, system: system ?? code.system,
                options: code.optionList, product: code.product, rights: code.rights,
                userIDFile: userIDFile ?? UserIDFile.defaultPath, caFile: cacert, timeout: .milliseconds(Int(timeout * 1000)),
                answerKey: answerKey, answerCache: answerCache, failClosed: failClosed)
        } catch {
            throw CommandError(error.message)
        }
    }

    /// What a skipped exchange prints: the contract's line, then why on standard error.
    func reportSkipped(_ why: String) {
        print("skipped: server unreachable")
        FileHandle.standardError.write(Data("licensectl: \(why)\n".utf8))
    }
}

/// SPEC §7's options of a check: signed answers, the kept answer, fail-closed.
struct AnswerOptions: ParsableArguments {
    @Option(name: .customLong("answer-key"),
            help: ArgumentHelp("The realm's public answer key: send a nonce, refuse an answer it does not sign (invalid forged-answer).",
                               valueName: "FILE.pem"))
    var answerKey: String?

    @Option(name: .customLong("answer-cache"),
            help: ArgumentHelp("Keep the last verified valid answer here (0600); without the server it holds until its until.",
                               valueName: "FILE"))
    var answerCache: String?

    @Flag(name: .customLong("fail-closed"), help: "Without the server and a kept answer: invalid offline (exit 1), not skipped.")
    var failClosed = false
}

extension Licensectl {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A client's startup check: prints valid, invalid REASON, or skipped: server unreachable.",
            discussion: "Exit status 0 for valid or skipped, 1 for invalid, 2 for an error (a 400, a certificate that does not verify).")

        @OptionGroup var client: ClientOptions
        @OptionGroup var answers: AnswerOptions

        func run() throws {
            let outcome: CheckOutcome
            do {
                outcome = try client.client(answers: answers).check(instance: client.code.instance)
            } catch let error as LicenseClientError {
                throw CommandError(error.message)
            }
            print(outcome.line)
            if let why = outcome.explanation { FileHandle.standardError.write(Data("licensectl: \(why)\n".utf8)) }
            if !outcome.allowsRunning { throw ExitCode(1) }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ends the seat of this user and --instance: prints released, invalid REASON, or skipped: server unreachable.",
            discussion: "Exit status 0 for released or skipped, 1 for invalid, 2 for an error.")

        @OptionGroup var client: ClientOptions

        func run() throws {
            let outcome: ReleaseOutcome
            do {
                outcome = try client.client().release(instance: client.code.instance)
            } catch let error as LicenseClientError {
                throw CommandError(error.message)
            }
            switch outcome {
            case .released:
                print("released")
            case .invalid(let reason):
                print("invalid \(reason.rawValue)")
                throw ExitCode(1)
            case .skipped(let why):
                client.reportSkipped(why)
            }
        }
    }
}
