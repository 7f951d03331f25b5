import Foundation
import LicenseCore
import TestSupport
import Testing

/// docs/openapi.yaml against a validator and against the stack's real answers: every route,
/// method and status the document lists is asked of nginx and the pool here, and openapi-core
/// checks each answer's status, content type, headers and body (Tests/ServiceTests/OpenAPI/).
/// The validators come from PyPI, pinned (`make python-tools`).
extension ServiceTests {
    var openAPIDocument: String { stack.packageRoot + "/docs/openapi.yaml" }

    func pythonTool(_ name: String) throws -> String {
        let path = stack.packageRoot + "/.build/python-tools/bin/" + name
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is missing: run make python-tools")
        return path
    }

    @Test("docs/openapi.yaml is a valid OpenAPI 3.1 document (openapi-spec-validator); a broken copy is refused")
    func openAPIDocumentValidates() throws {
        let validator = try pythonTool("openapi-spec-validator")
        let accepted = try Command.run(validator, [openAPIDocument])
        #expect(accepted.status == 0 && accepted.standardOutput.contains("OK"), "\(accepted.standardOutput)\(accepted.standardError)")
        // The validator can fail: a response that refers to a schema the document lacks.
        let document = try String(contentsOfFile: openAPIDocument, encoding: .utf8)
        let folder = try TemporaryDirectory()
        let broken = document.replacingOccurrences(of: "#/components/schemas/CheckLine\" }\n        application/json",
                                                   with: "#/components/schemas/NoSuchLine\" }\n        application/json")
        try #require(broken != document)
        try broken.write(toFile: folder.file("openapi.yaml"), atomically: true, encoding: .utf8)
        let refused = try Command.run(validator, [folder.file("openapi.yaml")])
        #expect(refused.status != 0, "\(refused.standardOutput)")
    }

    /// One request and its answer, as conformance.py reads them.
    struct RecordedExchange: Codable {
        let name: String
        let method: String
        let path: String
        let requestHeaders: [String: String]
        let requestBody: String
        let status: Int
        let responseHeaders: [String: String]
        let responseBody: String

        enum CodingKeys: String, CodingKey {
            case name, method, path, status
            case requestHeaders = "request_headers"
            case requestBody = "request_body"
            case responseHeaders = "response_headers"
            case responseBody = "response_body"
        }
    }

