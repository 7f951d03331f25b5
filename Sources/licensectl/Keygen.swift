import ArgumentParser
import LicenseSigning

extension Licensectl {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an issuer key pair: DIR/NAME.key (private, mode 0600) and DIR/NAME.pem (public).")

        @Option(name: .long, help: ArgumentHelp("The folder to write the key pair to.", valueName: "DIR"))
        var out: String

        @Option(name: .long, help: "The issuer's name; keys name it in their issuer= field.")
        var name: String = "default"

        func run() throws {
            let paths = try IssuerSigningKey.generateFiles(in: out, name: name)
            print("private key: \(paths.privateKeyPath)")
            print("public key:  \(paths.publicKeyPath)")
        }
    }
}
