import Foundation
import LicenseService
import Testing

@Suite("registration at most once a minute per pool")
struct RegistrationMemoTests {
    let start = Date(timeIntervalSince1970: 1_796_126_400)

    @Test("of 16 concurrent workers that meet a license due at the same moment, one registers it")
    func oneClaimAmongConcurrentWorkers() async {
        let memo = RegistrationMemo()
        let threads = 16
        let start = start
        let claims = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<threads {
                group.addTask {
                    (0..<100).filter { _ in memo.claimRegistration(realm: "default", fingerprint: "f1", now: start) }.count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(claims == 1)
    }

    @Test("a license is due again a minute after its claim, and each license on its own")
    func dueAgainAfterTheInterval() {
        let memo = RegistrationMemo(interval: 60)
        #expect(memo.claimRegistration(realm: "default", fingerprint: "f1", now: start))
        memo.registered(realm: "default", fingerprint: "f1")
        #expect(!memo.claimRegistration(realm: "default", fingerprint: "f1", now: start.addingTimeInterval(59)))
        #expect(memo.claimRegistration(realm: "default", fingerprint: "f2", now: start.addingTimeInterval(59)))
        #expect(memo.claimRegistration(realm: "other", fingerprint: "f1", now: start.addingTimeInterval(59)))
        #expect(memo.claimRegistration(realm: "default", fingerprint: "f1", now: start.addingTimeInterval(60)))
    }

    @Test("a claim whose registration failed is given back: the next check registers")
    func failedRegistrationIsClaimedAgain() {
        let memo = RegistrationMemo()
        #expect(memo.claimRegistration(realm: "default", fingerprint: "f1", now: start))
        #expect(!memo.claimRegistration(realm: "default", fingerprint: "f1", now: start.addingTimeInterval(1)))
        memo.registrationFailed(realm: "default", fingerprint: "f1")
        #expect(memo.claimRegistration(realm: "default", fingerprint: "f1", now: start.addingTimeInterval(2)))
    }
}
