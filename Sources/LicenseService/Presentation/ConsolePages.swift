import LicenseCore
import StoreBoundary
import Mustache

/// The console's HTML (SPEC §12), rendered by Mustache templates, which escape every `{{value}}`.
/// The only unescaped insertions (`{{{…}}}`) are a page's rendered body into the layout and the
/// chart's SVG, which `UsageChart` builds from numbers and escaped days. No JavaScript, nothing
/// from another site: one stylesheet, served by the console itself.
public struct ConsolePages: Sendable {
    /// What every page shows in its footer.
    public struct Frame: Sendable {
        public var systemID: String
        /// When the page's figures were read; nil on a page without figures (a 404 or 503).
        public var readAt: String?
        public var countedAt: String?
        public var search: String

        public init(systemID: String, readAt: String?, countedAt: String? = nil, search: String = "") {
            self.systemID = systemID
            self.readAt = readAt
            self.countedAt = countedAt
            self.search = search
        }
    }

    private let library: MustacheLibrary

    public init() {
        var library = MustacheLibrary()
        ScalarHTMLContentType.registered
        // The templates are this file's constants: a mistake in them is found by the first test.
        // Each is escaped by Unicode scalar (HTMLText), not by swift-mustache's own HTML escaping.
        for (name, text) in Self.templates {
            do {
                try library.register("{{% CONTENT_TYPE: \(ScalarHTMLContentType.name)}}" + text, named: name)
            } catch {
                preconditionFailure("console template \(name) does not parse: \(error)")
            }
        }
        self.library = library
    }

    /// The stylesheet every page links to.
    public static let stylesheet = """
        :root { color-scheme: light; --ink: #1d232b; --muted: #5d6773; --line: #d9dee4; --accent: #1f5fbf; --full: #c0392b; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--ink); background: #f6f7f9; }
        header { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: center; padding: 0.8em 1.5em; background: #fff; border-bottom: 1px solid var(--line); }
        header .home { font-weight: 600; color: var(--ink); text-decoration: none; }
        nav a { margin-right: 1em; color: var(--accent); }
        header form { margin-left: auto; }
        input[type=search] { width: 18em; padding: 0.3em 0.5em; border: 1px solid var(--line); border-radius: 4px; }
        main { padding: 1em 1.5em 2em; }
        h1 { font-size: 1.4em; margin: 0.3em 0 0.8em; } h2 { font-size: 1.15em; margin-top: 1.5em; } h3 { font-size: 1em; margin: 1.2em 0 0.4em; }
        table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
        th, td { padding: 0.35em 0.7em; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; white-space: nowrap; }
        td.licensee { white-space: normal; }
        th { font-weight: 600; background: #eef1f4; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
        tbody.license:nth-of-type(even) { background: #fafbfc; }
        .bar { vertical-align: middle; } .bar .track { fill: #e4e8ec; } .bar .fill { fill: var(--accent); } .bar.full .fill { fill: var(--full); }
        .muted, footer { color: var(--muted); } footer { padding: 1em 1.5em; border-top: 1px solid var(--line); font-size: 0.9em; }
        .usage-chart { width: 100%; max-width: 720px; background: #fff; border: 1px solid var(--line); }
        .usage-chart .axis { stroke: var(--muted); fill: none; } .usage-chart .label { font-size: 11px; fill: var(--muted); }
        .usage-chart polyline { fill: none; stroke-width: 2; } .usage-chart .users { stroke: var(--accent); } .usage-chart .computers { stroke: #2e8b57; }
        .usage-chart .users-points { fill: var(--accent); } .usage-chart .computers-points { fill: #2e8b57; }
        .legend span { margin-right: 1em; } .legend .users { color: var(--accent); } .legend .computers { color: #2e8b57; }
        .pages a { margin-right: 1em; }
        """

