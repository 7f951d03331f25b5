import Foundation
import LicenseCore
import TestSupport
import Testing

/// SPEC §13 (binding by the holder), §2/§4.9 (rights a start debits) and §1's multi-server users,
/// through nginx, the pool and PostgreSQL. Part of the serialized suite of the stack.
extension ServiceTests {
    func bindRequest(_ path: String, _ code: String, json: Bool = false) throws -> HTTPAnswer {
        try stack.request(path, method: "POST", body: Data(("code=" + code).utf8),
                          headers: ["Content-Type: application/x-www-form-urlencoded"] + (json ? ["Accept: application/json"] : []))
    }

    func licensectlBinding(_ command: String, key: String, system: String?, answerKey: String? = nil,
                           url: String? = nil) throws -> CommandResult {
        try stack.licensectl([command, "--server", url ?? serverURL, "--key-file", try keyFile(key), "--revision", "7.1",
                              "--domain", "localhost", "--cacert", caFile, "--user-id-file", userIDFile()]
                             + (system.map { ["--system", $0] } ?? []) + (answerKey.map { ["--answer-key", $0] } ?? []))
    }

    @Test("licensectl bind and unbind with the answer key: bound up to N, invalid binding past it, checks follow the bindings, unbind-limit after 3 in 30 days")
    func bindWithLicensectl() throws {
        let id = uniqueID("BIND")
        let key = try issue(["id=" + id, "bind=2", "users=10"])
        let bound = try licensectlBinding("bind", key: key, system: "Eth_52:54:00:00:0b:01", answerKey: answerKey)
        #expect(bound.status == 0 && bound.standardOutput == "bound\n", "\(bound.standardOutput) \(bound.standardError)")
        #expect(bound.standardError.contains("1 of 2 computers bound"))
        #expect(try licensectlBinding("bind", key: key, system: "Eth_52:54:00:00:0b:02", answerKey: answerKey).standardOutput == "bound\n")
        let full = try licensectlBinding("bind", key: key, system: "Eth_52:54:00:00:0b:03", answerKey: answerKey)
        #expect(full.status == 1 && full.standardOutput == "invalid binding\n" && full.standardError.contains("2 of 2"))
        // Rule 7: bound computers are valid, another is system-id, a code without system= too.
        #expect(try answer(try code(key, system: "Eth_52:54:00:00:0b:01")) == "valid")
        #expect(try answer(try code(key, system: "Eth_52:54:00:00:0b:03")) == "invalid system-id")
        #expect(try answer(try code(key)) == "invalid system-id")
        // Three unbindings in 30 days, then the fourth is refused and changes nothing.
        for round in 0..<3 {
            let system = round == 0 ? "Eth_52:54:00:00:0b:01" : "Eth_52:54:00:00:0b:0\(round + 3)"
            let unbound = try licensectlBinding("unbind", key: key, system: system, answerKey: answerKey)
            #expect(unbound.status == 0 && unbound.standardOutput == "unbound\n", "round \(round): \(unbound.standardError)")
            #expect(try licensectlBinding("bind", key: key, system: "Eth_52:54:00:00:0b:0\(round + 4)").standardOutput == "bound\n")
        }
        let limited = try licensectlBinding("unbind", key: key, system: "Eth_52:54:00:00:0b:02", answerKey: answerKey)
        #expect(limited.status == 1 && limited.standardOutput == "invalid unbind-limit\n")
        #expect(try answer(try code(key, system: "Eth_52:54:00:00:0b:02")) == "valid")
        #expect(try answer(try code(key, system: "Eth_52:54:00:00:0b:01")) == "invalid system-id")
        // The database holds keyed hashes, never the system IDs; the report views count them.
        #expect(try stack.sql("SELECT count(*) || ' ' || min(length(computer_hash)) FROM bindings WHERE license_id = '\(id)'") == "2 32")
        #expect(try stack.sql("SELECT count(*) FROM bindings WHERE license_id = '\(id)' AND position('Eth_'::bytea IN computer_hash) > 0") == "0")
        #expect(try stack.sql("SELECT bound || ' of ' || bind_limit || ', ' || unbound_30_days FROM report_bindings WHERE license_id = '\(id)'")
                == "2 of 2, 3")
        #expect(try stack.sql("SELECT count(*) FROM report_bound_computers WHERE license_id = '\(id)' AND computer ~ '^[0-9a-f]{12}$'") == "2")
    }

    @Test("bind: no system= is a 400; a key without bind= is invalid binding; a bind key answers JSON; an unreachable server exits 2")
    func bindAnswers() throws {
        let id = uniqueID("BINDJ")
        let key = try issue(["id=" + id, "bind=3"])
        let noSystem = try bindRequest("/bind", try code(key))
        #expect(noSystem.status == 400 && noSystem.body.contains("system="))
        let plain = try issue(["id=" + uniqueID("BINDP"), "users=3"])
        #expect(try bindRequest("/bind", try code(plain, system: "Eth_1")).body == "invalid binding\n")
        let json = try bindRequest("/bind", try code(key, system: "Eth_1"), json: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any])
        #expect(object["result"] as? String == "bound" && object["license"] as? String == id)
        #expect(object["bound"] as? Int == 1 && object["limit"] as? Int == 3 && object["reason"] is NSNull)
        #expect(json.headers["license-signature"]?.contains("until=,") == true, "\(json.headers)")
        #expect(try stack.request("/unbind").status == 405)
        let unreachable = try licensectlBinding("bind", key: key, system: "Eth_1", url: "https://localhost:\(try closedPort())")
        #expect(unreachable.status == 2 && unreachable.standardOutput.isEmpty && unreachable.standardError.contains("cannot connect"))
        #expect(try stack.sql("SELECT count(*) FROM bindings WHERE license_id = '\(id)'") == "1")
    }

    @Test("concurrent binds of 24 computers to a license of bind=3 bind exactly 3")
    func concurrentBinds() throws {
        let id = uniqueID("BINDC")
        let key = try issue(["id=" + id, "bind=3"])
        let codes = try (0..<24).map { try code(key, user: "binder-\($0)-user", system: "Eth_52:54:00:00:0c:\(String(format: "%02x", $0))") }
        let answers = CollectedAnswers()
        DispatchQueue.concurrentPerform(iterations: codes.count) { index in
            answers.append(((try? bindRequest("/bind", codes[index]).body) ?? "error").trimmingCharacters(in: .newlines))
        }
        #expect(answers.values.filter { $0 == "bound" }.count == 3, "\(answers.values)")
        #expect(answers.values.filter { $0 == "invalid binding" }.count == 21, "\(Set(answers.values))")
        #expect(try stack.sql("SELECT count(*) FROM bindings WHERE license_id = '\(id)'") == "3")
    }

    @Test("weighted rights: 40 concurrent starts debiting 1 to 4 never hold more than rights=10; the sum is in JSON and the report")
    func concurrentWeightedRights() throws {
        let id = uniqueID("RIGHTS")
        let key = try issue(["id=" + id, "rights=10"])
        let debits = (0..<40).map { $0 % 4 + 1 }
        let codes = try debits.indices.map { try code(key, user: "weighted-user-\($0 % 5)", instance: "weighted-instance-\($0)", rights: debits[$0]) }
        let answers = CollectedAnswers()
        DispatchQueue.concurrentPerform(iterations: codes.count) { index in
            let body = ((try? check(codes[index]).body) ?? "error").trimmingCharacters(in: .newlines)
            answers.append("\(index) \(body)")
        }
        let admitted = answers.values.compactMap { line -> Int? in
            let parts = line.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[1] == "valid" ? Int(parts[0]) : nil
        }
        let admittedDebits = admitted.map { debits[$0] }.reduce(0, +)
        #expect(admittedDebits <= 10 && !admitted.isEmpty, "\(answers.values)")
        #expect(answers.values.allSatisfy { $0.hasSuffix(" valid") || $0.hasSuffix(" invalid rights") }, "\(Set(answers.values))")
        #expect(try stack.sql("SELECT sum(rights) FROM seats WHERE license_id = '\(id)'") == String(admittedDebits))
        // A known instance asking for another debit: more than is free is refused and keeps its debit.
        let first = try #require(admitted.first)
        let greedy = try code(key, user: "weighted-user-\(first % 5)", instance: "weighted-instance-\(first)", rights: 10 - admittedDebits + debits[first] + 1)
        #expect(try answer(greedy) == "invalid rights")
        #expect(try stack.sql("SELECT sum(rights) FROM seats WHERE license_id = '\(id)'") == String(admittedDebits))
        let response = try check(try code(key, user: "weighted-user-\(first % 5)", instance: "weighted-instance-\(first)", rights: debits[first]),
                                 json: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        let scope = try #require((object["scopes"] as? [[String: Any]])?.first)
        #expect((scope["in_use"] as? [String: Int])?["rights"] == admittedDebits)
        #expect(try stack.sql("SELECT rights_active FROM report_usage_now WHERE license_id = '\(id)'") == String(admittedDebits))
        // Bad rights lines are 400s that admit nothing.
        let tooMany = Base64URL.encode(Array("\(key)\n7.1\nweighted-user-9\nlocalhost\nrights=1000001".utf8))
        let bad = try check(tooMany)
        #expect(bad.status == 400 && bad.body.contains("rights must be"))
        #expect(try stack.sql("SELECT sum(rights) FROM seats WHERE license_id = '\(id)'") == String(admittedDebits))
    }

    @Test("multi-server users (seed 000): two keys with one id for a.example and b.example; a user on both counts once; a third user is refused on either")
    func multiServerUsers() throws {
        let id = uniqueID("MULTI")
        let serverA = try issue(["id=" + id, "users=2", "host=a.example"])
        let serverB = try issue(["id=" + id, "users=2", "host=b.example"])
        #expect(try answer(try code(serverA, user: "moving-user-1", domain: "a.example")) == "valid")
        #expect(try answer(try code(serverB, user: "moving-user-1", domain: "b.example")) == "valid")
        #expect(try answer(try code(serverB, user: "staying-user-2", domain: "b.example")) == "valid")
        #expect(try answer(try code(serverA, user: "third-user-3", domain: "a.example")) == "invalid users")
        #expect(try answer(try code(serverB, user: "third-user-3", domain: "b.example")) == "invalid users")
        // Each key is for its own server.
        #expect(try answer(try code(serverA, user: "moving-user-1", domain: "b.example")) == "invalid host")
        #expect(try stack.sql("SELECT users_active FROM report_usage_now WHERE license_id = '\(id)'") == "2")
        // A server whose key has an id of its own counts its users apart.
        let serverC = try issue(["id=" + uniqueID("MULTI"), "users=2", "host=c.example"])
        #expect(try answer(try code(serverC, user: "third-user-3", domain: "c.example")) == "valid")
    }
}

