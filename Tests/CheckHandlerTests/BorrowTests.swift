import Foundation
import LicenseCore
import LicenseCrypto
@testable import LicenseService
import LicenseSigning
import Testing

/// SPEC §14's borrow in the handler, over the in-memory store: rule 8 and the signed `until`.
/// What PostgreSQL holds (the seat past its leases) is ServiceTests' OfflineClientTests.
@Suite("borrowing, in process")
struct BorrowTests {
    @Test("a borrow within the key's borrow= is valid and signed until its end; longer, without borrow=, or past the key's end is invalid borrow")
    func borrowRule() throws {
        let harness = try HandlerHarness(signed: true)
        let verifier = AnswerVerifier(publicKey: try HandlerHarness.answerKey.publicKey)
        let key = try harness.key(["id=BR-1", "users=3", "borrow=14d"])
        let code = try harness.code(key, nonce: "nonce-0123456789abcdef", borrow: "7d")
        let response = harness.request(query: "code=" + code)
        #expect(response.body == "valid\n")
        let header = response.headers.first { $0.0 == AnswerSignature.headerName }?.1
        guard case .verified(let signature) = verifier.verdict(header: header, codeText: try StartupCode(decoding: code).text,
                                                               body: Array(response.body.utf8), now: HandlerHarness.now) else {
            Issue.record("not verified")
            return
        }
        #expect(signature.until == UTCTimestamp(secondsSince1970: HandlerHarness.now.secondsSince1970 + 7 * 86_400))
        #expect(harness.check(try harness.code(key, borrow: "15d")) == "invalid borrow")
        #expect(harness.check(try harness.code(try harness.key(["id=BR-2", "users=3"]), borrow: "1h")) == "invalid borrow")
        // The key's last day is 1 Dec 2026, the harness's today: half a day is left at noon.
        let ending = try harness.key(["id=BR-3", "borrow=14d", "duration=01Jan2026-01Dec2026"])
        #expect(harness.check(try harness.code(ending, borrow: "11h")) == "valid")
        #expect(harness.check(try harness.code(ending, borrow: "12h")) == "invalid borrow")
        let answer = try harness.json(try harness.code(key, borrow: "15d"))
        #expect(answer["result"] as? String == "invalid" && answer["reason"] as? String == "borrow")
    }

    @Test("a borrow= line that is no duration is a 400 that names it")
    func badBorrowLine() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=BR-4", "borrow=14d"])
        for bad in ["0d", "-1d", "14", "forever"] {
            let text = "\(key)\n7.1\nuser-00001\napp.example.com\nborrow=\(bad)"
            let response = harness.request(query: "code=" + Base64URL.encode(Array(text.utf8)))
            #expect(response.status == 400 && response.body.contains("borrow must be a duration"), "\(bad): \(response.body)")
        }
        #expect(harness.store.seatCount == 0)
    }
}

/// SPEC §15's overdraft in the handler, over the in-memory store: the JSON member and the metric.
@Suite("overdraft, in process")
struct OverdraftTests {
    @Test("admission goes N past the limit: those starts say overdraft in JSON and are counted; one more is refused")
    func overdraft() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=OD-1", "users=2", "overdraft=1", "option=Export", "users=5"])
        func scopes(_ user: String) throws -> [[String: Any]] {
            try harness.json(try harness.code(key, user: user, options: ["Export"]))["scopes"] as? [[String: Any]] ?? []
        }
        #expect(try scopes("od-user-1").map { $0["overdraft"] as? Bool } == [false, false])
        #expect(try scopes("od-user-2").map { $0["overdraft"] as? Bool } == [false, false])
        #expect(try scopes("od-user-3").map { $0["overdraft"] as? Bool } == [true, false])
        // Checked again, it is still the seat admitted past the limit.
        #expect(try scopes("od-user-3").map { $0["overdraft"] as? Bool } == [true, false])
        #expect(harness.check(try harness.code(key, user: "od-user-4")) == "invalid users")
        let metrics = harness.request("/metrics", exposesMetrics: true).body
        #expect(metrics.contains("license_overdraft_admissions_total{realm=\"default\"} 1\n"), "\(metrics)")
    }
}
