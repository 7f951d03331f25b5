import StoreBoundary
import Foundation
import InMemorySeatStore
import LicenseCore
@testable import LicenseService
import Testing

/// The check and release handlers in this process, over the in-memory store: rule order, what
/// is registered and counted and when, the 400s and the JSON answer. Admission, leases and
/// atomicity in PostgreSQL are the service tests' (ServiceTests).
@Suite("The check handler, in process")
struct CheckHandlerTests {
    @Test("valid, in text and in JSON with every member of SPEC §3 and §8's heartbeat (null where unknown or unset)")
    func valid() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=ACME-1", "users=5", "option=Channel", "rights=20", "duration=01Jan2026-31Dec2026"])
        #expect(harness.check(try harness.code(key, options: ["Channel"])) == "valid")
        let answer = try harness.json(try harness.code(key, options: ["Channel"]))
        #expect(Set(answer.keys) == ["result", "reason", "license", "product", "expires", "scopes", "heartbeat"])
        #expect(answer["result"] as? String == "valid" && answer["reason"] is NSNull)
        // The Channel option counts rights: a running program checks again every third of the instance lease.
        #expect(answer["heartbeat"] as? Int == 300)
        #expect(answer["license"] as? String == "ACME-1" && answer["product"] as? String == "X-META-X")
        #expect(answer["expires"] as? String == "2026-12-31")
        let scopes = try #require(answer["scopes"] as? [[String: Any]])
        #expect(scopes.map { $0["scope"] as? String } == ["base", "Channel"])
        let baseLimits = try #require(scopes[0]["limits"] as? [String: Any])
        #expect(baseLimits["users"] as? Int == 5 && baseLimits["rights"] is NSNull && baseLimits["hosts"] is NSNull)
        #expect(scopes[1]["in_use"] as? [String: Int] == ["rights": 1, "users": 1, "hosts": 1])
        // Without id= the license is named by its fingerprint, in the answer as in the store.
        let unnamed = try harness.key(["users=5"])
        let unnamedAnswer = try harness.json(try harness.code(unnamed))
        let fingerprint = try #require(unnamedAnswer["license"] as? String)
        #expect(fingerprint.count == 16 && fingerprint.allSatisfy(\.isHexDigit))
        #expect(harness.store.registrations.last?.license.id == fingerprint)
        let response = harness.request(query: "code=" + (try harness.code(key)), accept: "application/json")
        #expect(response.headers.contains { $0 == ("Content-Type", "application/json") })
    }

    @Test("a key that does not parse: JSON with null license, product and expires, and no scopes")
    func unparsedKeyJSON() throws {
        let harness = try HandlerHarness()
        let answer = try harness.json(try harness.code("X-META-X seats=3 signature=x"))
        #expect(answer["result"] as? String == "invalid" && answer["reason"] as? String == "unsupported-field")
        #expect(answer["license"] is NSNull && answer["product"] is NSNull && answer["expires"] is NSNull)
        #expect((answer["scopes"] as? [Any])?.isEmpty == true)
    }

    static let badCodes: [(String, String)] = [
        ("", "no code"),
        ("code=not*base64", "not base64url"),
        ("code=" + Base64URL.encode(Array("K\n7.1\nuser-00001\nexample.com\noptions=A,A".utf8)), "named twice"),
        ("code=" + Base64URL.encode(Array("K\n7.1\nuser-00001\nexample.com\noptions=A,".utf8)), "options must be"),
        ("code=" + Base64URL.encode(Array("K\n7.1\nuser-00001\nexample.com\nproduct=X\nproduct=X".utf8)), "appears twice"),
        ("code=" + Base64URL.encode(Array("K\n7.1\nshort\nexample.com".utf8)), "USER_ID must be"),
        ("code=" + Base64URL.encode(Array("K\n7.1".utf8)), "no USER_ID line"),
    ]

    @Test("a code that cannot be read is a 400 of one line, and nothing reaches the store", arguments: badCodes)
    func badCode(query: String, expected: String) throws {
        let harness = try HandlerHarness()
        let response = harness.request(query: query)
        #expect(response.status == 400)
        #expect(response.body.contains(expected) && response.body.split(separator: "\n").count == 1, "\(response.body)")
        #expect(harness.store.registrations.isEmpty && harness.store.seatCount == 0)
        #expect(harness.shared.usage.takeBatch().isEmpty)
    }

    @Test("rule order: revoked, then dates, product, version, host, system-id, option, seats")
    func ruleOrder() throws {
        let harness = try HandlerHarness()
        let everything = try harness.key(["id=ORDER-1", "version=+8", "duration=01Jan2020-31Dec2020", "host=other.example",
                                          "systemid=Eth_1", "users=1"])
        let code = try harness.code(everything, revision: "7", options: ["Nope"], product: "X-LITE")
        #expect(harness.check(code) == "invalid expired")
        harness.store.revokedLicenseIDs.insert("ORDER-1")
        #expect(harness.check(code) == "invalid revoked")
        let current = try harness.key(["version=+8", "host=other.example", "systemid=Eth_1", "users=1", "option=Export"])
        #expect(harness.check(try harness.code(current, revision: "7", options: ["Nope"], product: "X-LITE")) == "invalid product")
        #expect(harness.check(try harness.code(current, revision: "7", options: ["Nope"])) == "invalid version")
        #expect(harness.check(try harness.code(current, revision: "8", options: ["Nope"])) == "invalid host")
        let onOther = try harness.code(current, revision: "8", domain: "other.example", options: ["Nope"])
        #expect(harness.check(onOther) == "invalid system-id")
        #expect(harness.check(try harness.code(current, revision: "8", domain: "other.example", system: "Eth_1",
                                               options: ["Nope"])) == "invalid option")
        #expect(harness.check(try harness.code(current, revision: "8", domain: "other.example", system: "Eth_1")) == "valid")
        #expect(harness.check(try harness.code(current, revision: "8", user: "user-00002", domain: "other.example",
                                               system: "Eth_1")) == "invalid users")
        // A browser's Origin must be DOMAIN (rule 6).
        let plain = try harness.key(["users=5"])
        #expect(harness.check(try harness.code(plain), origin: "https://evil.example") == "invalid host")
        #expect(harness.check(try harness.code(plain), origin: "https://app.example.com:8443") == "valid")
        // Rules 1–2.
        #expect(harness.check(try harness.code(try harness.key(["users=5"], by: HandlerHarness.stranger))) == "invalid bad-signature")
        #expect(harness.check(try harness.code(try harness.key(["issuer=nobody"]))) == "invalid unknown-issuer")
    }

    @Test("registered at the first verified sight, also when refused, once a minute; never a bad signature")
    func registration() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=REG-1", "users=5"])
        #expect(harness.check(try harness.code(key)) == "valid")
        #expect(harness.check(try harness.code(key, user: "user-00002")) == "valid")
        #expect(harness.store.registrations.map(\.license.id) == ["REG-1"])
        #expect(harness.store.registrations.first?.license == LicenseIdentity(realm: "default", issuer: "default",
                                                                             product: "X-META-X", id: "REG-1"))
        let expired = try harness.key(["id=REG-2", "duration=01Jan2000-31Dec2000"])
        #expect(harness.check(try harness.code(expired)) == "invalid expired")
        #expect(harness.check(try harness.code(try harness.key(["id=REG-3"], by: HandlerHarness.stranger))) == "invalid bad-signature")
        #expect(harness.store.registrations.map(\.license.id) == ["REG-1", "REG-2"])
        // A license the store forgot is registered again and the seat admitted.
        harness.store.forgetsRegistrationOnce = true
        #expect(harness.check(try harness.code(key, user: "user-00003")) == "valid")
        #expect(harness.store.registrations.map(\.license.id) == ["REG-1", "REG-2", "REG-1"])
    }

    @Test("what is counted: checks per scope, denials where they belong, clients only past rule 6")
    func counting() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=COUNT-1", "users=1", "option=Channel", "users=1"])
        #expect(harness.check(try harness.code(key, options: ["Channel"])) == "valid")
        #expect(harness.check(try harness.code(key, user: "user-00002", options: ["Channel"])) == "invalid users")
        #expect(harness.check(try harness.code(key, revision: "9.9", domain: "Other.Example.com", options: ["Nope"])) == "invalid option")
        let expired = try harness.key(["id=COUNT-2", "duration=01Jan2000-31Dec2000"])
        #expect(harness.check(try harness.code(expired, revision: "1.0", domain: "spam.example")) == "invalid expired")
        #expect(harness.check(try harness.code("X-META-X seats=1 signature=x")) == "invalid unsupported-field")
        // A release counts nothing.
        _ = harness.request("/release", method: "POST", body: Array(try harness.code(key).utf8))

        let batch = harness.shared.usage.takeBatch().counts
        let checks = Dictionary(batch.scopes.map { ("\($0.license.id)/\($0.scope)", ($0.checks, $0.denials)) },
                                uniquingKeysWith: { first, _ in first })
        #expect(checks["COUNT-1/base"]! == (3, 2))      // valid; refused for users and for an option, both in base
        #expect(checks["COUNT-1/Channel"]! == (2, 0))   // the users refusal is counted in base, the first scope without room
        #expect(checks["COUNT-2/base"]! == (1, 1))
        #expect(Set(batch.denials.map { "\($0.license.id):\($0.reason):\($0.denials)" })
                == ["COUNT-1:users:1", "COUNT-1:option:1", "COUNT-2:expired:1", ":unsupported-field:1"])
        #expect(Set(batch.clients.map { "\($0.license.id) \($0.domain) \($0.revision) \($0.checks)" })
                == ["COUNT-1 app.example.com 7.1 2", "COUNT-1 other.example.com 9.9 1"])
    }

    @Test("a store that fails answers 503 with Retry-After; a fault is logged as one, with its code")
    func storeFailure() throws {
        let harness = try HandlerHarness()
        let code = try harness.code(try harness.key(["users=5"]))
        for kind in [StoreError.Kind.unavailable, .timedOut, .fault] {
            harness.store.failure = StoreError(kind: kind, code: kind == .fault ? "42501" : nil, message: "broken")
            let response = harness.request(query: "code=" + code)
            #expect(response.status == 503 && response.headers.contains { $0 == ("Retry-After", "5") })
        }
        let log = harness.log.all
        #expect(log.filter { $0.contains("database unavailable") }.count == 2)
        #expect(log.contains { $0.contains("database fault") && $0.contains("sqlstate=42501") })
        #expect(harness.request("/healthz").status == 503)
        harness.store.failure = nil
        #expect(harness.request("/healthz").body == "ok\n")
        // The registrations that failed are due again: the first check after registers the key once.
        #expect(harness.store.registrations.isEmpty)
        #expect(harness.check(code) == "valid" && harness.check(code) == "valid")
        #expect(harness.store.registrations.count == 1)
    }

    @Test("release: rules 1–3, then the seat is gone; a revoked key is refused")
    func release() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=REL-1", "rights=1"])
        let first = try harness.code(key, instance: "instance-1")
        #expect(harness.check(first) == "valid")
        #expect(harness.check(try harness.code(key, instance: "instance-2")) == "invalid rights")
        #expect(harness.request("/release", method: "POST", body: Array(first.utf8)).body == "released\n")
        #expect(harness.check(try harness.code(key, instance: "instance-2")) == "valid")
        harness.store.revokedLicenseIDs.insert("REL-1")
        #expect(harness.request("/release", method: "POST", body: Array(first.utf8)).body == "invalid revoked\n")
    }
}

