import StoreBoundary

extension Router {
    /// The pool's routes over one worker's store (SPEC §3, §13); `console` is nil when the pool
    /// has no console database.
    public static func licenseRoutes(settings: CheckSettings, shared: SharedCheckState, store: any SeatStoring,
                                     console: (any ConsoleReading)? = nil) -> Router {
        let checks = CheckHandler(settings: settings, shared: shared, store: store)
        let bindings = BindHandler(settings: settings, shared: shared, store: store)
        let health = HealthHandler(store: store, metrics: shared.metrics)
        let metrics = MetricsHandler(shared: shared)
        let consolePages = ConsoleHandler(console: console, systemID: settings.serverSystemID, logger: settings.logger)
        return Router([
            Route("/check", methods: ["GET", "POST"], allowsCrossOrigin: true, handle: checks.check),
            Route("/release", methods: ["POST"], allowsCrossOrigin: true, handle: checks.release),
            // The hyperlink's page and its form (SPEC §13); not for other sites' pages, so no CORS.
            Route("/bind", methods: ["GET", "HEAD", "POST"]) { request in
                request.method == "POST" ? bindings.bind(request) : bindings.form(request)
            },
            Route("/unbind", methods: ["POST"], handle: bindings.unbind),
            Route("/healthz", methods: ["GET", "HEAD"], handle: health.health),
            // Only where nginx says so (its metrics server block); anywhere else a 404.
            Route("/metrics", methods: ["GET"], isServed: { $0.exposesMetrics }, handle: metrics.metrics),
            // The same: only in the console's server block (SPEC §12).
            Route(ConsoleHandler.pathPrefix, methods: ["GET", "HEAD"], coversSubpaths: true, isServed: { $0.servesConsole },
                  handle: consolePages.page),
        ])
    }
}
