import Foundation
import LicenseCore
import TestSupport
import Testing

/// SPEC §14 through nginx, the pool and PostgreSQL: borrowing a seat, the request and answer
/// files of a computer that is never online, and a clock set back. Part of the serialized suite.
extension ServiceTests {
    /// `licensectl COMMAND` with the key, revision, domain, CA and a user ID file of the test's.
    func offlineCommand(_ command: String, key: String, server: String? = nil, idFile: String,
                        _ extra: [String] = [], prefix: [String] = []) throws -> CommandResult {
        // request names the server only for the user ID, and contacts nothing: it has no --cacert.
        let arguments = [command, "--key-file", key, "--revision", "7.1", "--domain", "localhost", "--user-id-file", idFile,
                         "--server", server ?? serverURL] + (command == "request" ? [] : ["--cacert", caFile]) + extra
        guard !prefix.isEmpty else { return try stack.licensectl(arguments) }
        return try Command.run(prefix[0], Array(prefix.dropFirst()) + [stack.binaries + "/licensectl"] + arguments)
    }

    /// `until=` of the answer kept in a cache file.
    func keptUntil(_ cache: String) throws -> String {
        let kept = try String(contentsOfFile: cache, encoding: .utf8)
        return try #require(kept.components(separatedBy: "until=").dropFirst().first?.components(separatedBy: ",").first)
    }