@Suite("The router")
struct RouterTests {
    @Test("404 for unknown paths (case-sensitive), 405 with Allow for wrong methods, HEAD on /healthz")
    func pathsAndMethods() throws {
        let harness = try HandlerHarness()
        #expect(harness.request("/nothing").status == 404)
        #expect(harness.request("/Check").status == 404)
        let put = harness.request("/check", method: "PUT")
        #expect(put.status == 405 && put.headers.contains { $0 == ("Allow", "GET, POST") })
        let getRelease = harness.request("/release")
        #expect(getRelease.status == 405 && getRelease.headers.contains { $0 == ("Allow", "POST") })
        #expect(harness.request("/healthz", method: "HEAD").status == 200)
        let postHealth = harness.request("/healthz", method: "POST")
        #expect(postHealth.status == 405 && postHealth.headers.contains { $0 == ("Allow", "GET, HEAD") })
        #expect(harness.request("/healthz", method: "OPTIONS", origin: "https://a.example", preflight: "GET").status == 405)
    }

    @Test("CORS: a preflight is answered for a well-formed origin; answers echo it; others get nothing")
    func crossOrigin() throws {
        let harness = try HandlerHarness()
        let preflight = harness.request("/check", method: "OPTIONS", origin: "https://app.example.com", preflight: "POST")
        #expect(preflight.status == 204)
        #expect(preflight.headers.contains { $0 == ("Access-Control-Allow-Origin", "https://app.example.com") })
        #expect(preflight.headers.contains { $0 == ("Access-Control-Allow-Methods", "GET, POST") })
        #expect(harness.request("/release", method: "OPTIONS", origin: "https://app.example.com", preflight: "GET").status == 405)
        #expect(harness.request("/check", method: "OPTIONS", origin: "not an origin", preflight: "GET").status == 400)
        let answered = harness.request(query: "code=" + (try harness.code(try harness.key(["users=5"]))), origin: "https://app.example.com")
        #expect(answered.headers.contains { $0 == ("Access-Control-Allow-Origin", "https://app.example.com") })
        #expect(answered.headers.contains { $0 == ("Access-Control-Expose-Headers", "License-Signature") })
        let bad = harness.request(query: "code=x", origin: "javascript:alert(1)")
        #expect(!bad.headers.contains { $0.0 == "Access-Control-Allow-Origin" })
    }
}
