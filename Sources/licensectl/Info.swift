import ArgumentParser
import SystemIdentity

extension Licensectl {
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print this computer's system ID (Eth_ and the MAC of its first network interface).")

        func run() throws {
            do {
                print(try SystemID.current())
            } catch {
                throw CommandError(error.description)
            }
        }
    }
}
