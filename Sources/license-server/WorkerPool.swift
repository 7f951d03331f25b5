import FastCGI
import Foundation
import LicenseService
import LicenseStore
import Logging
import Synchronization

/// The fixed pool of worker threads. libfcgi's `FCGX_Accept_r` blocks a kernel thread, so
/// each worker is a dedicated thread with its own `FCGX_Request` and its own PostgreSQL
/// connection, never a Swift task.
final class WorkerPool: Sendable {
    private let count: Int
    private let listener: FastCGIListener
    private let settings: CheckSettings
    private let shared: SharedCheckState
    private let conninfo: String
    /// The console's connection string (`--console-database`), or nil: no console.
    private let consoleConninfo: String?
    private let logger: Logger
    private let running = DispatchGroup()
    /// Set before the listener is shut down, so that a worker tells a stop from a failure.
    private let stopping = Atomic<Bool>(false)
    private let lostListener = Atomic<Bool>(false)

    /// How long a worker waits before accepting again after accept failed: doubling from the
    /// first to the longest, in milliseconds, and back to the first after an accept succeeds.
    static let acceptBackoff = (first: 10, longest: 1000)

    init(count: Int, listener: FastCGIListener, settings: CheckSettings, shared: SharedCheckState, conninfo: String,
         consoleConninfo: String?, logger: Logger) {
        self.count = count
        self.listener = listener
        self.settings = settings
        self.shared = shared
        self.conninfo = conninfo
        self.consoleConninfo = consoleConninfo
        self.logger = logger
    }

    /// Whether a worker found the listening socket gone; the process then stops and exits non-zero.
    var listenerWasLost: Bool { lostListener.load(ordering: .acquiring) }

    /// Wakes every worker blocked in accept so that it stops; requests in flight finish.
    private func stopAccepting() {
        stopping.store(true, ordering: .releasing)
        listener.stopAccepting()
    }

    func start() {
        for index in 0..<count {
            running.enter()
            let thread = Thread { [self] in
                defer { running.leave() }
                Worker(index: index, pool: self).run()
            }
            thread.name = "worker-\(index)"
            thread.start()
        }
    }

    /// Stops accepting, waits for every worker to finish its request in flight, then closes the
    /// listener; false when workers were still busy after `seconds` (the listener then stays
    /// open until the process exits, but its socket file is gone).
    func stop(timeout seconds: Double) -> Bool {
        stopAccepting()
        guard running.wait(timeout: .now() + seconds) == .success else {
            listener.removeSocketFile()
            return false
        }
        listener.close()
        return true
    }

    /// One worker thread's state: its request and its database connections (the console's is
    /// made at its first page).
    private struct Worker {
        let index: Int
        let pool: WorkerPool

        func run() {
            let request: FastCGIRequest
            do {
                request = try FastCGIRequest(listener: pool.listener)
            } catch {
                pool.logger.error("worker cannot start", metadata: ["worker": "\(index)", "error": "\(error)"])
                return
            }
            var router: Router?
            let console = pool.consoleConninfo.map { ConsoleStore(conninfo: $0) }
            var backoff = WorkerPool.acceptBackoff.first
            while acceptNext(request, backoff: &backoff) {
                serve(request, router: &router, console: console)
            }
        }

        /// Waits for the next request; false when this worker should stop: the pool stops, or
        /// its listening socket is gone. Any other failure (out of descriptors, say) is logged
        /// and accept is tried again after a pause: the pool must not shrink for it.
        private func acceptNext(_ request: FastCGIRequest, backoff: inout Int) -> Bool {
            while true {
                do {
                    try request.accept()
                    backoff = WorkerPool.acceptBackoff.first
                    return true
                } catch {
                    if pool.stopping.load(ordering: .acquiring) { return false }
                    if error.meansListenerLost {
                        pool.logger.critical("the listening socket is gone; stopping so that a supervisor restarts the pool",
                                             metadata: ["worker": "\(index)", "error": "\(error)"])
                        // The main thread waits for this signal and stops the pool as on SIGTERM.
                        if !pool.lostListener.exchange(true, ordering: .acquiringAndReleasing) { kill(getpid(), SIGTERM) }
                        return false
                    }
                    pool.logger.error("accept failed; accepting again", metadata: [
                        "worker": "\(index)", "error": "\(error)", "retry_in_ms": "\(backoff)",
                    ])
                    usleep(useconds_t(backoff * 1000))
                    backoff = min(backoff * 2, WorkerPool.acceptBackoff.longest)
                }
            }
        }

