import LicenseCore
import StoreBoundary

/// `/healthz` (SPEC §3): `ok` while the store answers.
public struct HealthHandler {
    private let store: any SeatStoring
    private let metrics: PoolMetrics

    public init(store: any SeatStoring, metrics: PoolMetrics) {
        self.store = store
        self.metrics = metrics
    }

    public func health(_ request: ServiceRequest) -> ServiceResponse {
        let healthy = store.isHealthy()
        metrics.databaseReached(healthy)
        return healthy ? .text(200, "ok") : CheckHandler.unavailableResponse
    }
}

/// `/metrics` (SPEC §9): the pool's figures, when nginx passes `LICENSE_METRICS 1`.
public struct MetricsHandler {
    private let shared: SharedCheckState

    public init(shared: SharedCheckState) {
        self.shared = shared
    }

    public func metrics(_ request: ServiceRequest) -> ServiceResponse {
        ServiceResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                        body: shared.metrics.exposition(keyCacheEntries: shared.keyCache.count, version: ProductVersion.current))
    }
}

extension PoolMetrics {
    /// Counts a store failure by kind; the database was reached unless it was unavailable.
    func record(_ failure: StoreError) {
        switch failure.kind {
        case .unavailable:
            countDatabaseError(.unavailable)
            databaseReached(false)
        case .timedOut:
            countDatabaseError(.timeout)
            databaseReached(true)
        case .fault:
            countDatabaseError(.other)
            databaseReached(true)
        }
    }
}
