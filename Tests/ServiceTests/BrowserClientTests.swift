import Foundation
import TestSupport
import Testing

/// `clients/web/license-client.js` in a real headless Chromium: its example page, served from an
/// origin of its own (`app.localhost`, a server of the stack's nginx), checks against the license
/// domains cross-origin.
extension ServiceTests {
    /// One load of the example page.
    struct PageLoad {
        var server: String
        var keyLine: String
        var answerKey: String?
        var domain: String?
        var rights: Int? = nil
        var borrow: String? = nil
        var offline = false
        /// The page's clock moved by that many milliseconds.
        var clockOffset: Int? = nil
    }

    /// Where the tests keep what a person may want to look at afterwards (screenshots).
    var artifacts: String { stack.packageRoot + "/.build/test-artifacts" }

    /// What a page answered, and what the browser's console said meanwhile (for a failure's message).
    struct PageAnswer: CustomStringConvertible {
        let answer: String
        let console: [String]
        var description: String { answer + (console.isEmpty ? "" : " (console: " + console.joined(separator: "; ") + ")") }
    }

    /// Loads each page in one browser (so that they share its localStorage) and returns what
    /// each one answered.
    func loadInBrowser(_ pages: [PageLoad], screenshots: String? = nil) throws -> [PageAnswer] {
        let urls = pages.map { page in
            var query = URLComponents()
            query.queryItems = [URLQueryItem(name: "server", value: page.server), URLQueryItem(name: "key", value: page.keyLine),
                                URLQueryItem(name: "revision", value: "7.1")]
                + (page.answerKey.map { [URLQueryItem(name: "answerKey", value: $0)] } ?? [])
                + (page.domain.map { [URLQueryItem(name: "domain", value: $0)] } ?? [])
                + (page.rights.map { [URLQueryItem(name: "rights", value: String($0))] } ?? [])
                + (page.borrow.map { [URLQueryItem(name: "borrow", value: $0)] } ?? [])
                + (page.offline ? [URLQueryItem(name: "offline", value: "1")] : [])
                + (page.clockOffset.map { [URLQueryItem(name: "clockOffset", value: String($0))] } ?? [])
            // A '+' in a query means a space to URLSearchParams, and key lines and PEM have some.
            let encoded = query.percentEncodedQuery!.replacingOccurrences(of: "+", with: "%2B")
            return "https://app.localhost:\(stack.httpsPort)/example.html?" + encoded
        }
        let driver = stack.packageRoot + "/Tests/ServiceTests/Browser/chromium.py"
        let result = try Command.run("/usr/bin/python3", [driver, "--result", "#answer"]
                                         + (screenshots.map { ["--screenshots", $0] } ?? []) + urls)
        try #require(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        try #require(lines.count == pages.count, "\(result.standardOutput) \(result.standardError)")
        return lines.map { line in
            PageAnswer(answer: line?["result"] as? String ?? "?", console: (line?["console"] as? [String]) ?? [])
        }
    }

