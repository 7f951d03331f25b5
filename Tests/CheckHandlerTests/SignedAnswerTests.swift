import Foundation
import LicenseCore
import LicenseCrypto
@testable import LicenseService
import LicenseSigning
import Testing

/// SPEC §7 in the handler: which answers carry `License-Signature`, over what, with which `until`.
@Suite("signed answers")
struct SignedAnswerTests {
    let harness: HandlerHarness
    let verifier: AnswerVerifier

    init() throws {
        harness = try HandlerHarness(signed: true)
        verifier = AnswerVerifier(publicKey: try HandlerHarness.answerKey.publicKey)
    }

    func header(_ response: ServiceResponse) -> String? {
        response.headers.first { $0.0 == AnswerSignature.headerName }?.1
    }

    /// The verdict on `response` for the code sent as `code`, at the handler's clock.
    func verdict(_ response: ServiceResponse, code: String) throws -> AnswerVerdict {
        let text = try StartupCode(decoding: code).text
        return verifier.verdict(header: header(response), codeText: text, body: Array(response.body.utf8), now: HandlerHarness.now)
    }

    @Test("a valid answer is signed over the code and body; until is t plus the lease (24 h)")
    func validSigned() throws {
        let code = try harness.code(try harness.key(["id=S-1", "users=5"]), nonce: "nonce-0123456789abcdef")
        let response = harness.request(query: "code=" + code)
        #expect(response.body == "valid\n")
        guard case .verified(let signature) = try verdict(response, code: code) else {
            Issue.record("not verified: \(String(describing: header(response)))")
            return
        }
        #expect(signature.time == HandlerHarness.now)
        #expect(signature.until == UTCTimestamp(secondsSince1970: HandlerHarness.now.secondsSince1970 + 86_400))
        #expect(header(response)?.hasPrefix("t=2026-12-01T12:00:00Z, until=2026-12-02T12:00:00Z, sig=") == true)
    }

    @Test("where a scope counts rights, until is t plus the instance lease; the JSON heartbeat is a third of it")
    func rightsUntil() throws {
        let code = try harness.code(try harness.key(["id=S-2", "rights=3"]), instance: "instance-0001", nonce: "nonce-0123456789abcdef")
        let response = harness.request(query: "code=" + code)
        guard case .verified(let signature) = try verdict(response, code: code) else {
            Issue.record("not verified")
            return
        }
        #expect(signature.until == UTCTimestamp(secondsSince1970: HandlerHarness.now.secondsSince1970 + 900))
        let json = try harness.json(try harness.code(try harness.key(["id=S-2", "rights=3"]), instance: "instance-0002"))
        #expect(json["heartbeat"] as? Int == 300)
        let withoutRights = try harness.json(try harness.code(try harness.key(["id=S-3", "users=3"])))
        #expect(withoutRights["heartbeat"] is NSNull)
    }

    @Test("until and the heartbeat follow the leases the store counts with, not a setting of the pool's; never past the key's last day")
    func untilFromTheStore() throws {
        harness.store.seatLeaseSeconds = 3_600
        harness.store.instanceLeaseSeconds = 60
        let seatCode = try harness.code(try harness.key(["id=S-5", "users=3"]), nonce: "nonce-0123456789abcdef")
        let rightsCode = try harness.code(try harness.key(["id=S-6", "rights=3"]), instance: "instance-0003", nonce: "nonce-0123456789abcdef")
        for (code, lease) in [(seatCode, Int64(3_600)), (rightsCode, 60)] {
            let response = harness.request(query: "code=" + code)
            guard case .verified(let signature) = try verdict(response, code: code) else {
                Issue.record("not verified")
                return
            }
            #expect(signature.until == UTCTimestamp(secondsSince1970: HandlerHarness.now.secondsSince1970 + lease))
        }
        let json = try harness.json(try harness.code(try harness.key(["id=S-6", "rights=3"]), instance: "instance-0004"))
        #expect(json["heartbeat"] as? Int == 20)
        // HandlerHarness.now is 2026-12-01 12:00 UTC: with a day's lease, a key whose last day is
        // today still ends at 23:59:59.
        harness.store.seatLeaseSeconds = 86_400
        let endingToday = try harness.code(try harness.key(["id=S-7", "duration=01Jan2026-01Dec2026"]), nonce: "nonce-0123456789abcdef")
        guard case .verified(let lastDay) = try verdict(harness.request(query: "code=" + endingToday), code: endingToday) else {
            Issue.record("not verified")
            return
        }
        #expect(lastDay.until?.description == "2026-12-01T23:59:59Z")
    }

    @Test("invalid answers (before and after the store) and released are signed with an empty until")
    func invalidAndReleased() throws {
        let refusedEarly = try harness.code(try harness.key(["id=S-4"], by: HandlerHarness.stranger), nonce: "nonce-0123456789abcdef")
        let early = harness.request(query: "code=" + refusedEarly)
        #expect(early.body == "invalid bad-signature\n")
        let key = try harness.key(["id=S-5", "users=1"])
        _ = harness.check(try harness.code(key, user: "user-first-1"))
        let full = try harness.code(key, user: "user-second-2", nonce: "nonce-0123456789abcdef")
        let late = harness.request(query: "code=" + full)
        #expect(late.body == "invalid users\n")
        let released = try harness.code(key, user: "user-first-1", nonce: "nonce-0123456789abcdef")
        let release = harness.request("/release", method: "POST", body: Array(("code=" + released).utf8))
        #expect(release.body == "released\n")
        for (response, code) in [(early, refusedEarly), (late, full), (release, released)] {
            guard case .verified(let signature) = try verdict(response, code: code) else {
                Issue.record("\(response.body) not verified")
                continue
            }
            #expect(signature.until == nil)
            #expect(header(response)?.contains("until=, sig=") == true)
        }
    }

    @Test("a 400 carries no signature; another code's signature does not verify for this one")
    func notSignedOrNotTransferable() throws {
        let bad = harness.request(query: "code=!!")
        #expect(bad.status == 400 && header(bad) == nil)
        let key = try harness.key(["id=S-6", "users=5"])
        let first = try harness.code(key, user: "user-aaaa-1", nonce: "nonce-aaaaaaaaaaaaaaaa")
        let second = try harness.code(key, user: "user-aaaa-1", nonce: "nonce-bbbbbbbbbbbbbbbb")
        let response = harness.request(query: "code=" + first)
        #expect(try verdict(response, code: second) == .forged("the signature does not verify for this code and answer"))
    }

    @Test("a realm without an answer key answers unsigned")
    func unsignedRealm() throws {
        let unsigned = try HandlerHarness(signed: false)
        let response = unsigned.request(query: "code=" + (try unsigned.code(try unsigned.key(["id=S-7"]))))
        #expect(response.body == "valid\n" && header(response) == nil)
    }
}