    @Test("borrow: the seat counts past its lease until the borrow ends, checks without the server are valid until then, return frees it")
    func borrowAndReturn() throws {
        let id = uniqueID("BORROW")
        let key = try keyFile(try issue(["id=" + id, "users=1", "borrow=14d"]))
        let idFile = userIDFile(), cache = stack.directory + "/" + uniqueID("cache")
        let borrowed = try offlineCommand("borrow", key: key, idFile: idFile, ["--for", "7d", "--answer-key", answerKey, "--answer-cache", cache])
        #expect(borrowed.status == 0, "\(borrowed.standardOutput) \(borrowed.standardError)")
        let until = try keptUntil(cache)
        #expect(borrowed.standardOutput == "valid (borrowed until \(until))\n")
        // The signed until is the borrow's end, as the database holds it.
        #expect(try stack.sql("SELECT to_char(borrowed_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM seats WHERE license_id = '\(id)'")
                == until)
        let untilDate = try #require(ISO8601DateFormatter().date(from: until))
        #expect(abs(untilDate.timeIntervalSinceNow - 7 * 86_400) < 120)
        #expect(try stack.sql("SELECT count(*) FROM report_borrowed_seats WHERE license_id = '\(id)' AND computer ~ '^[0-9a-f]{12}$'") == "1")
        // The console's license page lists it, with until when.
        let page = try consolePage("/console/license/default/" + id)
        let shownUntil = try stack.sql("SELECT to_char(borrowed_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM seats WHERE license_id = '\(id)'")
        #expect(page.body.contains("<h3>Borrowed seats</h3>") && page.body.contains(shownUntil), "\(page.body)")
        // Long past its lease (a month without a check), the borrowed seat still counts: users=1 is full.
        _ = try stack.sql("UPDATE seats SET last_seen = now() - interval '30 days', first_seen = now() - interval '30 days' WHERE license_id = '\(id)'")
        let other = try issue(["id=" + id, "users=1", "borrow=14d"])
        #expect(try answer(try code(other, user: "another-user-1")) == "invalid users")
        // Without the server, the kept answer holds until the borrow ends.
        let unreachable = "https://localhost:\(try closedPort())"
        let offline = try offlineCommand("check", key: key, server: unreachable, idFile: idFile, ["--answer-key", answerKey, "--answer-cache", cache])
        #expect(offline.status == 0 && offline.standardOutput == "valid (offline until \(until))\n", "\(offline.standardOutput)")
        // licensectl run too: fail-closed, it runs the program on the borrow without the server.
        let ran = try stack.licensectl(["run", "--server", unreachable, "--key-file", key, "--revision", "7.1", "--domain", "localhost",
                                        "--cacert", caFile, "--user-id-file", idFile, "--answer-key", answerKey, "--answer-cache", cache,
                                        "--fail-closed", "--", "/bin/sh", "-c", "exit 7"])
        #expect(ran.status == 7, "\(ran.standardOutput) \(ran.standardError)")
        // A later borrow extends it; a check without borrow= never shortens it.
        let longer = try offlineCommand("borrow", key: key, idFile: idFile, ["--for", "10d", "--answer-key", answerKey, "--answer-cache", cache])
        #expect(longer.status == 0 && longer.standardOutput != borrowed.standardOutput)
        let extended = try keptUntil(cache)
        #expect(extended > until)
        let plain = try offlineCommand("check", key: key, idFile: idFile, ["--answer-key", answerKey, "--answer-cache", cache])
        let keptAfterPlain = try keptUntil(cache)
        #expect(plain.standardOutput == "valid\n" && keptAfterPlain == extended)
        // Returned early: it stops counting at once, and the cache no longer holds it.
        let returned = try offlineCommand("return", key: key, idFile: idFile, ["--answer-cache", cache])
        #expect(returned.status == 0 && returned.standardOutput == "released\n", "\(returned.standardError)")
        #expect(try answer(try code(other, user: "another-user-1")) == "valid")
        let afterReturn = try offlineCommand("check", key: key, server: unreachable, idFile: idFile, ["--answer-key", answerKey, "--answer-cache", cache])
        #expect(afterReturn.standardOutput == "skipped: server unreachable\n")
    }

    @Test("borrow refused: longer than the key allows, a key without borrow=, past the key's end, a bad duration; nothing admitted or kept")
    func borrowRefused() throws {
        let id = uniqueID("NOBORROW")
        let allows = try keyFile(try issue(["id=" + id, "users=3", "borrow=14d"]))
        let none = try keyFile(try issue(["id=" + uniqueID("NOBORROW"), "users=3"]))
        let ending = try keyFile(try issue(["id=" + uniqueID("NOBORROW"), "borrow=30d", "duration=01Jan2026-" + Self.dayAfterTomorrow()]))
        let cache = stack.directory + "/" + uniqueID("cache")
        for (key, duration) in [(allows, "15d"), (none, "1d"), (ending, "7d")] {
            let refused = try offlineCommand("borrow", key: key, idFile: userIDFile(), ["--for", duration, "--answer-key", answerKey, "--answer-cache", cache])
            #expect(refused.status == 1 && refused.standardOutput == "invalid borrow\n", "\(refused.standardOutput) \(refused.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: cache))
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "0")
        let bad = try offlineCommand("borrow", key: allows, idFile: userIDFile(), ["--for", "0d", "--answer-key", answerKey, "--answer-cache", cache])
        #expect(bad.status == 2 && bad.standardError.contains("--for must be a duration"))
        let badLine = Base64URL.encode(Array("\(try String(contentsOfFile: allows, encoding: .utf8).trimmingCharacters(in: .newlines))\n7.1\nuser-00001\nlocalhost\nborrow=-3d".utf8))
        let response = try check(badLine)
        #expect(response.status == 400 && response.body.contains("borrow must be a duration"))
        // The one definition of a counting seat is never NULL: a seat never borrowed that lapsed does not count.
        #expect(try stack.sql("SELECT NOT seat_counts(now() - interval '1 day', NULL, NULL, now() - interval '1 hour', now())") == "t")
    }

    /// The day after tomorrow (UTC) as a key writes it, `DDMonYYYY`.
    static func dayAfterTomorrow() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "ddMMMyyyy"
        return formatter.string(from: Date().addingTimeInterval(2 * 86_400))
    }

    @Test("a computer that is never online: request, answer elsewhere, accept, checks valid offline; the offline side has no network at all")
    func requestAnswerAccept() throws {
        let id = uniqueID("OFFLINE")
        let key = try keyFile(try issue(["id=" + id, "users=2", "borrow=30d"]))
        let idFile = userIDFile(), cache = stack.directory + "/" + uniqueID("cache")
        let requestFile = stack.directory + "/" + uniqueID("request") + ".txt", answerFile = stack.directory + "/" + uniqueID("answer") + ".txt"
        // The offline computer: a network namespace of its own with nothing in it (unshare -n).
        let isolated = ["/usr/bin/unshare", "--net"]
        let requested = try offlineCommand("request", key: key, idFile: idFile,
                                           ["--borrow", "20d", "--answer-cache", cache, "--out", requestFile], prefix: isolated)
        #expect(requested.status == 0, "\(requested.standardError)")
        let request = try String(contentsOfFile: requestFile, encoding: .utf8)
        #expect(request.hasPrefix("license-request/1\nproduct: X-META-X\nlicense-domain: localhost\nrevision: 7.1\nborrow: 20d\ncode: "), "\(request)")
        #expect(request.utf8.count < 8192)
        // Carried by a file only: the online computer has the request and nothing else of the offline one's.
        let answered = try stack.licensectl(["answer", "--server", serverURL, "--cacert", caFile, "--request", requestFile, "--out", answerFile])
        #expect(answered.status == 0 && answered.standardOutput == "valid\n", "\(answered.standardError)")
        let answerText = try String(contentsOfFile: answerFile, encoding: .utf8)
        #expect(answerText.hasPrefix("license-answer/1\nstatus: 200\nsignature: t=") && answerText.hasSuffix("\nbody: valid\n"))
        let accepted = try Command.run("/usr/bin/unshare", ["--net", stack.binaries + "/licensectl", "accept", "--answer-key", answerKey,
                                                           "--answer-cache", cache, answerFile])
        let until = try keptUntil(cache)
        #expect(accepted.status == 0 && accepted.standardOutput == "valid (offline until \(until))\n", "\(accepted.standardOutput) \(accepted.standardError)")
        // The borrow's end: 20 days.
        let untilDate = try #require(ISO8601DateFormatter().date(from: until))
        #expect(abs(untilDate.timeIntervalSinceNow - 20 * 86_400) < 120)
        let offline = try offlineCommand("check", key: key, idFile: idFile, ["--answer-key", answerKey, "--answer-cache", cache], prefix: isolated)
        #expect(offline.status == 0 && offline.standardOutput == "valid (offline until \(until))\n", "\(offline.standardOutput) \(offline.standardError)")
        // An answer is accepted once.
        let again = try stack.licensectl(["accept", "--answer-key", answerKey, "--answer-cache", cache, answerFile])
        #expect(again.status == 1 && again.standardOutput == "invalid forged-answer\n")
        // An answer to an earlier request is worthless for a new one; an altered answer too.
        let second = try offlineCommand("request", key: key, idFile: idFile, ["--answer-cache", cache, "--out", requestFile], prefix: isolated)
        #expect(second.status == 0)
        let old = try stack.licensectl(["accept", "--answer-key", answerKey, "--answer-cache", cache, answerFile])
        #expect(old.status == 1 && old.standardOutput == "invalid forged-answer\n")
        #expect(try stack.licensectl(["answer", "--server", serverURL, "--cacert", caFile, "--request", requestFile, "--out", answerFile]).status == 0)
        let fresh = try String(contentsOfFile: answerFile, encoding: .utf8)
        for (name, altered) in [("until", Self.alteringUntil(fresh)), ("body", fresh.replacingOccurrences(of: "body: valid", with: "body: valid "))] {
            try altered.write(toFile: answerFile, atomically: true, encoding: .utf8)
            let forged = try stack.licensectl(["accept", "--answer-key", answerKey, "--answer-cache", cache, answerFile])
            #expect(forged.status == 1 && forged.standardOutput == "invalid forged-answer\n", "\(name): \(forged.standardOutput) \(forged.standardError)")
        }
        // Files cut short, padded or of another kind are no answers (exit 2); nothing kept changes.
        for (name, broken) in [("cut short", String(fresh.prefix(40))), ("padded", fresh + "extra: line\n"), ("a request", request), ("empty", ""),
                               ("too long", fresh + String(repeating: "x", count: 9000))] {
            try broken.write(toFile: answerFile, atomically: true, encoding: .utf8)
            let refused = try stack.licensectl(["accept", "--answer-key", answerKey, "--answer-cache", cache, answerFile])
            #expect(refused.status == 2 && refused.standardError.contains("is not an answer file"), "\(name): \(refused.standardError)")
        }
        try fresh.write(toFile: answerFile, atomically: true, encoding: .utf8)
        let right = try stack.licensectl(["accept", "--answer-key", answerKey, "--answer-cache", cache, answerFile])
        #expect(right.status == 0 && right.standardOutput.hasPrefix("valid (offline until "))
        // A file that is not a request is refused by answer, which sends nothing.
        let notRequest = try stack.licensectl(["answer", "--server", serverURL, "--cacert", caFile, "--request", key, "--out", answerFile])
        #expect(notRequest.status == 2 && notRequest.standardError.contains("is not a request"))
    }

    /// The answer file with its signature's until a day later.
    static func alteringUntil(_ text: String) -> String {
        guard let range = text.range(of: #"until=\d{4}-\d\d-\d\d"#, options: .regularExpression) else { return text + "?" }
        let date = String(text[range].dropFirst("until=".count))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        let later = formatter.string(from: formatter.date(from: date)!.addingTimeInterval(86_400))
        return text.replacingCharacters(in: range, with: "until=" + later)
    }

    @Test("clocks: with the client's clock two hours back (faketime), a kept answer is invalid clock; half an hour back, it holds")
    func clockSetBack() throws {
        let key = try keyFile(try issue(["id=" + uniqueID("CLOCK"), "users=3", "borrow=14d"]))
        let idFile = userIDFile(), cache = stack.directory + "/" + uniqueID("cache")
        let borrowed = try offlineCommand("borrow", key: key, idFile: idFile, ["--for", "2d", "--answer-key", answerKey, "--answer-cache", cache])
        #expect(borrowed.status == 0)
        let unreachable = "https://localhost:\(try closedPort())"
        func offlineCheck(_ shift: String) throws -> CommandResult {
            try offlineCommand("check", key: key, server: unreachable, idFile: idFile, ["--answer-key", answerKey, "--answer-cache", cache],
                               prefix: ["/usr/bin/faketime", "-f", shift])
        }
        let back = try offlineCheck("-2h")
        #expect(back.status == 1 && back.standardOutput == "invalid clock\n", "\(back.standardOutput) \(back.standardError)")
        #expect(back.standardError.contains("more than an hour before"))
        let slightly = try offlineCheck("-30m")
        #expect(slightly.status == 0 && slightly.standardOutput.hasPrefix("valid (offline until "), "\(slightly.standardOutput)")
        // Past the borrow's end (the clock three days ahead): no longer valid offline.
        let ahead = try offlineCheck("+3d")
        #expect(ahead.standardOutput == "skipped: server unreachable\n", "\(ahead.standardOutput)")
        // Fail-closed with the clock set back: still invalid clock, never valid.
        let closed = try offlineCommand("check", key: key, server: unreachable, idFile: idFile,
                                        ["--answer-key", answerKey, "--answer-cache", cache, "--fail-closed"], prefix: ["/usr/bin/faketime", "-f", "-1d"])
        #expect(closed.status == 1 && closed.standardOutput == "invalid clock\n")
    }
}