    @Test("browser client (headless Chromium): valid, a reason, invalid host, forged-answer, skipped")
    func browserClient() throws {
        let server = "https://localhost:\(stack.httpsPort)"
        let signingKey = try String(contentsOfFile: answerKey, encoding: .utf8)
        let id = uniqueID("W")
        let key = try issue(["id=" + id, "users=5"])
        let expired = try issue(["id=" + uniqueID("W"), "duration=01Jan2020-31Dec2020"])
        let weighted = uniqueID("W")
        let weightedKey = try issue(["id=" + weighted, "rights=3"])
        // A key the realm does not sign with: a page shipped with it must see every answer as forged.
        let otherKeys = stack.directory + "/browser-other-answer-key"
        try #require(try stack.licensectl(["keygen", "--out", otherKeys, "--name", "other"]).status == 0)
        let otherKey = try String(contentsOfFile: otherKeys + "/other.pem", encoding: .utf8)

        let shots = artifacts + "/browser-client"
        try? FileManager.default.removeItem(atPath: shots)
        let answers = try loadInBrowser([
            PageLoad(server: server, keyLine: key, answerKey: signingKey),
            PageLoad(server: server, keyLine: key, answerKey: signingKey),
            PageLoad(server: server, keyLine: expired, answerKey: signingKey),
            PageLoad(server: server, keyLine: key, answerKey: signingKey, domain: "localhost"),
            PageLoad(server: server, keyLine: key, answerKey: otherKey),
            // Realm b answers unsigned: no answer at all is what a fake server gives, too.
            PageLoad(server: "https://b.localhost:\(stack.httpsPort)", keyLine: key, answerKey: signingKey),
            // Without an answer key, answers are believed as they come.
            PageLoad(server: server, keyLine: key),
            // A page that debits more rights than the key has, then within them (SPEC §2 rights=).
            PageLoad(server: server, keyLine: weightedKey, answerKey: signingKey, rights: 4),
            PageLoad(server: server, keyLine: weightedKey, answerKey: signingKey, rights: 2),
        ], screenshots: shots)
        #expect(answers.map(\.answer) == ["valid", "valid", "invalid expired", "invalid host", "forged-answer", "forged-answer", "valid",
                                          "invalid rights", "valid"],
                "\(answers)")
        #expect(try stack.sql("SELECT rights FROM seats WHERE license_id = '\(weighted)'") == "2")
        // The browser kept one user ID in localStorage: three valid checks, one seat.
        #expect(try stack.sql("SELECT count(*) FROM seats WHERE license_id = '\(id)'") == "1")
        // The first page, as a person sees it.
        #expect(FileManager.default.fileExists(atPath: shots + "/page-1.png"))
    }

    @Test("browser client borrows (SPEC §14): the signed answer kept in localStorage holds without the server; a clock set back is invalid clock")
    func browserClientBorrows() throws {
        let server = "https://localhost:\(stack.httpsPort)"
        let signingKey = try String(contentsOfFile: answerKey, encoding: .utf8)
        let id = uniqueID("WB")
        let key = try issue(["id=" + id, "users=5", "borrow=14d"])
        let nowhere = "https://localhost:\(try closedPort())"
        let answers = try loadInBrowser([
            PageLoad(server: server, keyLine: key, answerKey: signingKey, borrow: "15d"),
            PageLoad(server: server, keyLine: key, answerKey: signingKey, borrow: "7d"),
            PageLoad(server: nowhere, keyLine: key, answerKey: signingKey, offline: true),
            PageLoad(server: nowhere, keyLine: key, answerKey: signingKey, offline: true, clockOffset: -2 * 3600 * 1000),
            PageLoad(server: nowhere, keyLine: key, answerKey: signingKey, offline: true, clockOffset: 8 * 86_400 * 1000),
            // Without offline answers, a page is skipped as before.
            PageLoad(server: nowhere, keyLine: key, answerKey: signingKey),
        ], screenshots: artifacts + "/browser-client-borrow")
        let until = try stack.sql("SELECT to_char(borrowed_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM seats WHERE license_id = '\(id)'")
        #expect(answers.map(\.answer) == ["invalid borrow", "valid", "valid (offline until \(until))", "invalid clock", "skipped", "skipped"],
                "\(answers)")
    }

    @Test("browser client: the license server stopped, or nothing listening there, is skipped")
    func browserClientServerStopped() throws {
        let key = try issue(["id=" + uniqueID("W"), "users=5"])
        let signingKey = try String(contentsOfFile: answerKey, encoding: .utf8)
        try #require(try stack.stack("pool-stop").status == 0)
        defer { _ = try? stack.stack("pool-start") }
        // A port of this machine's that nothing listens on.
        let answers = try loadInBrowser([
            PageLoad(server: "https://localhost:\(stack.httpsPort)", keyLine: key, answerKey: signingKey),
            PageLoad(server: "https://localhost:\(try closedPort())", keyLine: key, answerKey: signingKey),
        ], screenshots: artifacts + "/browser-client-stopped")
        #expect(answers.map(\.answer) == ["skipped", "skipped"], "\(answers)")
    }
}
