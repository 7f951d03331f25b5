import StoreBoundary
import Logging

/// The console's routes (SPEC §12), under `/console/`: the list of licenses (`?q=` searches,
/// `?from=` pages), one license (`license/REALM/ID`), `expiring`, `denials` and the stylesheet.
/// Served only where nginx passes `LICENSE_CONSOLE 1` (the router checks), read through
/// `ConsoleReading` only. An unknown page or license is a 404 page; a console database that fails
/// is a 503 page.
public struct ConsoleHandler {
    public static let pathPrefix = "/console/"
    public static let pageSize = 50
    public static let expiringDays = 30
    public static let denialDays = 30

    private let console: (any ConsoleReading)?
    private let systemID: String
    private let logger: Logger
    private static let pages = ConsolePages()

    /// - Parameter console: nil when the pool has no `--console-database`: every page says so (404).
    public init(console: (any ConsoleReading)?, systemID: String?, logger: Logger) {
        self.console = console
        self.systemID = systemID ?? "unknown"
        self.logger = logger
    }

    public func page(_ request: ServiceRequest) -> ServiceResponse {
        let path = request.path
        if path == Self.pathPrefix + "style.css" {
            return ServiceResponse(status: 200, headers: [("Content-Type", "text/css; charset=utf-8"), ("Cache-Control", "max-age=3600")],
                                   body: ConsolePages.stylesheet)
        }
        let search = Self.queryValue("q", in: request.query)
        guard let console else {
            return problem(404, "No console here", "This pool has no console database (license-server --console-database).", search: search)
        }
        do {
            switch path {
            case Self.pathPrefix:
                let offset = Int(Self.queryValue("from", in: request.query)).map { max(0, min($0, 10_000_000)) } ?? 0
                let licenses = try console.licenses(search: search.isEmpty ? nil : search, offset: offset, limit: Self.pageSize)
                let frame = ConsolePages.Frame(systemID: systemID, readAt: licenses.readAt, countedAt: licenses.countedAt, search: search)
                return html(200, Self.pages.licenses(licenses, frame: frame, offset: offset, pageSize: Self.pageSize))
            case Self.pathPrefix + "expiring":
                let expiring = try console.expiring(withinDays: Self.expiringDays)
                return html(200, Self.pages.expiring(expiring, days: Self.expiringDays,
                                                     frame: ConsolePages.Frame(systemID: systemID, readAt: expiring.readAt)))
            case Self.pathPrefix + "denials":
                let denials = try console.denials(days: Self.denialDays)
                return html(200, Self.pages.denials(denials, days: Self.denialDays,
                                                    frame: ConsolePages.Frame(systemID: systemID, readAt: denials.readAt)))
            default:
                guard let (realm, id) = Self.licensePath(path) else {
                    return problem(404, "No such page", "The console has no page \(path).", search: search)
                }
                guard let detail = try console.license(realm: realm, id: id) else {
                    return problem(404, "No such license", "No license \(id) has been seen in realm \(realm).", search: search)
                }
                return html(200, Self.pages.license(detail, realm: realm, id: id,
                                                    frame: ConsolePages.Frame(systemID: systemID, readAt: detail.readAt)))
            }
        } catch {
            logger.error("console: database unavailable", metadata: [
                "kind": "\(error.kind)", "sqlstate": "\(error.code ?? "-")", "error": "\(error)",
            ])
            return problem(503, "The database is unavailable", "The console cannot read the report views now; try again in a moment.",
                           search: search, headers: [("Retry-After", "5")])
        }
    }

    /// `/console/license/REALM/ID` → (REALM, ID); nginx has decoded the path already.
    static func licensePath(_ path: String) -> (realm: String, id: String)? {
        let prefix = pathPrefix + "license/"
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let realm = String(rest[..<slash])
        let id = String(rest[rest.index(after: slash)...])
        guard !realm.isEmpty, !id.isEmpty, !id.contains("/") else { return nil }
        return (realm, id)
    }

    /// A query parameter, decoded as a form field; "" when absent or not decodable. At most 200
    /// characters: a search is a license id or a part of a name.
    static func queryValue(_ name: String, in query: String) -> String {
        guard let bytes = FormDecoding.value(of: name, in: Array(query.utf8)) else { return "" }
        return String(String(decoding: bytes, as: UTF8.self).prefix(200))
    }

    private func html(_ status: Int, _ body: String, headers: [(String, String)] = []) -> ServiceResponse {
        ServiceResponse(status: status, headers: [
            ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
            // Nothing from another site, no script: what the pages are, said to the browser too.
            ("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
        ] + headers, body: body)
    }

    private func problem(_ status: Int, _ title: String, _ message: String, search: String,
                         headers: [(String, String)] = []) -> ServiceResponse {
        html(status, Self.pages.problem(title: title, message: message,
                                        frame: ConsolePages.Frame(systemID: systemID, readAt: nil, search: search)), headers: headers)
    }
}
