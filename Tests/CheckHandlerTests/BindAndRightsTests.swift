import Foundation
import LicenseCore
import LicenseCrypto
@testable import LicenseService
import LicenseSigning
import Testing

/// SPEC §13 (binding by the holder) and §2/§4.9 (rights a start debits) in the handlers, over the
/// in-memory store: what each route answers. PostgreSQL's side (the lock, the sums, the hashes)
/// is ServiceTests' BindingServiceTests.
@Suite("binding and weighted rights, in process")
struct BindAndRightsTests {
    static let formType = "application/x-www-form-urlencoded"

    func post(_ harness: HandlerHarness, _ path: String, _ code: String, json: Bool = false) -> ServiceResponse {
        harness.request(path, method: "POST", body: Array(("code=" + code).utf8), contentType: Self.formType,
                        accept: json ? "application/json" : nil)
    }

    func text(_ response: ServiceResponse) -> String {
        response.body.trimmingCharacters(in: .newlines)
    }

    @Test("bind up to N computers; the N+1st is invalid binding; a bound computer binds again; unbind frees a place")
    func bindUpToLimit() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=B-1", "bind=2"])
        func code(_ system: String) throws -> String { try harness.code(key, system: system) }
        #expect(text(post(harness, "/bind", try code("Eth_1"))) == "bound")
        #expect(text(post(harness, "/bind", try code("Eth_1"))) == "bound")
        #expect(text(post(harness, "/bind", try code("Eth_2"))) == "bound")
        #expect(text(post(harness, "/bind", try code("Eth_3"))) == "invalid binding")
        #expect(text(post(harness, "/unbind", try code("Eth_9"))) == "unbound")
        #expect(text(post(harness, "/unbind", try code("Eth_1"))) == "unbound")
        #expect(text(post(harness, "/bind", try code("Eth_3"))) == "bound")
    }

    @Test("the JSON answer: result, reason, license, bound of limit")
    func bindJSON() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=B-2", "bind=3"])
        let response = post(harness, "/bind", try harness.code(key, system: "Eth_1"), json: true)
        #expect(response.headers.contains { $0 == ("Content-Type", "application/json") })
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        #expect(Set(answer.keys) == ["result", "reason", "license", "bound", "limit"])
        #expect(answer["result"] as? String == "bound" && answer["reason"] is NSNull)
        #expect(answer["license"] as? String == "B-2" && answer["bound"] as? Int == 1 && answer["limit"] as? Int == 3)
        let refused = post(harness, "/bind", try harness.code(try harness.key(["id=B-3", "users=2"]), system: "Eth_1"), json: true)
        let refusal = try #require(try JSONSerialization.jsonObject(with: Data(refused.body.utf8)) as? [String: Any])
        #expect(refusal["result"] as? String == "invalid" && refusal["reason"] as? String == "binding")
        #expect(refusal["bound"] is NSNull && refusal["limit"] is NSNull)
    }

    @Test("unbindings are limited per 30 days: the next is invalid unbind-limit and the computer stays bound")
    func unbindLimit() throws {
        let harness = try HandlerHarness(unbindLimit: 1)
        let key = try harness.key(["id=B-4", "bind=2"])
        for system in ["Eth_1", "Eth_2"] { #expect(text(post(harness, "/bind", try harness.code(key, system: system))) == "bound") }
        #expect(text(post(harness, "/unbind", try harness.code(key, system: "Eth_1"))) == "unbound")
        #expect(text(post(harness, "/unbind", try harness.code(key, system: "Eth_2"))) == "invalid unbind-limit")
        // Still bound: it checks valid.
        #expect(harness.check(try harness.code(key, system: "Eth_2")) == "valid")
        // An unbinding of a computer that is not bound changes nothing and is not refused.
        #expect(text(post(harness, "/unbind", try harness.code(key, system: "Eth_7"))) == "unbound")
    }

    @Test("rule 7 for bind=: a computer not bound is system-id, a bound one valid, a code without system= system-id")
    func checkNeedsBinding() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=B-5", "bind=1", "systemid=Eth_0", "option=Vario"])
        #expect(harness.check(try harness.code(key, system: "Eth_0")) == "valid")
        #expect(harness.check(try harness.code(key, system: "Eth_1")) == "invalid system-id")
        #expect(harness.check(try harness.code(key)) == "invalid system-id")
        #expect(harness.check(try harness.code(key, system: "Eth_1", options: ["Missing"])) == "invalid system-id")
        #expect(text(post(harness, "/bind", try harness.code(key, system: "Eth_1"))) == "bound")
        #expect(harness.check(try harness.code(key, system: "Eth_1")) == "valid")
        #expect(harness.check(try harness.code(key, system: "Eth_1", options: ["Missing"])) == "invalid option")
        // Bindings are the license's: a re-issued key with the same id shares them.
        let reissued = try harness.key(["id=B-5", "bind=2", "users=9"])
        #expect(harness.check(try harness.code(reissued, system: "Eth_1")) == "valid")
    }

    @Test("bad binds: no system= is a 400; rules 1–6 answer as /check; GET of /unbind is 405; nothing is bound")
    func badBinds() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=B-6", "bind=1", "host=app.example.com", "duration=01Jan2020-31Dec2020"])
        let noSystem = post(harness, "/bind", try harness.code(key))
        #expect(noSystem.status == 400 && noSystem.body.contains("system=") && noSystem.body.split(separator: "\n").count == 1)
        #expect(text(post(harness, "/bind", try harness.code(key, system: "Eth_1"))) == "invalid expired")
        let current = try harness.key(["id=B-7", "bind=1", "host=app.example.com"])
        #expect(text(post(harness, "/bind", try harness.code(current, domain: "other.example", system: "Eth_1"))) == "invalid host")
        #expect(text(post(harness, "/bind", try harness.code(current, system: "Eth_1", product: "Other"))) == "invalid product")
        #expect(text(post(harness, "/bind", try harness.code(try harness.key(["bind=1"], by: HandlerHarness.stranger), system: "Eth_1")))
                == "invalid bad-signature")
        #expect(text(post(harness, "/bind", try harness.code("X type=floating bind=2 signature=x", system: "Eth_1"))) == "invalid malformed-key")
        #expect(harness.request("/unbind").status == 405)
        harness.store.revokedLicenseIDs.insert("B-7")
        #expect(text(post(harness, "/bind", try harness.code(current, system: "Eth_1"))) == "invalid revoked")
        harness.store.revokedLicenseIDs.remove("B-7")
        // Nothing was bound by the refused requests: the one place is free.
        #expect(text(post(harness, "/bind", try harness.code(current, system: "Eth_2"))) == "bound")
        #expect(text(post(harness, "/bind", try harness.code(current, system: "Eth_3"))) == "invalid binding")
    }

    @Test("a bind answer is signed in a realm with an answer key, until empty")
    func signedBind() throws {
        let harness = try HandlerHarness(signed: true)
        let code = try harness.code(try harness.key(["id=B-8", "bind=1"]), system: "Eth_1", nonce: "nonce-0123456789abcdef")
        let response = post(harness, "/bind", code)
        let verifier = AnswerVerifier(publicKey: try HandlerHarness.answerKey.publicKey)
        let header = response.headers.first { $0.0 == AnswerSignature.headerName }?.1
        let verdict = verifier.verdict(header: header, codeText: try StartupCode(decoding: code).text, body: Array(response.body.utf8),
                                       now: HandlerHarness.now)
        guard case .verified(let signature) = verdict else {
            Issue.record("not verified: \(verdict)")
            return
        }
        #expect(signature.until == nil && response.body == "bound\n")
    }

    @Test("rights: the sum of the active instances' debits stays within the limit; a known instance may change its debit")
    func weightedRights() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=R-1", "rights=10"])
        func start(_ instance: String, _ rights: Int?) throws -> String {
            harness.check(try harness.code(key, instance: instance, rights: rights))
        }
        #expect(try start("instance-1", 4) == "valid")
        #expect(try start("instance-2", 5) == "valid")
        #expect(try start("instance-3", 2) == "invalid rights")
        #expect(try start("instance-3", nil) == "valid")
        // A known instance asking for more than there is room for keeps its old debit.
        #expect(try start("instance-1", 5) == "invalid rights")
        #expect(try start("instance-1", 4) == "valid")
        // Asking for less is admitted with it.
        #expect(try start("instance-2", 1) == "valid")
        let answer = try harness.json(try harness.code(key, instance: "instance-2", rights: 1))
        let scopes = try #require(answer["scopes"] as? [[String: Any]])
        #expect((scopes.first?["in_use"] as? [String: Int])?["rights"] == 6)
        #expect(try start("instance-4", 1_000_000) == "invalid rights")
    }
}
