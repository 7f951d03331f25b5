import Foundation
import LicenseClient
import LicenseCore
import TestSupport
import Testing

/// `licensectl run` (SPEC §8) against the real stack, whose pool's instance lease is 6 s:
/// heartbeats every 2 s.
extension ServiceTests {
    func runArguments(_ key: String, idFile: String, _ program: [String]) -> [String] {
        ["run", "--server", serverURL, "--key-file", key, "--revision", "7.1", "--domain", "localhost", "--cacert", caFile,
         "--user-id-file", idFile, "--"] + program
    }

    func seats(of id: String) throws -> Int {
        Int(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'")) ?? -1
    }

    /// Whether `pid` is a live process (a zombie nobody reaped is not).
    func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let state = stat.components(separatedBy: ") ").dropFirst().first?.first else { return false }
        return state != "Z" && state != "X"
    }

    func pid(in file: String) throws -> pid_t {
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: file) { usleep(50_000) }
        return try #require(pid_t(try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("licensectl run: the program's group cannot outlive it: children left behind, and a SIGKILL of licensectl, end the program")
    func runHoldsTheGroup() throws {
        let key = try keyFile(try issue(["id=" + uniqueID("RG"), "rights=1"]))
        // PROGRAM leaves a child behind and exits.
        let leftFile = stack.directory + "/" + uniqueID("left-behind")
        let ran = try stack.licensectl(runArguments(key, idFile: userIDFile(), ["sh", "-c", "sleep 300 & echo $! > \(leftFile)"]))
        #expect(ran.status == 0, "\(ran.standardError)")
        let leftBehind = try pid(in: leftFile)
        for _ in 0..<60 where isRunning(leftBehind) { usleep(100_000) }
        #expect(!isRunning(leftBehind), "a child PROGRAM left behind outlived licensectl run")
        // licensectl run killed with SIGKILL: its program goes too (and its seat lapses with the lease).
        let programFile = stack.directory + "/" + uniqueID("program")
        let running = try BackgroundProcess(stack.binaries + "/licensectl",
                                            runArguments(key, idFile: userIDFile(), ["sh", "-c", "echo $$ > \(programFile); exec sleep 300"]),
                                            log: stack.directory + "/log/run-killed.log")
        let program = try pid(in: programFile)
        #expect(isRunning(program))
        running.signal(SIGKILL)
        _ = running.exitStatus(within: 5)
        for _ in 0..<60 where isRunning(program) { usleep(100_000) }
        #expect(!isRunning(program), "the program outlived licensectl run killed with SIGKILL")
    }

    @Test("licensectl run: the program's exit status passes through; an invalid key never runs it")
    func runExitStatus() throws {
        let id = uniqueID("RU")
        let key = try keyFile(try issue(["id=" + id, "rights=1"]))
        let ran = try stack.licensectl(runArguments(key, idFile: userIDFile(), ["sh", "-c", "exit 7"]))
        #expect(ran.status == 7, "\(ran.standardOutput) \(ran.standardError)")
        #expect(try seats(of: id) == 0, "the seat was not released")
        let marker = stack.directory + "/" + uniqueID("ran")
        let expired = try keyFile(try issue(["id=" + uniqueID("RE"), "duration=01Jan2020-31Dec2020"]))
        let refused = try stack.licensectl(runArguments(expired, idFile: userIDFile(), ["touch", marker]))
        #expect(refused.status == 1 && refused.standardOutput == "invalid expired\n", "\(refused.standardOutput)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the program ran on an invalid key")
        let noProgram = try stack.licensectl(["run", "--server", serverURL, "--key-file", key, "--revision", "7.1", "--domain", "localhost"])
        #expect(noProgram.status == 2 && noProgram.standardError.contains("after --"), "\(noProgram.standardError)")
    }

