import LicenseSigning
import StoreBoundary
import InMemorySeatStore
import LicenseCore
@testable import LicenseService
import Logging
import Testing

/// The console's routes and pages over a stand-in for the report views: what is routed where,
/// what is escaped, what the chart draws, what a failing database shows. What the views hold is
/// tested against PostgreSQL (ServiceTests' ConsoleTests).
@Suite("The console's pages")
struct ConsoleHandlerTests {
    final class StandInConsole: ConsoleReading {
        var licenseList: [ConsoleLicense] = []
        var detail: ConsoleLicenseDetail?
        var failing = false
        var searches: [String?] = []

        static let failure = StoreError(kind: .unavailable, message: "the stand-in console is down")

        func licenses(search: String?, offset: Int, limit: Int) throws(StoreError) -> ConsoleLicenses {
            if failing { throw Self.failure }
            searches.append(search)
            return ConsoleLicenses(licenses: Array(licenseList.dropFirst(offset).prefix(limit)), hasMore: licenseList.count > offset + limit,
                                   readAt: "2026-12-02 10:00:00", countedAt: "2026-12-02 09:59:30")
        }

        func license(realm: String, id: String) throws(StoreError) -> ConsoleLicenseDetail? {
            if failing { throw Self.failure }
            return detail.flatMap { $0.parts.first?.license.realm == realm && $0.parts.first?.license.licenseID == id ? $0 : nil }
        }

        func expiring(withinDays days: Int) throws(StoreError) -> ConsoleExpiring {
            ConsoleExpiring(entries: [.init(realm: "default", product: "X-META-X", licenseID: "ACME-1", licensee: "Acme & Sons",
                                            validUntil: "2026-12-20", expiresInDays: 18, maintenanceUntil: nil, maintenanceEndsInDays: nil)],
                            readAt: "2026-12-02 10:00:00")
        }

        func denials(days: Int) throws(StoreError) -> ConsoleDenials {
            ConsoleDenials(entries: [.init(realm: "default", licenseID: nil, reason: "bad-signature", denials: 3),
                                     .init(realm: "default", licenseID: "ACME-1", reason: "users", denials: 2)],
                           readAt: "2026-12-02 10:00:00")
        }
    }

    static let hostile = "<script>alert(1)</script>"

    func license(_ id: String, licensee: String?, percent: Double?) -> ConsoleLicense {
        ConsoleLicense(realm: "default", issuer: "default", product: "X-META-X", licenseID: id, licensee: licensee, validUntil: "2027-01-31",
                       percentUsed: percent, scopes: [ConsoleScope(scope: "base", usersLimit: 5, usersActive: 4, hostsLimit: nil, hostsActive: 2,
                                                                   rightsLimit: nil, rightsActive: 4, percentUsed: percent)])
    }

    func router(_ console: StandInConsole?) -> Router {
        let settings = CheckSettings(realms: RealmIssuers(realms: [:]), secret: ServerSecret(bytes: Array(repeating: 7, count: 32)),
                                     serverSystemID: "Eth_52:54:00:00:00:01", logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                                     today: { LicenseDate(year: 2026, month: 12, day: 2)! })
        return Router.licenseRoutes(settings: settings, shared: SharedCheckState(metrics: PoolMetrics(realms: [], workers: 1)),
                                    store: InMemorySeatStore(), console: console)
    }

    func get(_ router: Router, _ path: String, query: String = "", console: Bool = true) -> ServiceResponse {
        router.respond(to: ServiceRequest(method: "GET", path: path, query: query, servesConsole: console))
    }

