import Foundation
import LicenseCore
import TestSupport
import Testing

/// SPEC §4: what one license can make the database hold is bounded by its limits, and one
/// license cannot slow the others (issue 25). Part of the serialized suite of the stack.
extension ServiceTests {
    @Test("a flood of one license (a new instance ID with 20 options, 40 a second) leaves another license's checks valid; latencies printed")
    func floodOfOneLicense() throws {
        let floodID = uniqueID("FLOOD"), quietID = uniqueID("QUIET")
        let options = (1...20).map { "Opt\($0)" }
        let floodKey = try issue(["id=" + floodID, "users=3"] + options.flatMap { ["option=" + $0, "users=3"] })
        let quietKey = try issue(["id=" + quietID, "users=5"])
        let quietCode = try code(quietKey, user: "quiet-user-1")
        func percentile(_ values: [Double], _ fraction: Double) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        }
        func timedQuiet(_ count: Int) throws -> (latencies: [Double], answers: [String]) {
            var latencies: [Double] = [], answers: [String] = []
            for _ in 0..<count {
                let started = Date()
                answers.append(try check(quietCode).body.trimmingCharacters(in: .newlines))
                latencies.append(Date().timeIntervalSince(started) * 1000)
                usleep(250_000)
            }
            return (latencies, answers)
        }
        let before = try timedQuiet(12)
        let flood = CollectedAnswers()
        let codes = try (0..<400).map { try code(floodKey, user: "flood-user-1", instance: "flood-instance-\($0)", options: options) }
        let flooding = Thread {
            for floodCode in codes {
                let status = (try? self.check(floodCode).status) ?? 0
                flood.append(String(status))
                usleep(25_000)
            }
        }
        flooding.start()
        let during = try timedQuiet(24)
        while flood.values.count < codes.count { usleep(100_000) }
        print(String(format: "flood of one license (400 checks, 40/s, 21 scopes, a new instance each): another license's check p50 %.1f ms, p99 %.1f ms before; p50 %.1f ms, p99 %.1f ms during",
                     percentile(before.latencies, 0.5), percentile(before.latencies, 0.99),
                     percentile(during.latencies, 0.5), percentile(during.latencies, 0.99)))
        #expect((before.answers + during.answers).allSatisfy { $0 == "valid" }, "\(Set(during.answers))")
        #expect(flood.values.allSatisfy { $0 == "200" }, "\(Set(flood.values))")
        // One user's seat in each of 21 scopes, however many instances it named.
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(floodID)'") == "21")
    }

    @Test("with a rights limit, seats of lapsed instances go once their user and computer hold a newer one: 30 runs leave 2 rows, not 30")
    func lapsedInstancesBounded() throws {
        let id = uniqueID("LAPSE")
        let key = try issue(["id=" + id, "rights=2", "users=5"])
        for run in 0..<30 {
            #expect(try answer(try code(key, user: "runs-user-1", instance: "run-\(run)-instance")) == "valid", "run \(run)")
            // The run ended without a release, longer ago than the instance lease (6 s), within the seat lease.
            _ = try stack.sql("UPDATE seats SET last_seen = last_seen - interval '1 minute' WHERE license_id = '\(id)'")
        }
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "2")
        // The user still counts once for users=5 (one more user fits 4 times), and another computer is a seat of its own.
        #expect(try answer(try code(key, user: "runs-user-1", system: "Eth_52:54:00:00:00:77", instance: "run-elsewhere")) == "valid")
        #expect(try stack.sql("SELECT count(DISTINCT user_hash) || ' ' || count(DISTINCT computer_hash) FROM seats WHERE license_id = '\(id)'")
                == "1 2")
    }

    @Test("without a rights limit a new instance ID grows no seat: 300 instances of one user are one row per scope; its release ends the user's seat")
    func instancesWithoutRights() throws {
        let id = uniqueID("INST")
        let key = try issue(["id=" + id, "users=2", "option=Export", "users=2"])
        for index in 0..<300 {
            let start = try code(key, user: "instances-user-1", instance: "instance-\(index)-of-300", options: index % 2 == 0 ? ["Export"] : [])
            #expect(try answer(start) == "valid", "instance \(index)")
        }
        #expect(try stack.sql("SELECT scope || ':' || count(*) FROM seats WHERE license_id = '\(id)' GROUP BY scope ORDER BY scope COLLATE \"C\"")
                == "Export:1\nbase:1")
        // Another user still has room: the instances took none.
        #expect(try answer(try code(key, user: "instances-user-2", instance: "instance-x")) == "valid")
        // A release from any of the user's instances ends the user's seat in every scope.
        let released = try stack.request("/release", method: "POST", body: Data(try code(key, user: "instances-user-1", instance: "instance-7-of-300").utf8))
        #expect(released.body == "released\n")
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "1")
        // Where a scope limits rights, each instance is a seat of its own, as before.
        let rightsID = uniqueID("INSTR")
        let rightsKey = try issue(["id=" + rightsID, "users=2", "rights=3"])
        for index in 0..<3 {
            #expect(try answer(try code(rightsKey, user: "instances-user-1", instance: "rights-instance-\(index)")) == "valid")
        }
        #expect(try answer(try code(rightsKey, user: "instances-user-1", instance: "rights-instance-3")) == "invalid rights")
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(rightsID)'") == "3")
    }
}