    public func licenses(_ licenses: ConsoleLicenses, frame: Frame, offset: Int, pageSize: Int) -> String {
        let rows: [[String: Any]] = licenses.licenses.map { license in
            var view = Self.licenseView(license)
            let scopes = license.scopes.isEmpty ? [ConsoleScope(scope: LicenseTerms.baseScope, usersLimit: nil, usersActive: 0, hostsLimit: nil, hostsActive: 0,
                                                                rightsLimit: nil, rightsActive: 0, percentUsed: nil)] : license.scopes
            // The license's own fullest limit, under a name of its own: inside a row, Mustache
            // would find the scope's percent first.
            view["fullest"] = Self.percentView(license.percentUsed)
            // Days are YYYY-MM-DD, so the text compares as the date does.
            if let lastDay = license.validUntil, let today = frame.readAt?.prefix(10) { view["expired"] = lastDay < today }
            view["rows"] = scopes.enumerated().map { index, scope -> [String: Any] in
                var row = Self.scopeView(scope)
                row["first"] = index == 0
                row["scopeCount"] = scopes.count
                return row
            }
            return view
        }
        var pages: [[String: Any]] = []
        if offset > 0 { pages.append(["label": "← previous", "link": Self.listLink(search: frame.search, offset: max(0, offset - pageSize))]) }
        if licenses.hasMore { pages.append(["label": "next →", "link": Self.listLink(search: frame.search, offset: offset + pageSize)]) }
        var view: [String: Any] = ["licenses": rows, "empty": rows.isEmpty, "pages": pages, "first": offset + 1, "last": offset + rows.count]
        // A section over a string renders even for an empty one: no search, no key.
        if !frame.search.isEmpty { view["search"] = frame.search }
        let body = render("licenses", view)
        return page(title: frame.search.isEmpty ? "Licenses" : "Licenses matching \(frame.search)", body: body, frame: frame)
    }

    public func license(_ detail: ConsoleLicenseDetail, realm: String, id: String, frame: Frame) -> String {
        let parts: [[String: Any]] = detail.parts.map { part in
            var view = Self.licenseView(part.license)
            view["scopes"] = part.license.scopes.map(Self.scopeView)
            view["chart"] = UsageChart(days: part.days, firstDay: detail.firstDay, today: detail.today).svg
            view["dayCount"] = part.days.count
            view["denials"] = part.denials.map { ["reason": $0.name, "count": $0.count] as [String: Any] }
            view["noDenials"] = part.denials.isEmpty
            view["clients"] = part.clients.map {
                ["domain": $0.domain, "revision": $0.revision, "checks": $0.checks, "lastSeen": $0.lastSeen] as [String: Any]
            }
            view["noClients"] = part.clients.isEmpty
            view["seats"] = part.seats.map { seat -> [String: Any] in
                ["scope": seat.scope, "seat": seat.seat, "computer": seat.computer, "rights": seat.rights, "firstSeen": seat.firstSeen,
                 "lastSeen": seat.lastSeen, "borrowedUntil": seat.borrowedUntil ?? "—", "overdraft": seat.overdraft ? "yes" : "no"]
            }
            view["noSeats"] = part.seats.isEmpty
            view["borrowed"] = part.borrowed.map {
                ["scope": $0.scope, "computer": $0.computer, "until": $0.borrowedUntil] as [String: Any]
            }
            view["anyBorrowed"] = !part.borrowed.isEmpty
            if let bindings = part.bindings {
                view["bindings"] = [
                    "bound": bindings.computers.count, "limit": bindings.limit.map(String.init) ?? "none (the latest key has no bind=)",
                    "unbound": bindings.unboundIn30Days,
                    "computers": bindings.computers.map { ["handle": $0.handle, "boundAt": $0.boundAt] as [String: Any] },
                    "noComputers": bindings.computers.isEmpty,
                ] as [String: Any]
            }
            return view
        }
        let body = render("license", ["realm": realm, "licenseID": id, "parts": parts])
        return page(title: "License \(id)", body: body, frame: frame)
    }

    public func expiring(_ expiring: ConsoleExpiring, days: Int, frame: Frame) -> String {
        let entries: [[String: Any]] = expiring.entries.map { entry in
            ["realm": entry.realm, "product": entry.product, "licenseID": entry.licenseID, "licensee": entry.licensee ?? "",
             "link": Self.licenseLink(realm: entry.realm, id: entry.licenseID), "validUntil": entry.validUntil ?? "—",
             "expiresIn": entry.expiresInDays.map(String.init) ?? "—", "maintenanceUntil": entry.maintenanceUntil ?? "—",
             "maintenanceEndsIn": entry.maintenanceEndsInDays.map(String.init) ?? "—"]
        }
        let body = render("expiring", ["days": days, "entries": entries, "empty": entries.isEmpty])
        return page(title: "Expiring", body: body, frame: frame)
    }