    @Test("/console/ exists only where nginx passes LICENSE_CONSOLE 1; GET and HEAD only")
    func routing() {
        let router = router(StandInConsole())
        #expect(get(router, "/console/", console: false).status == 404)
        #expect(get(router, "/console/license/default/x", console: false).status == 404)
        #expect(get(router, "/console/").status == 200)
        #expect(router.respond(to: ServiceRequest(method: "POST", path: "/console/", servesConsole: true)).status == 405)
        #expect(get(router, "/consolex").status == 404)
        #expect(get(router, "/console/style.css").headers.contains { $0 == ("Content-Type", "text/css; charset=utf-8") })
        #expect(get(router, "/console/nothing-here").status == 404)
        #expect(get(router, "/console/license/default").status == 404)
        // A pool without --console-database says so, on a page.
        let none = get(self.router(nil), "/console/")
        #expect(none.status == 404 && none.body.contains("--console-database"))
    }

    @Test("the list: every value from a key escaped, search passed on and shown escaped, system ID and times on the page")
    func list() {
        let console = StandInConsole()
        console.licenseList = [license("ACME-1", licensee: Self.hostile, percent: 80), license("<b>id</b>", licensee: nil, percent: nil)]
        let router = router(console)
        let page = get(router, "/console/").body
        #expect(!page.contains("<script>") && page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.contains("<b>id</b>") && page.contains("&lt;b&gt;id&lt;/b&gt;"))
        // The link's path component is percent-encoded, then escaped as an attribute.
        #expect(page.contains("href=\"/console/license/default/%3Cb%3Eid%3C%2Fb%3E\""))
        #expect(page.contains("Eth_52:54:00:00:00:01") && page.contains("2026-12-02 10:00:00 UTC") && page.contains("2026-12-02 09:59:30 UTC"))
        #expect(page.contains("80.0 %") && page.contains("4 / 5") && page.contains("no limit"))
        let searched = get(router, "/console/", query: "q=%22%3E%3Cscript%3E+Acme").body
        #expect(console.searches.last == "\"><script> Acme")
        #expect(!searched.contains("\"><script>") && searched.contains("&quot;&gt;&lt;script&gt; Acme"))
        #expect(get(router, "/console/").headers.contains { $0.0 == "Content-Security-Policy" && $0.1.contains("default-src 'none'") })
    }

