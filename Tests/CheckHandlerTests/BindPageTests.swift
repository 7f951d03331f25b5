import Foundation
import InMemorySeatStore
import LicenseCore
@testable import LicenseService
import Testing

/// SPEC §13's page in the handler: the form, its answers and what it escapes. Chromium drives the
/// real page through nginx in ServiceTests' BindPageBrowserTests.
@Suite("the binding page, in process")
struct BindPageTests {
    static func form(_ fields: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&").utf8)
    }

    static func multipart(_ parts: [(name: String, fileName: String?, value: String)], boundary: String = "----form7MA4YWxk")
        -> (contentType: String, body: [UInt8]) {
        var body = ""
        for part in parts {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let fileName = part.fileName { body += "; filename=\"\(fileName)\"\r\nContent-Type: text/plain" }
            body += "\r\n\r\n\(part.value)\r\n"
        }
        body += "--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", Array(body.utf8))
    }

    func post(_ harness: HandlerHarness, _ path: String, key: String, system: String) -> ServiceResponse {
        harness.request(path, method: "POST", body: Self.form([("key", key), ("system", system)]),
                        contentType: "application/x-www-form-urlencoded")
    }

    @Test("GET /bind: a page complete without JavaScript, nothing from another site, its form posting to /bind and /unbind")
    func emptyPage() throws {
        let harness = try HandlerHarness()
        let response = harness.request("/bind")
        #expect(response.status == 200)
        #expect(response.headers.contains { $0 == ("Content-Type", "text/html; charset=utf-8") })
        let policy = try #require(response.headers.first { $0.0 == "Content-Security-Policy" }?.1)
        #expect(policy.contains("default-src 'none'") && policy.contains("form-action 'self'"))
        let page = response.body
        #expect(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"))
        #expect(page.contains("formaction=\"/bind\"") && page.contains("formaction=\"/unbind\""))
        #expect(page.contains("name=\"key\"") && page.contains("name=\"keyfile\"") && page.contains("name=\"system\""))
        #expect(!page.contains("id=\"answer\""))
    }

    @Test("the form binds and shows how many of N are bound; unbinding shows it again; the limit says so")
    func bindThroughPage() throws {
        let harness = try HandlerHarness(unbindLimit: 1)
        let key = try harness.key(["id=PAGE-1", "bind=3"])
        let first = post(harness, "/bind", key: key, system: "Eth_1")
        #expect(first.status == 200 && first.body.contains(">bound<") && first.body.contains("1 of 3 bound"))
        #expect(first.body.contains("X-META-X · license PAGE-1"))
        let second = post(harness, "/bind", key: key, system: "Eth_2")
        #expect(second.body.contains("2 of 3 bound"))
        // The form comes back filled, for the next action.
        #expect(second.body.contains("value=\"Eth_2\"") && second.body.contains(">\(key)</textarea>"))
        let unbound = post(harness, "/unbind", key: key, system: "Eth_1")
        #expect(unbound.body.contains(">unbound<") && unbound.body.contains("1 of 3 bound"))
        let limited = post(harness, "/unbind", key: key, system: "Eth_2")
        #expect(limited.body.contains("invalid unbind-limit") && limited.body.contains("at most 1 times in 30 days"))
        #expect(limited.body.contains("1 of 3 bound"))
    }

    @Test("a key file chosen on the page (multipart) is used, comments and blank lines around it ignored")
    func keyFile() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=PAGE-2", "bind=1"])
        let form = Self.multipart([(name: "key", fileName: nil, value: ""),
                                   (name: "keyfile", fileName: "license.txt", value: "# ACME's key\n\n\(key)\n"),
                                   (name: "system", fileName: nil, value: "Eth_5")])
        let response = harness.request("/bind", method: "POST", body: form.body, contentType: form.contentType)
        #expect(response.status == 200 && response.body.contains("1 of 1 bound"), "\(response.body)")
        // Without a file, the pasted key in the same multipart form.
        let pasted = Self.multipart([(name: "key", fileName: nil, value: key), (name: "keyfile", fileName: "", value: ""),
                                     (name: "system", fileName: nil, value: "Eth_6")])
        let refused = harness.request("/bind", method: "POST", body: pasted.body, contentType: pasted.contentType)
        #expect(refused.body.contains("invalid binding") && refused.body.contains("1 of 1 bound"))
    }

    @Test("a form with a field missing or out of form is the page with one line saying what (400), nothing bound",
          arguments: [
              ([("system", "Eth_1")], "paste the license key"),
              ([("key", "KEY"), ("system", "")], "type the system ID"),
              ([("key", "KEY")], "type the system ID"),
              ([("key", "KEY"), ("system", "Eth 1")], "the system ID must be TYPE_VALUE"),
              ([("key", "KEY\nKEY"), ("system", "Eth_1")], "the key: the file holds 2 key lines"),
          ])
    func incompleteForm(fields: [(String, String)], expected: String) throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=PAGE-3", "bind=1"])
        let body = Self.form(fields.map { ($0.0, $0.1.replacingOccurrences(of: "KEY", with: key)) })
        // A form without key= is a program's post (a bare code), not the page's: it is a 400 of its own.
        let response = harness.request("/bind", method: "POST", body: body, contentType: "application/x-www-form-urlencoded")
        #expect(response.status == 400)
        if fields.contains(where: { $0.0 == "key" }) {
            #expect(response.body.contains("Not sent: " + expected), "\(response.body)")
        }
        // Nothing was bound: the one place is still free.
        #expect(post(harness, "/bind", key: key, system: "Eth_9").body.contains("1 of 1 bound"))
    }

    @Test("a multipart form that is cut short or has no boundary is the page saying so (400)")
    func brokenMultipart() throws {
        let harness = try HandlerHarness()
        let form = Self.multipart([(name: "key", fileName: nil, value: "K"), (name: "system", fileName: nil, value: "Eth_1")])
        let cut = harness.request("/bind", method: "POST", body: Array(form.body.dropLast(12)), contentType: form.contentType)
        #expect(cut.status == 400 && cut.body.contains("the form could not be read"))
        let other = harness.request("/bind", method: "POST", body: form.body, contentType: "multipart/form-data; boundary=elsewhere")
        #expect(other.status == 400)
        // A part whose blank line after its headers is also the next delimiter's line break (found by fuzzing: it trapped).
        let overlapping = Array("--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n--b--\r\n".utf8)
        let answer = harness.request("/bind", method: "POST", body: overlapping, contentType: "multipart/form-data; boundary=b")
        #expect(answer.status == 400 && answer.body.contains("the form could not be read"))
    }

    @Test("what the person typed comes back escaped, by Unicode scalar")
    func escaped() throws {
        let harness = try HandlerHarness()
        let response = post(harness, "/bind", key: "<script>alert(1)</script>\"\u{301}", system: "Eth_\"><b>")
        #expect(response.status == 400)
        #expect(!response.body.contains("<script>alert") && response.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // The quote before a combining mark is escaped too (one Character, two scalars).
        #expect(response.body.contains("&quot;\u{301}") && !response.body.contains("\"\u{301}"))
        #expect(!response.body.contains("\"><b>") && response.body.contains("Eth_&quot;&gt;&lt;b&gt;"))
        let bad = post(harness, "/bind", key: "<i>not a key</i>", system: "Eth_1")
        #expect(bad.status == 200 && bad.body.contains("invalid malformed-key") && bad.body.contains("&lt;i&gt;not a key&lt;/i&gt;"))
    }

    @Test("a store that is down answers the page with 503 and Retry-After")
    func storeDown() throws {
        let harness = try HandlerHarness()
        let key = try harness.key(["id=PAGE-4", "bind=1"])
        harness.store.failure = InMemorySeatStoreFailure.down
        let response = post(harness, "/bind", key: key, system: "Eth_1")
        #expect(response.status == 503 && response.headers.contains { $0.0 == "Retry-After" })
        #expect(response.body.contains("cannot reach its database"))
    }
}
