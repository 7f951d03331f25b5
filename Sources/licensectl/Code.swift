import ArgumentParser
import LicenseCore

/// What a startup code is made of, besides the user ID: shared by `code`, `check` and `release`.
struct CodeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The license key file.", valueName: "F"))
    var keyFile: String

    @Option(name: .long, help: ArgumentHelp("The program's revision, a dotted number.", valueName: "R"))
    var revision: String

    @Option(name: .long, help: ArgumentHelp("The domain the program works on.", valueName: "D"))
    var domain: String

    @Option(name: .long, help: ArgumentHelp("This computer's system ID.", valueName: "S"))
    var system: String?

    @Option(name: .long, help: ArgumentHelp("This running instance's ID.", valueName: "I"))
    var instance: String?

    @Option(name: .long, help: ArgumentHelp("The options this start needs, comma-separated.", valueName: "A,B"))
    var options: String?

    @Option(name: .long, help: ArgumentHelp("The product the program is; a key for another product is refused.", valueName: "P"))
    var product: String?

    @Option(name: .long, help: ArgumentHelp("The rights this start debits, 1 to 1000000 (default 1).", valueName: "N"))
    var rights: Int?

    /// `--options` as a list; empty names stay, so that the code's own check reports them.
    var optionList: [String] {
        options.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
    }
}

extension Licensectl {
    struct Code: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the startup code a client would send for a key file.")

        @OptionGroup var code: CodeOptions

        @Option(name: .long, help: ArgumentHelp("The user ID, 8 to 128 of A-Z a-z 0-9 . _ ~ -.", valueName: "U"))
        var userID: String

        func run() throws {
            let keyLine = try readKeyLine(code.keyFile)
            do {
                let startupCode = try StartupCode(
                    keyLine: keyLine, revision: code.revision, userID: userID, domain: code.domain, system: code.system,
                    instance: code.instance, options: code.optionList, product: code.product, rights: code.rights)
                print(startupCode.encoded)
            } catch {
                throw ValidationError(error.message)
            }
        }
    }
}