extension ServiceTests {
    @Test("the binding page in headless Chromium: bind two computers (2 of 3 bound), one by the key file, unbind, the limit's message; screenshots kept")
    func bindPageInBrowser() throws {
        let id = uniqueID("PAGE")
        let key = try issue(["id=" + id, "bind=3", "licensee=ACME <Plant & Lab>"])
        let shots = artifacts + "/bind-page"
        try? FileManager.default.removeItem(atPath: shots)
        // Three unbindings are allowed in 30 days (the stack's default --unbind-limit): the fourth shows the limit.
        let steps = ["bind:Eth_52:54:00:00:0d:01", "file-bind:Eth_52:54:00:00:0d:02", "unbind:Eth_52:54:00:00:0d:01",
                     "bind:Eth_52:54:00:00:0d:03", "unbind:Eth_52:54:00:00:0d:03", "bind:Eth_52:54:00:00:0d:04",
                     "unbind:Eth_52:54:00:00:0d:04", "unbind:Eth_52:54:00:00:0d:02", "bind:Eth 52", "bind:Eth_52:54:00:00:0d:05",
                     "bind:Eth_52:54:00:00:0d:06", "bind:Eth_52:54:00:00:0d:07"]
        let driver = stack.packageRoot + "/Tests/ServiceTests/Browser/bind_page.py"
        let result = try Command.run("/usr/bin/python3", [driver, "--url", "https://localhost:\(stack.httpsPort)/bind",
                                                          "--key-file", try keyFile(key), "--screenshots", shots] + steps)
        try #require(result.status == 0, "\(result.standardError)")
        let answers = result.standardOutput.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        try #require(answers.count == steps.count, "\(result.standardOutput) \(result.standardError)")
        func field(_ index: Int, _ name: String) -> String { answers[index][name] as? String ?? "-" }
        #expect(field(0, "headline") == "bound" && field(0, "count") == "1 of 3 bound")
        #expect(field(0, "license") == "X-META-X · license \(id) · ACME <Plant & Lab>")
        #expect(field(1, "headline") == "bound" && field(1, "count") == "2 of 3 bound")
        #expect(field(2, "headline") == "unbound" && field(2, "count") == "1 of 3 bound")
        #expect(field(3, "count") == "2 of 3 bound" && field(4, "count") == "1 of 3 bound")
        #expect(field(5, "count") == "2 of 3 bound" && field(6, "headline") == "unbound")
        // The fourth unbinding in 30 days: refused, the computer stays bound.
        #expect(field(7, "headline") == "invalid unbind-limit" && field(7, "count") == "1 of 3 bound")
        #expect(field(7, "explanation").contains("at most 3 times in 30 days"))
        #expect(field(8, "headline").hasPrefix("Not sent: the system ID must be TYPE_VALUE"))
        #expect(field(9, "count") == "2 of 3 bound" && field(10, "count") == "3 of 3 bound")
        // A fourth computer: the license is bound to as many as it allows.
        #expect(field(11, "headline") == "invalid binding" && field(11, "count") == "3 of 3 bound")
        #expect(field(11, "explanation").contains("unbind one of them first"))
        #expect(try stack.sql("SELECT count(*) FROM bindings WHERE license_id = '\(id)'") == "3")
        // Nothing went wrong in the page, and it loaded nothing from anywhere (the CSP would say so).
        for (index, answer) in answers.enumerated() {
            let console = answer["console"] as? [String] ?? ["?"]
            // The form posted with a system ID out of form is answered 400, which Chromium notes.
            #expect(console.allSatisfy { index == 8 && $0.contains("status of 400") }, "\(answer)")
        }
        #expect(FileManager.default.fileExists(atPath: shots + "/step-2.png"))
    }
}