    @Test("licensectl run: with rights=1 a second run is refused while the first runs, and admitted the moment it ends")
    func runHoldsTheRight() throws {
        let id = uniqueID("RR")
        let key = try keyFile(try issue(["id=" + id, "rights=1", "users=5"]))
        let marker = stack.directory + "/" + uniqueID("first")
        let first = try BackgroundProcess(stack.binaries + "/licensectl",
                                          runArguments(key, idFile: userIDFile(), ["sh", "-c", "touch \(marker); sleep 3"]),
                                          log: stack.directory + "/log/run-first.log")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: marker) { usleep(50_000) }
        let second = try stack.licensectl(runArguments(key, idFile: userIDFile(), ["true"]))
        #expect(second.status == 1 && second.standardOutput == "invalid rights\n", "\(second.standardOutput) \(second.standardError)")
        #expect(first.exitStatus(within: 10) == 0)
        let third = try stack.licensectl(runArguments(key, idFile: userIDFile(), ["true"]))
        #expect(third.status == 0, "\(third.standardOutput) \(third.standardError)")
    }

    @Test("licensectl run: a revocation stops the program at the next heartbeat (2 s) and a second; SIGTERM to run reaches the program")
    func runStopsAndForwards() throws {
        let id = uniqueID("RV")
        let key = try keyFile(try issue(["id=" + id, "rights=1"]))
        let marker = stack.directory + "/" + uniqueID("running")
        let running = try BackgroundProcess(stack.binaries + "/licensectl",
                                            runArguments(key, idFile: userIDFile(), ["sh", "-c", "touch \(marker); exec sleep 60"]),
                                            log: stack.directory + "/log/run-revoked.log")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: marker) { usleep(50_000) }
        let database = "host=\(stack.directory)/pg port=\(stack.pgPort) dbname=license user=postgres"
        #expect(try stack.licensectl(["revoke", "--database", database, id]).status == 0)
        let revokedAt = Date()
        let status = running.exitStatus(within: 10)
        let took = Date().timeIntervalSince(revokedAt)
        #expect(status == 128 + SIGTERM, "exit \(String(describing: status))")
        // One heartbeat interval (2 s) and a second, with half a second more for a loaded machine.
        #expect(took <= 3.5, "stopped \(took) s after the revocation")
        let log = try String(contentsOfFile: stack.directory + "/log/run-revoked.log", encoding: .utf8)
        #expect(log.contains("invalid revoked"), "\(log)")

        let trapped = stack.directory + "/" + uniqueID("trapped")
        let started = stack.directory + "/" + uniqueID("started")
        let other = try keyFile(try issue(["id=" + uniqueID("RT"), "rights=1"]))
        let forwarded = try BackgroundProcess(stack.binaries + "/licensectl",
                                              runArguments(other, idFile: userIDFile(),
                                                           ["sh", "-c", "trap 'echo terminated > \(trapped); exit 3' TERM; touch \(started); while :; do sleep 0.1; done"]),
                                              log: stack.directory + "/log/run-forwarded.log")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: started) { usleep(50_000) }
        forwarded.signal(SIGTERM)
        #expect(forwarded.exitStatus(within: 10) == 3)
        #expect((try? String(contentsOfFile: trapped, encoding: .utf8)) == "terminated\n")
    }

    @Test("LicenseSession: heartbeats keep the right past many instance leases; close() frees it at once")
    func sessionHeartbeats() throws {
        let id = uniqueID("SH")
        let keyLine = try issue(["id=" + id, "rights=1"])
        let session = try LicenseSession(client: try client(keyLine)) { _ in }
        #expect(try session.start() == .valid)
        // Two instance leases (12 s) would free an unchecked right; the heartbeats keep it.
        for _ in 0..<3 {
            usleep(4_000_000)
            #expect(try client(keyLine).check(instance: "another-instance") == .invalid(.rights))
        }
        #expect(session.close() == .released)
        #expect(try client(keyLine).check(instance: "another-instance") == .valid)
    }
}
