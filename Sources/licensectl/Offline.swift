import ArgumentParser
import Foundation
import LicenseClient
import LicenseCore

/// SPEC §14: borrowing a seat, and the request and answer files of a computer that is never online.
extension Licensectl {
    struct Borrow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Borrow this seat for a while (a laptop going on a trip): prints valid (borrowed until UNTIL) or invalid REASON.",
            discussion: """
                The signed answer is kept in --answer-cache: until the borrow ends, licensectl check and run with that cache \\
                answer valid (offline until UNTIL) without the server. Exit status 0 borrowed, 1 invalid (borrow: longer than \\
                the key allows, past its end, or a key without borrow=), 2 for an error, an unreachable server included.
                """)

        @OptionGroup var client: ClientOptions

        @Option(name: .customLong("for"), help: ArgumentHelp("How long to borrow: 90s, 15m, 24h, 14d.", valueName: "DURATION"))
        var duration: String

        @Option(name: .customLong("answer-key"), help: ArgumentHelp("The realm's public answer key.", valueName: "FILE.pem"))
        var answerKey: String

        @Option(name: .customLong("answer-cache"), help: ArgumentHelp("Where the signed answer is kept (0600).", valueName: "FILE"))
        var answerCache: String

        func run() throws {
            guard DurationText.seconds(duration) != nil else {
                throw ValidationError("--for must be a duration: a number from 1 and a unit, 90s, 15m, 24h or 14d; not \(duration)")
            }
            let borrower = try client.client(answerKey: answerKey, answerCache: answerCache)
            let outcome: BorrowOutcome
            do {
                outcome = try borrower.borrow(for: duration, instance: client.code.instance)
            } catch {
                throw CommandError(error.message)
            }
            switch outcome {
            case .borrowed(let until):
                print("valid (borrowed until \(until))")
            case .invalid(let reason):
                print("invalid \(reason.rawValue)")
                throw ExitCode(1)
            case .forged(let why):
                print("invalid forged-answer")
                FileHandle.standardError.write(Data("licensectl: \(why)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Return: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "return",
            abstract: "Return a borrowed seat early: prints released or invalid REASON, and removes the answer from the cache.",
            discussion: "Exit status 0 released, 1 invalid, 2 for an error (an unreachable server: the seat stays borrowed).")

        @OptionGroup var client: ClientOptions

        @Option(name: .customLong("answer-key"), help: ArgumentHelp("The realm's public answer key.", valueName: "FILE.pem"))
        var answerKey: String?

        @Option(name: .customLong("answer-cache"), help: ArgumentHelp("The cache the borrow was kept in.", valueName: "FILE"))
        var answerCache: String

        func run() throws {
            let returner = try client.client(answerKey: answerKey, answerCache: answerKey == nil ? nil : answerCache)
            let outcome: ReleaseOutcome
            do {
                outcome = try returner.returnBorrowed(instance: client.code.instance, answerCache: answerCache)
            } catch {
                throw CommandError(error.message)
            }
            switch outcome {
            case .released: print("released")
            case .invalid(let reason):
                print("invalid \(reason.rawValue)")
                throw ExitCode(1)
            case .skipped(let why): throw CommandError(why)
            }
        }
    }

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a request for a computer that is never online (a small text file to carry to one that is).",
            discussion: """
                The request is the startup code this computer's check would send, with a fresh nonce; it is kept in \\
                --answer-cache until licensectl accept takes its answer. Give --server as this computer's checks do: the user \\
                ID is derived for that server, so that they find the accepted answer. Nothing is sent anywhere.
                """)

        @OptionGroup var code: CodeOptions

        @Option(help: ArgumentHelp("The server the checks of this computer name (for the user ID; not contacted).", valueName: "URL"))
        var server: String = "https://license-server.invalid"

        @Option(name: .customLong("user-id-file"),
                help: ArgumentHelp("Where the user ID is kept (default: ~/.config/license-client/user-id).", valueName: "F"))
        var userIDFile: String?

        @Option(help: ArgumentHelp("Ask to borrow the seat for that long: 90s, 15m, 24h, 14d.", valueName: "DURATION"))
        var borrow: String?

        @Option(name: .customLong("answer-cache"), help: ArgumentHelp("Where the request is kept until its answer is accepted.", valueName: "FILE"))
        var answerCache: String

        @Option(help: ArgumentHelp("The request file to write.", valueName: "REQUEST"))
        var out: String

        func run() throws {
            let request: OfflineRequest
            do {
                let client = try LicenseClient(
                    serverURL: server, keyFile: code.keyFile, revision: code.revision, domain: code.domain, system: code.system,
                    options: code.optionList, product: code.product, rights: code.rights,
                    userIDFile: userIDFile ?? UserIDFile.defaultPath)
                request = try client.offlineRequest(borrow: borrow, instance: code.instance, keptIn: answerCache)
            } catch {
                throw CommandError(error.message)
            }
            try writeFile(out, request.text)
            print("request written to \(out): carry it to a computer that reaches the server (licensectl answer)")
        }
    }

    struct Answer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a request file to the server and write its answer file (on a computer that reaches the server).",
            discussion: "Prints the answer. Exit status 0 valid, 1 invalid, 2 for an error (a file that is not a request, an unreachable server).")

        @Option(help: ArgumentHelp("The server's base URL, https://HOST[:PORT][/PATH].", valueName: "URL"))
        var server: String

        @Option(name: .long, help: ArgumentHelp("PEM certificates to trust instead of the system's.", valueName: "FILE"))
        var cacert: String?

        @Option(help: ArgumentHelp("The request file, as licensectl request wrote it.", valueName: "REQUEST"))
        var request: String

        @Option(help: ArgumentHelp("The answer file to write.", valueName: "ANSWER"))
        var out: String

        func run() throws {
            let bytes = try readSmallFile(request)
            let parsed: OfflineRequest
            do {
                parsed = try OfflineRequest(parsing: bytes)
            } catch {
                throw CommandError("\(request) is not a request: \(error)")
            }
            let answer: OfflineAnswer
            do {
                answer = try LicenseClient.answer(parsed, serverURL: server, caFile: cacert)
            } catch {
                throw CommandError(error.message)
            }
            try writeFile(out, answer.text)
            print(answer.line)
            if answer.line != "valid" { throw ExitCode(1) }
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take the answer file to this computer's request: prints valid (offline until UNTIL) or invalid REASON.",
            discussion: """
                The answer must be signed by the answer key for the request kept in --answer-cache; an answer to another \\
                request, to one accepted already, or an altered one is invalid forged-answer. Exit status 0 accepted, 1 invalid, \\
                2 for an error (a file that is not an answer).
                """)

        @Option(name: .customLong("answer-key"), help: ArgumentHelp("The realm's public answer key.", valueName: "FILE.pem"))
        var answerKey: String

        @Option(name: .customLong("answer-cache"), help: ArgumentHelp("The cache the request was kept in.", valueName: "FILE"))
        var answerCache: String

        @Argument(help: ArgumentHelp("The answer file, as licensectl answer wrote it.", valueName: "ANSWER"))
        var answer: String

        func run() throws {
            let bytes = try readSmallFile(answer)
            let parsed: OfflineAnswer
            do {
                parsed = try OfflineAnswer(parsing: bytes)
            } catch {
                throw CommandError("\(answer) is not an answer file: \(error)")
            }
            let outcome: AcceptOutcome
            do {
                outcome = try LicenseClient.accept(parsed, answerKey: answerKey, answerCache: answerCache)
            } catch {
                throw CommandError(error.message)
            }
            switch outcome {
            case .accepted(let until):
                print("valid (offline until \(until))")
            case .invalid(let reason):
                print("invalid \(reason.rawValue)")
                throw ExitCode(1)
            case .forged(let why):
                print("invalid forged-answer")
                FileHandle.standardError.write(Data("licensectl: \(why)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}

/// A request or answer file's bytes: at most one byte more than such a file may hold, so that a
/// larger one is refused by its parser without being read whole.
private func readSmallFile(_ path: String) throws -> [UInt8] {
    guard let file = FileHandle(forReadingAtPath: path) else { throw CommandError("cannot read \(path)") }
    defer { try? file.close() }
    let data: Data?
    do {
        data = try file.read(upToCount: OfflineFile.maximumLength + 1)
    } catch {
        throw CommandError("cannot read \(path): \(error.localizedDescription)")
    }
    // nil: an empty file, which its parser refuses with a line saying so.
    return Array(data ?? Data())
}

private func writeFile(_ path: String, _ text: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw CommandError("cannot write \(path)") }
}
