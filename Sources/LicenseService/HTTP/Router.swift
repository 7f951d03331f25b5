import LicenseCore

/// The paths the pool answers, with their methods and whether web pages may call them: 404 for
/// an unknown path (paths are case-sensitive), 405 with `Allow` for a wrong method, and CORS
/// (SPEC §3) for the routes that allow it. It knows HTTP, not licenses: a handler is a function
/// from request to response, and `/healthz`, `/check` or a later `/metrics` are routes alike.
public struct Router {
    /// One path and what answers it.
    public struct Route {
        public let path: String
        /// The methods the handler takes, as `Allow` lists them.
        public let methods: [String]
        /// Whether a web page's `fetch()` may call it: preflights are answered and the page's
        /// origin is echoed on every answer.
        public let allowsCrossOrigin: Bool
        /// Whether the route exists for this request at all (else 404): `/metrics` only where
        /// nginx passes `LICENSE_METRICS 1`.
        public let isServed: (ServiceRequest) -> Bool
        /// Whether the route answers every path under `path` (which then ends with `/`).
        public let coversSubpaths: Bool
        public let handle: (ServiceRequest) -> ServiceResponse

        public init(_ path: String, methods: [String], allowsCrossOrigin: Bool = false, coversSubpaths: Bool = false,
                    isServed: @escaping (ServiceRequest) -> Bool = { _ in true },
                    handle: @escaping (ServiceRequest) -> ServiceResponse) {
            self.path = path
            self.coversSubpaths = coversSubpaths
            self.methods = methods
            self.allowsCrossOrigin = allowsCrossOrigin
            self.isServed = isServed
            self.handle = handle
        }
    }

    private let routes: [String: Route]
    private let subpathRoutes: [Route]

    public init(_ routes: [Route]) {
        self.routes = Dictionary(routes.filter { !$0.coversSubpaths }.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        subpathRoutes = routes.filter(\.coversSubpaths)
    }

    /// The answer to `request`; never throws.
    public func respond(to request: ServiceRequest) -> ServiceResponse {
        let found = routes[request.path] ?? subpathRoutes.first { request.path.hasPrefix($0.path) }
        guard let route = found, route.isServed(request) else { return .text(404, "not found") }
        guard route.allowsCrossOrigin else {
            return route.methods.contains(request.method) ? route.handle(request) : Self.wrongMethod(route)
        }
        return crossOrigin(request, route)
    }

    private static func wrongMethod(_ route: Route) -> ServiceResponse {
        .text(405, "method not allowed", headers: [("Allow", route.methods.joined(separator: ", "))])
    }

    /// A CORS preflight is answered here; every other answer carries `Access-Control-Allow-Origin`
    /// for the page's origin. Whether that origin may use what it asks for is the handler's
    /// business (the check compares it with DOMAIN), so any well-formed origin is echoed, and
    /// nothing else is. `License-Signature` is exposed, or a page could not read it (SPEC §7).
    private func crossOrigin(_ request: ServiceRequest, _ route: Route) -> ServiceResponse {
        let allowedOrigin = request.origin.flatMap { HostName(origin: $0) == nil ? nil : $0 }
        let allowedMethods = route.methods.joined(separator: ", ")
        if request.method == "OPTIONS", request.origin != nil, let wanted = request.corsRequestMethod {
            guard let allowedOrigin else { return .text(400, "Origin must be scheme://host[:port]") }
            guard route.methods.contains(wanted) else { return Self.wrongMethod(route) }
            return ServiceResponse(status: 204, headers: [
                ("Access-Control-Allow-Origin", allowedOrigin),
                ("Access-Control-Allow-Methods", allowedMethods),
                ("Access-Control-Allow-Headers", "Accept, Content-Type"),
                ("Access-Control-Max-Age", "86400"),
                ("Vary", "Origin"),
            ], body: "")
        }
        var response = route.methods.contains(request.method) ? route.handle(request) : Self.wrongMethod(route)
        if let allowedOrigin {
            response.headers += [("Access-Control-Allow-Origin", allowedOrigin),
                                 ("Access-Control-Expose-Headers", "License-Signature"), ("Vary", "Origin")]
        }
        return response
    }
}