    /// A request through nginx with curl (HEAD as curl -I sends it; multipart from `formFields`).
    func recorded(_ name: String, _ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil,
                  formFields: [String] = []) throws -> RecordedExchange {
        var arguments = ["-sS", "--max-time", "15", "--cacert", caFile, "-D", "-", "-o", "-"]
        arguments += method == "HEAD" ? ["-I"] : ["-X", method]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if body != nil { arguments += ["--data-binary", "@-"] }
        for field in formFields { arguments += ["-F", field] }
        arguments.append("https://localhost:\(stack.httpsPort)\(path)")
        let result = try Command.run("curl", arguments, input: body.map { Data($0.utf8) })
        let answer = HTTPAnswer(curlOutput: result.standardOutput, error: result.standardError, exitCode: result.status)
        try #require(answer.status != 0, "\(name): \(answer.curlError)")
        return RecordedExchange(name: name, method: method, path: path,
                                requestHeaders: Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) }),
                                requestBody: body ?? "", status: answer.status, responseHeaders: answer.headers,
                                responseBody: answer.body)
    }

    /// Runs conformance.py over `exchanges`; its output, and whether every answer conformed and
    /// every status of the document was seen.
    func conformance(_ exchanges: [RecordedExchange]) throws -> CommandResult {
        let folder = try TemporaryDirectory()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(exchanges).write(to: URL(fileURLWithPath: folder.file("exchanges.json")))
        return try Command.run(try pythonTool("python"), [stack.packageRoot + "/Tests/ServiceTests/OpenAPI/conformance.py",
                                                          openAPIDocument, folder.file("exchanges.json")])
    }

    @Test("every route, method and status of docs/openapi.yaml, asked of the real stack, answers as the document says")
    func realAnswersConformToOpenAPI() throws {
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        let json = ["Accept": "application/json"]
        let keyLine = try issue(["id=" + uniqueID("OA"), "users=5", "rights=3", "bind=2", "systemid=Eth_1",
                                 "duration=01Jan2020-31Dec2099"])
        let signed = try codeWithNonce(keyLine, user: "openapi-user-1")
        let machine = try code(keyLine, user: "openapi-user-2", system: "Eth_2", instance: "openapi-instance-2")
        let noSystem = try code(keyLine, user: "openapi-user-3")
        let forged = try code(keyLine.replacingOccurrences(of: "users=5", with: "users=6"), user: "openapi-user-4")
        let malformed = try code("X-META-X users=0 signature=" + SignatureText.encode([UInt8](repeating: 0, count: 64)))
        let keyPath = try keyFile(keyLine)

        var exchanges = [
            try recorded("valid, signed", "GET", "/check?code=" + signed.encoded),
            try recorded("refused, JSON", "GET", "/check?code=" + noSystem, headers: json),
            try recorded("malformed key, JSON (nulls)", "GET", "/check?code=" + malformed, headers: json),
            try recorded("bad code", "GET", "/check?code=not-a-code"),
            try recorded("unknown path", "GET", "/nope"),
            try recorded("form POST", "POST", "/check", headers: form, body: "code=" + noSystem),
            try recorded("bare POST", "POST", "/check", headers: ["Content-Type": "text/plain"], body: noSystem),
            try recorded("bad form POST", "POST", "/check", headers: form, body: "code=%%%"),
            try recorded("body over 16 KiB", "POST", "/check", headers: form, body: "code=" + String(repeating: "A", count: 20_000)),
            try recorded("body over 8 KiB", "POST", "/release", headers: form, body: "code=" + String(repeating: "A", count: 10_000)),
            try recorded("preflight", "OPTIONS", "/check",
                         headers: ["Origin": "https://localhost", "Access-Control-Request-Method": "POST"]),
            try recorded("release preflight", "OPTIONS", "/release",
                         headers: ["Origin": "https://localhost", "Access-Control-Request-Method": "POST"]),
            try recorded("bind a computer", "POST", "/bind", headers: form, body: "code=" + machine),
            try recorded("bind, JSON", "POST", "/bind", headers: form.merging(json) { first, _ in first }, body: "code=" + machine),
            try recorded("valid with rights, JSON (heartbeat)", "GET", "/check?code=" + machine, headers: json),
            try recorded("release", "POST", "/release", headers: form, body: "code=" + machine),
            try recorded("release of a forged key", "POST", "/release", headers: form, body: "code=" + forged),
            try recorded("release, bad code", "POST", "/release", headers: form, body: "code=AAAA"),
            try recorded("bind without system=", "POST", "/bind", headers: form, body: "code=" + noSystem),
            try recorded("the page's form, pasted key", "POST", "/bind", headers: form,
                         body: "key=" + keyLine.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "&system=Eth_3"),
            try recorded("the page's form, key file", "POST", "/bind", formFields: ["keyfile=@" + keyPath, "system=Eth_3"]),
            try recorded("the page's form, system ID out of form", "POST", "/bind", headers: form,
                         body: "key=" + keyLine.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "&system=%0A"),
            try recorded("unbind, JSON", "POST", "/unbind", headers: form.merging(json) { first, _ in first }, body: "code=" + machine),
            try recorded("unbind", "POST", "/unbind", headers: form, body: "code=" + machine),
            try recorded("unbind without system=", "POST", "/unbind", headers: form, body: "code=" + noSystem),
            try recorded("the binding page", "GET", "/bind"),
            try recorded("the binding page's headers", "HEAD", "/bind"),
            try recorded("health", "GET", "/healthz"),
            try recorded("health's headers", "HEAD", "/healthz"),
        ]
        for (method, path) in [("PUT", "/check"), ("DELETE", "/check"), ("PATCH", "/check"), ("GET", "/release"),
                               ("DELETE", "/bind"), ("GET", "/unbind"), ("POST", "/healthz")] {
            exchanges.append(try recorded("\(method) \(path) not allowed", method, path))
        }
        // nginx's limit of 5/s with a burst of 10 on /healthz: a flood gets 429s.
        let flood = try (0..<30).map { _ in try recorded("health flood", "GET", "/healthz") }
        exchanges += flood.filter { $0.status == 429 }.prefix(1)
        #expect(flood.contains { $0.status == 429 }, "\(flood.map(\.status))")

        // The database stopped: each route's 503.
        try #require(try stack.stack("pg-stop").status == 0)
        do {
            sleep(1)  // the health flood's limit refills (5/s)
            exchanges += [
                try recorded("check, database down", "GET", "/check?code=" + machine),
                try recorded("form check, database down", "POST", "/check", headers: form, body: "code=" + machine),
                try recorded("release, database down", "POST", "/release", headers: form, body: "code=" + machine),
                try recorded("bind, database down", "POST", "/bind", headers: form, body: "code=" + machine),
                try recorded("the page's form, database down", "POST", "/bind", headers: form,
                             body: "key=" + keyLine.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "&system=Eth_3"),
                try recorded("unbind, database down", "POST", "/unbind", headers: form, body: "code=" + machine),
                try recorded("health, database down", "GET", "/healthz"),
                try recorded("health's headers, database down", "HEAD", "/healthz"),
            ]
        } catch {
            _ = try? stack.stack("pg-start")
            throw error
        }
        try #require(try stack.stack("pg-start").status == 0)

        // What each exchange is meant to show, so that a 200 standing in for a 503 cannot pass.
        let statuses = Dictionary(exchanges.map { ($0.name, $0.status) }, uniquingKeysWith: { first, _ in first })
        #expect(statuses["valid, signed"] == 200 && statuses["bad code"] == 400 && statuses["unknown path"] == 404
                && statuses["body over 16 KiB"] == 413 && statuses["body over 8 KiB"] == 413 && statuses["health flood"] == 429 && statuses["preflight"] == 204
                && statuses["check, database down"] == 503 && statuses["the page's form, database down"] == 503
                && statuses["bind without system="] == 400 && statuses["the page's form, system ID out of form"] == 400,
                "\(statuses)")
        #expect(exchanges.first { $0.name == "valid, signed" }?.responseHeaders["license-signature"] != nil)

        let result = try conformance(exchanges)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")

        // The check can fail: a JSON answer with a reason SPEC does not have, a 503 without
        // Retry-After, and a route left unasked are each reported.
        var altered = exchanges.filter { $0.name != "unknown path" }
        if let index = altered.firstIndex(where: { $0.name == "refused, JSON" }) {
            let original = altered[index]
            altered[index] = RecordedExchange(name: original.name, method: original.method, path: original.path,
                                              requestHeaders: original.requestHeaders, requestBody: original.requestBody,
                                              status: 200, responseHeaders: original.responseHeaders,
                                              responseBody: original.responseBody.replacingOccurrences(of: "\"system-id\"", with: "\"maybe\""))
        }
        if let index = altered.firstIndex(where: { $0.name == "check, database down" }) {
            let original = altered[index]
            altered[index] = RecordedExchange(name: original.name, method: original.method, path: original.path,
                                              requestHeaders: original.requestHeaders, requestBody: original.requestBody,
                                              status: 503, responseHeaders: original.responseHeaders.filter { $0.key != "retry-after" },
                                              responseBody: original.responseBody)
        }
        let refused = try conformance(altered)
        #expect(refused.status == 1, "\(refused.standardOutput)\(refused.standardError)")
        #expect(refused.standardOutput.contains("refused, JSON") && refused.standardOutput.contains("check, database down")
                && refused.standardOutput.contains("not exercised: GET /{unknown} -> 404"), "\(refused.standardOutput)")
    }
}
