import ArgumentParser
import Foundation
import LicenseCore
import LicenseSigning

extension Licensectl {
    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a license key and print it.",
            usage: "licensectl issue --signing-key FILE [--out-dir DIR] -- PRODUCT FIELD...",
            discussion: """
                Each FIELD is one argument, name=value, in key order; a value with spaces is \
                quoted in the output: 'licensee=ACME Corp'. Example:
                  licensectl issue --signing-key issuers/default.key -- X-META-X id=ACME-1 users=5 host=example.com
                """)

        @Option(name: .long, help: ArgumentHelp("The issuer's private key (PEM).", valueName: "FILE"))
        var signingKey: String

        @Option(name: .long, help: ArgumentHelp("Also write the key to DIR/<first host>.txt.", valueName: "DIR"))
        var outDir: String?

        @Argument(help: "The product, e.g. X-META-X.")
        var product: String

        @Argument(help: "The fields, name=value each, in key order.")
        var fields: [String] = []

        func run() throws {
            var parsedFields: [LicenseTerms.Field] = []
            for argument in fields {
                guard let equals = argument.firstIndex(of: "=") else {
                    throw ValidationError("'\(argument)' is not name=value")
                }
                parsedFields.append(LicenseTerms.Field(String(argument[..<equals]), String(argument[argument.index(after: equals)...])))
            }
            let terms: LicenseTerms
            do {
                terms = try LicenseTerms(product: product, fields: parsedFields)
            } catch {
                throw CommandError("the key would be invalid: \(error)")
            }
            var fileName: String?
            if outDir != nil {
                guard let firstHost = parsedFields.first(where: { $0.name == "host" })?.value else {
                    throw ValidationError("--out-dir names the file after the first host= field, and there is none")
                }
                fileName = firstHost + ".txt"
            }
            let signingKey = try IssuerSigningKey(contentsOf: signingKey)
            let key = try signingKey.sign(terms)
            print(key.line)
            if let outDir, let fileName {
                try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
                let path = outDir + "/" + fileName
                try Data((key.line + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
            }
        }
    }
}
