/// What the service needs of an HTTP request, as nginx passes it through FastCGI.
public struct ServiceRequest: Sendable {
    public var method: String
    /// The path without the query string.
    public var path: String
    public var query: String
    public var contentType: String?
    public var accept: String?
    public var origin: String?
    /// `Access-Control-Request-Method` of a CORS preflight.
    public var corsRequestMethod: String?
    /// `LICENSE_REALM` from nginx; the default realm when nginx sets none.
    public var realm: String
    /// Whether nginx passed `LICENSE_METRICS 1`: only its metrics server block does (SPEC §9).
    public var exposesMetrics: Bool
    /// Whether nginx passed `LICENSE_CONSOLE 1`: only the console's server block does (SPEC §12).
    public var servesConsole: Bool
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", contentType: String? = nil, accept: String? = nil,
                origin: String? = nil, corsRequestMethod: String? = nil, realm: String = RealmIssuers.defaultRealm,
                exposesMetrics: Bool = false, servesConsole: Bool = false, body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.contentType = contentType
        self.accept = accept
        self.origin = origin
        self.corsRequestMethod = corsRequestMethod
        self.realm = realm
        self.exposesMetrics = exposesMetrics
        self.servesConsole = servesConsole
        self.body = body
    }
}