        /// Answers the accepted request; connects to the database first when not connected.
        private func serve(_ request: FastCGIRequest, router: inout Router?, console: ConsoleStore?) {
            let started = DispatchTime.now()
            let metrics = pool.shared.metrics
            metrics.workerBusy(true)
            defer { metrics.workerBusy(false) }
            if router == nil { router = connect(console: console) }
            let serviceRequest = read(request)
            let response: ServiceResponse
            if let serviceRequest {
                // Without a connection (tried again at the next request) the same routes answer
                // over a store that is unreachable: 503s counted as such, /metrics still served.
                response = (router ?? unreachableRoutes(console: console)).respond(to: serviceRequest)
            } else {
                response = .text(413, "request body too large")
            }
            request.write(response.cgiBytes)
            request.finish()
            let microseconds = (DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1000
            if let route = serviceRequest.flatMap({ PoolMetrics.Route(rawValue: String($0.path.dropFirst())) }) {
                metrics.observe(route: route, seconds: Double(microseconds) / 1_000_000)
            }
            pool.logger.debug("request", metadata: [
                "method": "\(serviceRequest?.method ?? "-")", "path": "\(serviceRequest?.path ?? "-")",
                "realm": "\(serviceRequest?.realm ?? "-")", "status": "\(response.status)",
                "answer": "\(response.status == 200 ? response.body.prefix(40).trimmingCharacters(in: .newlines) : "")",
                "microseconds": "\(microseconds)",
            ])
        }

        /// The routes of a worker with no database connection.
        private func unreachableRoutes(console: ConsoleStore?) -> Router {
            Router.licenseRoutes(settings: pool.settings, shared: pool.shared,
                                 store: UnreachableStore(reason: "no connection to the database"), console: console)
        }

        /// The routes over a store with its own connection, or nil while the database is down.
        private func connect(console: ConsoleStore?) -> Router? {
            do {
                let store = try SeatStore(conninfo: pool.conninfo)
                return Router.licenseRoutes(settings: pool.settings, shared: pool.shared, store: store, console: console)
            } catch {
                pool.logger.error("database unavailable", metadata: ["worker": "\(index)", "error": "\(error)"])
                // The request then fails over UnreachableStore, which counts the error once.
                pool.shared.metrics.databaseReached(false)
                return nil
            }
        }

        /// The request as the service sees it; nil when its body is too large.
        private func read(_ request: FastCGIRequest) -> ServiceRequest? {
            guard let body = request.readBody(limit: CheckHandler.maximumBodyLength) else { return nil }
            let realm = request.parameter("LICENSE_REALM").flatMap { $0.isEmpty ? nil : $0 } ?? RealmIssuers.defaultRealm
            var path = request.parameter("DOCUMENT_URI") ?? request.parameter("SCRIPT_NAME") ?? "/"
            if let question = path.firstIndex(of: "?") { path = String(path[..<question]) }
            return ServiceRequest(
                method: request.parameter("REQUEST_METHOD") ?? "GET", path: path,
                query: request.parameter("QUERY_STRING") ?? "", contentType: request.parameter("CONTENT_TYPE"),
                accept: request.parameter("HTTP_ACCEPT"), origin: request.parameter("HTTP_ORIGIN"),
                corsRequestMethod: request.parameter("HTTP_ACCESS_CONTROL_REQUEST_METHOD"), realm: realm,
                exposesMetrics: request.parameter("LICENSE_METRICS") == "1", servesConsole: request.parameter("LICENSE_CONSOLE") == "1",
                body: body)
        }
    }
}
