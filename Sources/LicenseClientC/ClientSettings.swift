import LicenseClient
import LicenseCore

/// The settings text of `license_client_create` (clients/c/include/license-client.h): one
/// `name=value` per line, read into a `LicenseClient`. Every mistake is an `ArgumentError`
/// naming the line, so that a C caller's message says what to fix.
struct ClientSettings {
    struct ArgumentError: Error {
        let message: String
    }

    static let names: Set<String> = [
        "server", "key-file", "key", "revision", "domain", "system", "options", "product", "rights",
        "user-id-file", "cacert", "timeout", "answer-key", "answer-cache", "fail-closed",
    ]

    private var values: [String: String] = [:]

    init(_ text: String) throws(ArgumentError) {
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.trimmingBlanks().isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ArgumentError(message: "settings line \(index + 1) is not name=value")
            }
            let name = String(line[..<equals].trimmingBlanks())
            let value = String(line[line.index(after: equals)...].trimmingBlanks())
            guard Self.names.contains(name) else {
                throw ArgumentError(message: "settings line \(index + 1): unknown setting \"\(name)\"")
            }
            guard values[name] == nil else {
                throw ArgumentError(message: "settings line \(index + 1): \(name) is set twice")
            }
            values[name] = value
        }
    }

    private func required(_ name: String) throws(ArgumentError) -> String {
        guard let value = values[name], !value.isEmpty else { throw ArgumentError(message: "the setting \(name) is missing") }
        return value
    }

    /// The client these settings describe; its own checks (the URL, the key file, the code's
    /// fields, the answer key) throw `LicenseClientError`.
    func client() throws -> LicenseClient {
        let server = try required("server")
        let revision = try required("revision")
        let domain = try required("domain")
        let keyLine: String
        switch (values["key-file"], values["key"]) {
        case (let file?, nil): keyLine = try LicenseClient.keyLine(inFile: file)
        case (nil, let line?): keyLine = line
        case (nil, nil): throw ArgumentError(message: "the setting key-file (or key) is missing")
        case (_?, _?): throw ArgumentError(message: "key-file and key are both set; set one")
        }
        var rights: Int?
        if let text = values["rights"] {
            guard let number = Int(text) else { throw ArgumentError(message: "rights is not a whole number: \(text)") }
            rights = number
        }
        var timeout = 5
        if let text = values["timeout"] {
            guard let seconds = Int(text), (1...600).contains(seconds) else {
                throw ArgumentError(message: "timeout must be 1 to 600 seconds: \(text)")
            }
            timeout = seconds
        }
        let failClosed: Bool
        switch values["fail-closed"] {
        case nil, "no": failClosed = false
        case "yes": failClosed = true
        case let other?: throw ArgumentError(message: "fail-closed must be yes or no: \(other)")
        }
        let options = values["options"].map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        return try LicenseClient(serverURL: server, keyLine: keyLine, revision: revision, domain: domain, system: values["system"],
                                 options: options, product: values["product"], rights: rights,
                                 userIDFile: values["user-id-file"] ?? UserIDFile.defaultPath, caFile: values["cacert"],
                                 timeout: .seconds(timeout), answerKey: values["answer-key"], answerCache: values["answer-cache"],
                                 failClosed: failClosed)
    }
}