    @Test("a quote followed by a combining mark is escaped in every field a page shows (escaping by scalar, not Character)")
    func combiningMarks() throws {
        let sneaky = "x\u{22}\u{301} onfocus=\u{22}\u{301}alert(1)"
        #expect(HTMLText.escaped(sneaky) == "x&quot;\u{301} onfocus=&quot;\u{301}alert(1)")
        let console = StandInConsole()
        var entry = license(sneaky, licensee: sneaky, percent: 50)
        entry.product = sneaky
        console.licenseList = [entry]
        console.detail = ConsoleLicenseDetail(parts: [.init(license: entry, days: [], denials: [ConsoleCount(name: sneaky, count: 1)],
                                                            clients: [ConsoleClient(domain: sneaky, revision: sneaky, checks: 1, lastSeen: sneaky)])],
                                              firstDay: "2026-09-04", today: "2026-12-02", readAt: "2026-12-02 10:00:00")
        let router = router(console)
        let pages = [get(router, "/console/").body,
                     get(router, "/console/", query: "q=x%22%CC%81+onfocus%3D%22%CC%81alert(1)").body,
                     get(router, "/console/license/default/" + sneaky).body]
        for page in pages {
            #expect(!page.unicodeScalars.indices.contains { index in
                page.unicodeScalars[index] == "\"" && page.unicodeScalars.index(after: index) < page.unicodeScalars.endIndex
                    && page.unicodeScalars[page.unicodeScalars.index(after: index)] == "\u{301}"
            }, "a raw quote before U+0301 in \(page.prefix(200))")
            #expect(page.contains("&quot;\u{301}"))
        }
    }

    @Test("the list's fullest column is the license's tightest limit, not its base scope's; an expired license says so; a 404 reads no figures")
    func fullestAndExpired() throws {
        let console = StandInConsole()
        let tight = ConsoleLicense(
            realm: "default", issuer: "default", product: "X-META-X", licenseID: "TIGHT-1", licensee: nil, validUntil: "2026-12-01",
            percentUsed: 75, scopes: [ConsoleScope(scope: "base", usersLimit: 10, usersActive: 4, hostsLimit: nil, hostsActive: 4,
                                                   rightsLimit: nil, rightsActive: 4, percentUsed: 40),
                                      ConsoleScope(scope: "Vario", usersLimit: 4, usersActive: 3, hostsLimit: nil, hostsActive: 3,
                                                   rightsLimit: nil, rightsActive: 3, percentUsed: 75)])
        console.licenseList = [tight, license("CURRENT-1", licensee: nil, percent: 10)]
        let page = get(router(console), "/console/").body
        let fullest = try #require(page.components(separatedBy: "class=\"fullest\"").dropFirst().first?.components(separatedBy: "</td>").first)
        #expect(fullest.contains("75.0 %") && !fullest.contains("40.0 %"), "\(fullest)")
        // readAt is 2026-12-02: the license whose last day was 2026-12-01 has expired, the other (2027-01-31) not.
        #expect(page.components(separatedBy: "class=\"expired\"").count == 2)
        let missing = get(router(console), "/console/license/default/NOBODY")
        #expect(missing.status == 404 && !missing.body.contains("figures read") && missing.body.contains("Eth_52:54:00:00:00:01"))
    }

    @Test("pages of 50 with a next link")
    func paging() {
        let console = StandInConsole()
        console.licenseList = (0..<120).map { license("L-\($0)", licensee: "Licensee \($0)", percent: Double(120 - $0)) }
        let router = router(console)
        let first = get(router, "/console/").body
        #expect(first.contains("L-49") && !first.contains("L-50\"") && first.contains("from=50"))
        let last = get(router, "/console/", query: "from=100").body
        #expect(last.contains("L-119") && last.contains("from=50") && !last.contains("from=150"))
    }

    @Test("one license: the chart has one point per day with figures; an unknown license is a 404 page")
    func licensePage() {
        let console = StandInConsole()
        let days = [ConsoleDay(day: "2026-11-30", index: 87, users: 3, hosts: 2), ConsoleDay(day: "2026-12-01", index: 88, users: 5, hosts: 4),
                    ConsoleDay(day: "2026-12-02", index: 89, users: 1, hosts: 1)]
        console.detail = ConsoleLicenseDetail(parts: [.init(license: license("ACME-1", licensee: Self.hostile, percent: 80), days: days,
                                                             denials: [ConsoleCount(name: "users", count: 7)],
                                                             clients: [ConsoleClient(domain: "<i>x</i>.example", revision: "7.1", checks: 3,
                                                                                     lastSeen: "2026-12-02 09:00:00")])],
                                              firstDay: "2026-09-04", today: "2026-12-02", readAt: "2026-12-02 10:00:00")
        let router = router(console)
        let page = get(router, "/console/license/default/ACME-1")
        #expect(page.status == 200)
        #expect(page.body.components(separatedBy: "data-users=").count - 1 == 3)
        #expect(page.body.components(separatedBy: "data-computers=").count - 1 == 3)
        #expect(page.body.contains("data-day=\"2026-12-01\" data-users=\"5\""))
        #expect(!page.body.contains("<script>") && !page.body.contains("<i>x</i>"))
        #expect(page.body.contains("<svg class=\"usage-chart\"") && page.body.contains("users</td><td class=\"number\">7"))
        let unknown = get(router, "/console/license/default/NOPE")
        #expect(unknown.status == 404 && unknown.body.contains("No such license"))
    }

    @Test("expiring and denials; a database that fails is a 503 page with Retry-After")
    func otherPages() {
        let console = StandInConsole()
        let router = router(console)
        let expiring = get(router, "/console/expiring").body
        #expect(expiring.contains("Acme &amp; Sons") && expiring.contains("18"))
        let denials = get(router, "/console/denials").body
        #expect(denials.contains("keys that did not verify") && denials.contains("/console/license/default/ACME-1"))
        console.failing = true
        let failed = get(router, "/console/")
        #expect(failed.status == 503 && failed.body.contains("database is unavailable"))
        #expect(failed.headers.contains { $0 == ("Retry-After", "5") })
    }
}
