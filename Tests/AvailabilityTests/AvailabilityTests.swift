import Foundation
import Synchronization
import LicenseCore
import TestSupport
import Testing

/// SPEC §11 on a topology of network namespaces (`scripts/topology.sh`): each scenario under a
/// steady load of checks, every answer counted. Each test makes its own topology and removes it.
@Suite("Several hosts and a database that fails over", .serialized, .enabled(if: Topology.isAvailable, "needs root and ip (network namespaces)"))
struct AvailabilityTests {
    /// A license of known users whose checks are refreshes, and their codes.
    struct RefreshUsers {
        let licenseID: String
        let keyLine: String
        let codes: [String]
    }

    /// Issues a license and admits `count` users on it, so that the load's checks of them refresh.
    func refreshUsers(_ topology: Topology, probe: CheckLoad, count: Int = 40) throws -> RefreshUsers {
        let licenseID = "refresh-" + UUID().uuidString.prefix(8).lowercased()
        let keyLine = try topology.issue(["id=" + licenseID, "users=1000000"])
        let codes = try (0..<count).map { try StartupCode(keyLine: keyLine, revision: "7.1", userID: "refresh-user-\($0)", domain: "localhost").encoded }
        for code in codes { try #require(probe.check(code) == .valid) }
        return RefreshUsers(licenseID: licenseID, keyLine: keyLine, codes: codes)
    }

    func load(_ topology: Topology, _ users: RefreshUsers, admissionKey: String, seconds: Double) throws -> CheckLoad {
        try CheckLoad(port: topology.httpsPort, caFile: topology.caFile, refreshCodes: users.codes, admissionKey: admissionKey,
                      duration: seconds)
    }

    func probe(_ topology: Topology) throws -> CheckLoad {
        try CheckLoad(port: topology.httpsPort, caFile: topology.caFile, refreshCodes: [], admissionKey: "", duration: 0)
    }

    /// Sleeps until `second` of the load.
    func at(_ second: Double, of load: CheckLoad) {
        let wait = second - load.now
        if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
    }

    /// The first check of `count` new users of `keyLine`, all at once, each on a thread of its own.
    func burst(_ probe: CheckLoad, keyLine: String, count: Int, tag: String) throws -> [CheckLoad.Kind] {
        let codes = try (0..<count).map { try StartupCode(keyLine: keyLine, revision: "7.1", userID: "\(tag)-user-\($0)", domain: "localhost").encoded }
        let results = Mutex<[CheckLoad.Kind]>([])
        let ready = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for code in codes {
            ready.enter()
            done.enter()
            Thread {
                ready.leave()
                go.wait()
                let kind = probe.check(code)
                results.withLock { $0.append(kind) }
                done.leave()
            }.start()
        }
        ready.wait()
        for _ in codes { go.signal() }
        done.wait()
        return results.withLock { $0 }
    }

    @Test("a pool dies (SIGKILL mid-load), another stops (SIGTERM): no failed check; restarted, they serve again")
    func poolDies() throws {
        let topology = try Topology()
        defer { topology.down() }
        let probe = try probe(topology)
        let users = try refreshUsers(topology, probe: probe)
        let load = try load(topology, users, admissionKey: try topology.issue(["id=admissions", "users=1000000000"]), seconds: 17)
        load.start()
        at(3, of: load)
        try topology.run("pool-kill", "app1")
        at(5, of: load)
        try topology.run("pool-start", "app1")
        let servedBeforeRestart = topology.poolLogLines("app1", containing: "] request")
        // nginx takes app1 back 5 s after its last failure (fail_timeout): then app2 may stop.
        at(12, of: load)
        // A stop on a TCP socket is as graceful as on the unix socket: requests in flight finish.
        try topology.run("pool-stop", "app2")
        at(14, of: load)
        try topology.run("pool-start", "app2")
        let summary = LoadSummary(answers: load.wait())
        print("availability, a pool dies (app1 SIGKILL at 3 s, restarted at 5 s; app2 SIGTERM at 12 s, restarted at 14 s): \(summary)")
        #expect(summary.failed.count == 0, "\(summary.failed.prefix(5).map { "\($0.kind) at \($0.sentAt) s" })")
        #expect(summary.byKind[.valid] == summary.answers.count, "\(summary)")
        #expect(summary.answers.count >= 2000)
        #expect(topology.poolLogLines("app1", containing: "] request") > servedBeforeRestart + 20)
        #expect(topology.poolLogLines("app2", containing: "] stopped") == 1)
    }

    @Test("a pool over TCP answers nginx's address only (--allow)")
    func poolAcceptsNginxOnly() throws {
        let topology = try Topology()
        defer { topology.down() }
        let pool = try topology.address(of: "app1") + ":9000"
        // libfcgi's cgi-fcgi as a FastCGI client: from nginx's address, then from another host.
        let request = ["env", "REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "SCRIPT_NAME=/healthz", "QUERY_STRING=",
                       "cgi-fcgi", "-bind", "-connect", pool]
        let fromNginx = try Command.run(request[0], Array(request.dropFirst()))
        #expect(fromNginx.standardOutput.contains("Status: 200") && fromNginx.standardOutput.hasSuffix("ok\n"), "\(fromNginx)")
        let fromElsewhere = try Command.run(topology.packageRoot + "/scripts/topology.sh", ["exec", "app2", topology.directory] + request)
        #expect(!fromElsewhere.standardOutput.contains("Status:") && !fromElsewhere.standardOutput.contains("ok"), "\(fromElsewhere)")
        // And a pool on every interface without the list does not start.
        let wildcard = try Command.run(topology.binaries + "/license-server", ["--socket", ":9001", "--database", "dbname=x",
                                                                               "--issuers", topology.directory + "/issuers",
                                                                               "--secret", topology.directory + "/secret"])
        #expect(wildcard.status == 2 && wildcard.standardError.contains("--allow"), "\(wildcard)")
    }

    @Test("a pool host is cut off (its link down): no failed check, the wait printed")
    func poolHostCutOff() throws {
        let topology = try Topology()
        defer { topology.down() }
        let probe = try probe(topology)
        let users = try refreshUsers(topology, probe: probe)
        let load = try load(topology, users, admissionKey: try topology.issue(["id=admissions", "users=1000000000"]), seconds: 20)
        load.start()
        at(3, of: load)
        try topology.run("link-down", "app2")
        at(15, of: load)
        try topology.run("link-up", "app2")
        let summary = LoadSummary(answers: load.wait())
        print("availability, a pool host cut off (app2's link down at 3 s, up at 15 s): \(summary)")
        #expect(summary.failed.count == 0, "\(summary.failed.prefix(5).map { "\($0.kind) at \($0.sentAt) s" })")
        #expect(summary.byKind[.valid] == summary.answers.count, "\(summary)")
        // nginx's connect time-out is 1 s and a failed pool is out for 10 s: a few checks wait
        // about a second, the checks in flight at the cut wait for the read time-out (10 s).
        #expect(summary.slow.first { $0.bound == 5 }!.count <= 20, "\(summary)")
    }

    @Test("a failover while no check comes: 11 s after the promotion every worker of both pools answers valid (SPEC §11)",
          arguments: ["db-crash", "link-down"])
    func failoverWhileIdle(_ failure: String) throws {
        let topology = try Topology()
        defer { topology.down() }
        let probe = try probe(topology)
        let users = try refreshUsers(topology, probe: probe, count: 40)
        // The primary stops (its connections closed), or its host is cut off (they hang).
        if failure == "db-crash" { try topology.run("db-crash") } else { try topology.run("link-down", "db1") }
        try topology.run("db-promote")
        sleep(11)
        // More checks at once than the two pools have workers (4 each): every worker meets its
        // connection to the dead primary.
        let kinds = Mutex<[CheckLoad.Kind]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { round in
            for code in users.codes.dropFirst(round * 10).prefix(10) { kinds.withLock { $0.append(probe.check(code)) } }
        }
        let answers = kinds.withLock { $0 }
        let burst = try burst(probe, keyLine: users.keyLine, count: 24, tag: "idle-failover")
        print("a failover while idle (\(failure)): of \(answers.count + burst.count) checks 11 s after the promotion, "
              + "\((answers + burst).filter { $0 == .valid }.count) valid, \((answers + burst).filter { $0 == .unavailable }.count) 503")
        #expect((answers + burst).allSatisfy { $0 == .valid }, "\(answers + burst)")
    }

    @Test("no log of the shipped configuration holds a code after a 504 (both pools paused past nginx's read time-out)")
    func timeoutLogsNoCode() throws {
        let topology = try Topology()
        defer { topology.down() }
        let key = try topology.issue(["id=timeout-log", "users=5"])
        let code = try StartupCode(keyLine: key, revision: "7.1", userID: "timeout-user-5521", domain: "localhost").encoded
        try topology.run("pool-pause", "app1")
        try topology.run("pool-pause", "app2")
        defer {
            _ = try? topology.run("pool-resume", "app1")
            _ = try? topology.run("pool-resume", "app2")
        }
        let timedOut = try Command.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "40", "--cacert", topology.caFile,
                                                "https://localhost:\(topology.httpsPort)/check?code=" + code])
        #expect(timedOut.standardOutput == "504", "\(timedOut.standardOutput) \(timedOut.standardError)")
        let logFolder = topology.directory + "/nginx-stack/log"
        for name in try FileManager.default.contentsOfDirectory(atPath: logFolder) {
            let text = try String(contentsOfFile: logFolder + "/" + name, encoding: .utf8)
            #expect(!text.contains(code) && !text.contains("timeout-user-5521"), "\(name) holds the code")
        }
        let access = try String(contentsOfFile: logFolder + "/nginx-license-access.log", encoding: .utf8)
        #expect(access.contains("\"GET /check HTTP/2.0\" 504 "), "\(access.suffix(400))")
    }

    @Test("the synchronous standby cut off: an admission answers 503 within the pool's deadline (not for as long as the standby is away), refreshes stay valid; back, admissions are valid")
    func synchronousStandbyAway() throws {
        let topology = try Topology()
        defer { topology.down() }
        let probe = try probe(topology)
        let users = try refreshUsers(topology, probe: probe, count: 5)
        let key = try topology.issue(["id=standby-away", "users=1000"])
        #expect(probe.check(try StartupCode(keyLine: key, revision: "7.1", userID: "standby-user-0", domain: "localhost").encoded) == .valid)
        try topology.run("link-down", "db2")
        defer { _ = try? topology.run("link-up", "db2") }
        var waits: [Double] = []
        for user in 1...3 {
            let started = Date()
            let kind = probe.check(try StartupCode(keyLine: key, revision: "7.1", userID: "standby-user-\(user)", domain: "localhost").encoded)
            waits.append(Date().timeIntervalSince(started))
            #expect(kind == .unavailable, "admission \(user) while the standby is away: \(kind)")
        }
        print(String(format: "the synchronous standby cut off: admissions answered 503 after %@ s", waits.map { String(format: "%.1f", $0) }.joined(separator: ", ")))
        #expect(waits.allSatisfy { $0 < 8 }, "\(waits)")
        // A refresh commits asynchronously: it does not wait for the standby.
        #expect(users.codes.prefix(5).map { probe.check($0) }.allSatisfy { $0 == .valid })
        try topology.run("link-up", "db2")
        var admitted = false
        for attempt in 0..<40 where !admitted {
            admitted = probe.check(try StartupCode(keyLine: key, revision: "7.1", userID: "standby-back-\(attempt)", domain: "localhost").encoded) == .valid
            if !admitted { usleep(500_000) }
        }
        #expect(admitted, "no admission was valid within 20 s of the standby's return")
    }

    @Test("the primary dies and the standby is promoted: 503 only in between, no admitted seat lost, limits hold; a revocation after it holds in both pools")
    func primaryFailsOver() throws {
        let topology = try Topology()
        defer { topology.down() }
        let probe = try probe(topology)
        let users = try refreshUsers(topology, probe: probe)
        let admissionID = "admissions-" + UUID().uuidString.prefix(8).lowercased()
        let admissionKey = try topology.issue(["id=" + admissionID, "users=1000000000"])
        // A limit that is full before the failure.
        let fullKey = try topology.issue(["id=full-5", "users=5"])
        for user in 0..<5 {
            try #require(probe.check(try StartupCode(keyLine: fullKey, revision: "7.1", userID: "full-user-\(user)", domain: "localhost").encoded) == .valid)
        }
        let burstKey = try topology.issue(["id=burst-5", "users=5"])

        let load = try load(topology, users, admissionKey: admissionKey, seconds: 24)
        load.start()
        at(4, of: load)
        let seatsBefore = Int(try topology.sql("db1", "SELECT count(*) FROM seats")) ?? -1
        let crashedAt = load.now
        try topology.run("db-crash")
        at(7, of: load)
        let promotedAt = load.now
        try topology.run("db-promote")
        let promoted = load.now
        let summary = LoadSummary(answers: load.wait())
        let window = summary.unavailableWindow
        print(String(format: "availability, the primary dies (db1 stopped -m immediate at %.1f s, db2 promoted at %.1f–%.1f s): ",
                     crashedAt, promotedAt, promoted) + "\(summary)")

        // Only 503s between the stop and 10 s after the promotion; valid before and after.
        #expect(summary.failed.count == 0, "\(summary.failed.prefix(5).map { "\($0.kind) at \($0.sentAt) s" })")
        #expect(summary.answers.allSatisfy { $0.kind == .valid || $0.kind == .unavailable }, "\(summary)")
        #expect(summary.unavailable.allSatisfy { $0.sentAt + $0.seconds >= crashedAt && $0.sentAt <= promoted + 10 }, "\(summary)")
        #expect(summary.answers.filter { $0.sentAt > promoted + 10 }.allSatisfy { $0.kind == .valid })
        #expect(summary.answers.filter { $0.sentAt > promoted + 10 }.count > 1000)
        if let window { print(String(format: "  503s from %.1f s to %.1f s: %.1f s after the promotion began", window.from, window.to, window.to - promotedAt)) }

        // Every admission answered valid is in db2 (synchronous replication), and none more than were tried.
        let admitted = summary.answers.filter { $0.admittedUser != nil && $0.kind == .valid }.count
        let admissionsUnanswered = summary.answers.filter { $0.admittedUser != nil && $0.kind == .unavailable }.count
        let seatsInStandby = Int(try topology.sql("db2", "SELECT count(*) FROM seats WHERE license_id = '\(admissionID)'")) ?? -1
        let seatsAfter = Int(try topology.sql("db2", "SELECT count(*) FROM seats")) ?? -1
        print("  admissions answered valid: \(admitted) (503: \(admissionsUnanswered)); their seats in db2: \(seatsInStandby); "
              + "all seats: \(seatsBefore) in db1 just before the stop, \(seatsAfter) in db2 at the end")
        #expect(seatsAfter >= seatsBefore)
        #expect(seatsInStandby >= admitted && seatsInStandby <= admitted + admissionsUnanswered)

        // A full limit stays full; a burst of first checks on users=5 admits exactly 5.
        let afterFull = try burst(probe, keyLine: fullKey, count: 20, tag: "after-failover")
        #expect(afterFull.allSatisfy { $0 == .invalid("users") }, "\(afterFull)")
        let burst = try burst(probe, keyLine: burstKey, count: 50, tag: "burst")
        #expect(burst.filter { $0 == .valid }.count == 5, "\(burst)")
        #expect(burst.filter { $0 == .invalid("users") }.count == 45, "\(burst)")
        print("  after the failover: 20 new users on a full users=5: \(afterFull.filter { $0 == .valid }.count) admitted; "
              + "50 at once on users=5: \(burst.filter { $0 == .valid }.count) admitted")

        // A revocation in the new primary holds in both pools at once.
        let revoked = try topology.licensectl(["revoke", "--database", "host=\(try topology.address(of: "db2")) dbname=license user=postgres",
                                               users.licenseID])
        try #require(revoked.status == 0, "\(revoked.standardError)")
        let revokedBefore = ["app1", "app2"].map { topology.poolLogLines($0, containing: "invalid revoked") }
        let afterRevocation = users.codes.prefix(20).map { probe.check($0) }
        #expect(afterRevocation.allSatisfy { $0 == .invalid("revoked") }, "\(afterRevocation)")
        let revokedAfter = ["app1", "app2"].map { topology.poolLogLines($0, containing: "invalid revoked") }
        #expect(zip(revokedBefore, revokedAfter).allSatisfy { $1 > $0 }, "each pool answered revoked: \(revokedBefore) → \(revokedAfter)")
    }
}