    public func denials(_ denials: ConsoleDenials, days: Int, frame: Frame) -> String {
        let entries: [[String: Any]] = denials.entries.map { entry in
            var view: [String: Any] = ["realm": entry.realm, "reason": entry.reason, "denials": entry.denials]
            if let id = entry.licenseID {
                view["licenseID"] = id
                view["link"] = Self.licenseLink(realm: entry.realm, id: id)
            }
            return view
        }
        let body = render("denials", ["days": days, "entries": entries, "empty": entries.isEmpty])
        return page(title: "Denials", body: body, frame: frame)
    }

    /// A page that says what went wrong (404, 503).
    public func problem(title: String, message: String, frame: Frame) -> String {
        page(title: title, body: render("problem", ["title": title, "message": message]), frame: frame)
    }

    private func page(title: String, body: String, frame: Frame) -> String {
        var view: [String: Any] = ["title": title, "content": body, "systemID": frame.systemID, "search": frame.search]
        if let readAt = frame.readAt { view["readAt"] = readAt }
        if let countedAt = frame.countedAt { view["countedAt"] = countedAt }
        return render("layout", view)
    }

    private func render(_ template: String, _ view: [String: Any]) -> String {
        // A registered name always renders; nil would be a typo in this file.
        library.render(view, withTemplate: template) ?? ""
    }

    static func licenseView(_ license: ConsoleLicense) -> [String: Any] {
        var view: [String: Any] = [
            "realm": license.realm, "issuer": license.issuer, "product": license.product, "licenseID": license.licenseID,
            "licensee": license.licensee ?? "", "validUntil": license.validUntil ?? "no end",
            "link": licenseLink(realm: license.realm, id: license.licenseID),
        ]
        view.merge(percentView(license.percentUsed)) { $1 }
        return view
    }

    static func scopeView(_ scope: ConsoleScope) -> [String: Any] {
        func use(_ active: Int, _ limit: Int?) -> String { limit.map { "\(active) / \($0)" } ?? "\(active)" }
        var view: [String: Any] = [
            "scope": scope.scope, "users": use(scope.usersActive, scope.usersLimit), "hosts": use(scope.hostsActive, scope.hostsLimit),
            "rights": use(scope.rightsActive, scope.rightsLimit), "usersActive": scope.usersActive, "hostsActive": scope.hostsActive,
            "rightsActive": scope.rightsActive,
        ]
        view.merge(percentView(scope.percentUsed)) { $1 }
        return view
    }

    static func percentView(_ percent: Double?) -> [String: Any] {
        guard let percent else { return ["percent": "no limit", "barWidth": 0, "full": false] }
        let tenths = Int((percent * 10).rounded())
        // Past 100 %: seats admitted within an overdraft= (SPEC §15), which the vendor bills.
        return ["percent": "\(tenths / 10).\(tenths % 10) %" + (percent > 100 ? " · overdraft" : ""),
                "barWidth": min(100, max(0, Int(percent.rounded()))), "full": percent >= 100, "overdraft": percent > 100]
    }

    static func licenseLink(realm: String, id: String) -> String {
        "/console/license/" + pathComponent(realm) + "/" + pathComponent(id)
    }

    static func listLink(search: String, offset: Int) -> String {
        "/console/?" + (search.isEmpty ? "" : "q=" + pathComponent(search) + "&") + "from=\(offset)"
    }

