import ArgumentParser
import LicenseCore

extension Licensectl {
    struct Code: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the startup code a client would send for a key file.")

        @Option(name: .long, help: ArgumentHelp("The license key file.", valueName: "F"))
        var keyFile: String

        @Option(name: .long, help: ArgumentHelp("The program's revision, a dotted number.", valueName: "R"))
        var revision: String

        @Option(name: .long, help: ArgumentHelp("The user ID, 8 to 128 of A-Z a-z 0-9 . _ ~ -.", valueName: "U"))
        var userID: String

        @Option(name: .long, help: ArgumentHelp("The domain the program works on.", valueName: "D"))
        var domain: String

        @Option(name: .long, help: ArgumentHelp("This computer's system ID.", valueName: "S"))
        var system: String?

        @Option(name: .long, help: ArgumentHelp("This running instance's ID.", valueName: "I"))
        var instance: String?

        @Option(name: .long, help: ArgumentHelp("The options this start needs, comma-separated.", valueName: "A,B"))
        var options: String?

        func run() throws {
            let keyLine = try readKeyLine(keyFile)
            do {
                let code = try StartupCode(
                    keyLine: keyLine, revision: revision, userID: userID, domain: domain, system: system,
                    instance: instance,
                    options: options.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? [])
                print(code.encoded)
            } catch {
                throw ValidationError(error.message)
            }
        }
    }
}