extension ServiceTests {
    @Test("console: a license's page shows its bound computers (N of M, by handle) and rights as the sum of debits")
    func consoleBindingsAndDebits() throws {
        let id = uniqueID("CBIND")
        let key = try issue(["id=" + id, "bind=3", "rights=10"])
        for system in ["Eth_52:54:00:00:0e:01", "Eth_52:54:00:00:0e:02"] {
            #expect(try bindRequest("/bind", try code(key, system: system)).body == "bound\n")
        }
        #expect(try answer(try code(key, system: "Eth_52:54:00:00:0e:01", instance: "console-instance-1", rights: 4)) == "valid")
        #expect(try answer(try code(key, system: "Eth_52:54:00:00:0e:02", instance: "console-instance-2", rights: 3)) == "valid")
        let page = try consolePage("/console/license/default/" + id)
        #expect(page.status == 200)
        #expect(page.body.contains("<span id=\"bound-count\">2 of 3 bound</span>"), "\(page.body)")
        let handles = try stack.sql("SELECT computer FROM report_bound_computers WHERE license_id = '\(id)' ORDER BY computer")
            .split(separator: "\n")
        #expect(handles.count == 2 && handles.allSatisfy { page.body.contains("<code>\($0)</code>") })
        #expect(page.body.contains("class=\"number rights\" data-active=\"7\""), "\(page.body)")
    }
}