    /// Percent-encodes everything but unreserved characters.
    static func pathComponent(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(Character(UnicodeScalar(byte)))
            default:
                let digits = Array("0123456789ABCDEF")
                encoded += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0f)])
            }
        }
        return encoded
    }

    static let templates: [(String, String)] = [
        ("layout", """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}} · License console</title>
            <link rel="stylesheet" href="/console/style.css">
            <link rel="icon" href="data:,">
            </head>
            <body>
            <header>
            <a class="home" href="/console/">License console</a>
            <nav><a href="/console/">Licenses</a><a href="/console/expiring">Expiring</a><a href="/console/denials">Denials</a></nav>
            <form action="/console/" method="get"><input type="search" name="q" value="{{search}}" placeholder="License id or licensee" aria-label="Search"> <button>Search</button></form>
            </header>
            <main>
            {{{content}}}
            </main>
            <footer>Server system ID <code id="system-id">{{systemID}}</code>{{#readAt}} · figures read <time id="read-at">{{readAt}} UTC</time>{{/readAt}}{{#countedAt}} · use counted at <time id="counted-at">{{countedAt}} UTC</time> (once a minute){{/countedAt}}</footer>
            </body>
            </html>
            """),
        ("licenses", """
            <h1>Licenses{{#search}} matching “{{search}}”{{/search}}</h1>
            {{#empty}}<p class="muted" id="no-licenses">No license{{#search}} matches{{/search}}.</p>{{/empty}}
            {{^empty}}
            <p class="muted">The fullest first: {{first}}–{{last}}.</p>
            <table id="licenses">
            <thead><tr><th>License</th><th>Realm</th><th>Product</th><th>Licensee</th><th>Expires</th><th>Fullest</th><th>Scope</th><th>Users</th><th>Computers</th><th>Rights</th></tr></thead>
            {{#licenses}}
            <tbody class="license" data-realm="{{realm}}" data-license="{{licenseID}}" data-issuer="{{issuer}}" data-product="{{product}}">
            {{#rows}}
            <tr class="scope" data-scope="{{scope}}">
            {{#first}}<td rowspan="{{scopeCount}}"><a class="license-link" href="{{link}}">{{licenseID}}</a></td><td rowspan="{{scopeCount}}">{{realm}}</td><td rowspan="{{scopeCount}}">{{product}}</td><td rowspan="{{scopeCount}}" class="licensee">{{licensee}}</td><td rowspan="{{scopeCount}}" class="valid-until">{{validUntil}}{{#expired}} <strong class="expired">expired</strong>{{/expired}}</td>{{#fullest}}<td rowspan="{{scopeCount}}" class="fullest"><svg class="bar{{#full}} full{{/full}}" viewBox="0 0 100 8" width="64" height="8" aria-hidden="true"><rect class="track" width="100" height="8" rx="3"/><rect class="fill" width="{{barWidth}}" height="8" rx="3"/></svg> {{percent}}</td>{{/fullest}}{{/first}}
            <td>{{scope}}</td><td class="number users" data-active="{{usersActive}}">{{users}}</td><td class="number hosts" data-active="{{hostsActive}}">{{hosts}}</td><td class="number rights" data-active="{{rightsActive}}">{{rights}}</td>
            </tr>
            {{/rows}}
            </tbody>
            {{/licenses}}
            </table>
            <p class="pages">{{#pages}}<a href="{{link}}">{{label}}</a>{{/pages}}</p>
            {{/empty}}
            """),
        ("license", """
            <h1>License <span id="license-id">{{licenseID}}</span> <span class="muted">in realm {{realm}}</span></h1>
            {{#parts}}
            <section class="license-part" data-issuer="{{issuer}}" data-product="{{product}}">
            <h2>{{product}} · <span class="licensee">{{licensee}}</span></h2>
            <p class="muted">Issuer {{issuer}} · valid until {{validUntil}} · fullest limit {{percent}}</p>
            <h3>In use now</h3>
            <table class="scopes">
            <thead><tr><th>Scope</th><th>Users</th><th>Computers</th><th>Rights</th><th>Fullest</th></tr></thead>
            <tbody>
            {{#scopes}}<tr class="scope" data-scope="{{scope}}"><td>{{scope}}</td><td class="number users" data-active="{{usersActive}}">{{users}}</td><td class="number hosts" data-active="{{hostsActive}}">{{hosts}}</td><td class="number rights" data-active="{{rightsActive}}">{{rights}}</td><td><svg class="bar{{#full}} full{{/full}}" viewBox="0 0 100 8" width="64" height="8" aria-hidden="true"><rect class="track" width="100" height="8" rx="3"/><rect class="fill" width="{{barWidth}}" height="8" rx="3"/></svg> {{percent}}</td></tr>
            {{/scopes}}
            </tbody>
            </table>
            <h3>Seats in use</h3>
            {{#noSeats}}<p class="muted">None.</p>{{/noSeats}}
            {{^noSeats}}<table class="seats"><thead><tr><th>Scope</th><th>Seat</th><th>Computer</th><th>Rights</th><th>First seen (UTC)</th><th>Last seen (UTC)</th><th>Borrowed until</th><th>Overdraft</th></tr></thead><tbody>
            {{#seats}}<tr class="seat" data-seat="{{seat}}"><td>{{scope}}</td><td><code>{{seat}}</code></td><td><code>{{computer}}</code></td><td class="number">{{rights}}</td><td>{{firstSeen}}</td><td>{{lastSeen}}</td><td>{{borrowedUntil}}</td><td>{{overdraft}}</td></tr>
            {{/seats}}</tbody></table>
            <p class="muted">Read-only: support staff end a seat with <code>licensectl free LICENSE_ID SEAT</code>.</p>{{/noSeats}}
            <h3>Distinct users and computers per day, last 90 days</h3>
            <p class="legend"><span class="users">● users</span><span class="computers">● computers</span><span class="muted">days with figures: {{dayCount}}</span></p>
            {{{chart}}}
            <h3>Denials by reason, last 30 days</h3>
            {{#noDenials}}<p class="muted">None.</p>{{/noDenials}}
            {{^noDenials}}<table class="denials"><thead><tr><th>Reason</th><th>Checks refused</th></tr></thead><tbody>
            {{#denials}}<tr data-reason="{{reason}}"><td>{{reason}}</td><td class="number">{{count}}</td></tr>
            {{/denials}}</tbody></table>{{/noDenials}}
            <h3>Domains and revisions</h3>
            {{#noClients}}<p class="muted">None seen yet.</p>{{/noClients}}
            {{^noClients}}<table class="clients"><thead><tr><th>Domain</th><th>Revision</th><th>Checks</th><th>Last seen (UTC)</th></tr></thead><tbody>
            {{#clients}}<tr><td>{{domain}}</td><td>{{revision}}</td><td class="number">{{checks}}</td><td>{{lastSeen}}</td></tr>
            {{/clients}}</tbody></table>{{/noClients}}
            {{#anyBorrowed}}
            <h3>Borrowed seats</h3>
            <table class="borrowed"><thead><tr><th>Scope</th><th>Computer</th><th>Borrowed until (UTC)</th></tr></thead><tbody>
            {{#borrowed}}<tr><td>{{scope}}</td><td><code>{{computer}}</code></td><td class="borrowed-until">{{until}}</td></tr>
            {{/borrowed}}</tbody></table>
            {{/anyBorrowed}}
            {{#bindings}}
            <h3>Computers bound by the holder</h3>
            <p id="bindings"><span id="bound-count">{{bound}} of {{limit}} bound</span> · unbound {{unbound}} times in the last 30 days</p>
            {{#noComputers}}<p class="muted">None bound.</p>{{/noComputers}}
            {{^noComputers}}<table class="bound-computers"><thead><tr><th>Computer</th><th>Bound at (UTC)</th></tr></thead><tbody>
            {{#computers}}<tr><td><code>{{handle}}</code></td><td>{{boundAt}}</td></tr>
            {{/computers}}</tbody></table>{{/noComputers}}
            {{/bindings}}
            </section>
            {{/parts}}
            """),
        ("expiring", """
            <h1>Expiring within {{days}} days</h1>
            {{#empty}}<p class="muted">No license ends its validity or maintenance within {{days}} days.</p>{{/empty}}
            {{^empty}}<table id="expiring"><thead><tr><th>License</th><th>Realm</th><th>Product</th><th>Licensee</th><th>Valid until</th><th>Days left</th><th>Maintenance until</th><th>Days left</th></tr></thead><tbody>
            {{#entries}}<tr data-license="{{licenseID}}"><td><a href="{{link}}">{{licenseID}}</a></td><td>{{realm}}</td><td>{{product}}</td><td class="licensee">{{licensee}}</td><td>{{validUntil}}</td><td class="number">{{expiresIn}}</td><td>{{maintenanceUntil}}</td><td class="number">{{maintenanceEndsIn}}</td></tr>
            {{/entries}}</tbody></table>{{/empty}}
            """),
        ("denials", """
            <h1>Denials, last {{days}} days</h1>
            {{#empty}}<p class="muted">No check was refused in {{days}} days.</p>{{/empty}}
            {{^empty}}<table id="denials"><thead><tr><th>License</th><th>Realm</th><th>Reason</th><th>Checks refused</th></tr></thead><tbody>
            {{#entries}}<tr data-license="{{licenseID}}" data-reason="{{reason}}"><td>{{#link}}<a href="{{link}}">{{licenseID}}</a>{{/link}}{{^link}}<span class="muted">keys that did not verify</span>{{/link}}</td><td>{{realm}}</td><td>{{reason}}</td><td class="number">{{denials}}</td></tr>
            {{/entries}}</tbody></table>{{/empty}}
            """),
        ("problem", """
            <h1 id="problem">{{title}}</h1>
            <p>{{message}}</p>
            <p><a href="/console/">All licenses</a></p>
            """),
    ]
}
