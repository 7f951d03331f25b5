import FastCGI
import Foundation
import LicenseService
import Logging
import Postgres

/// The fixed pool of worker threads. libfcgi's `FCGX_Accept_r` blocks a kernel thread, so
/// each worker is a dedicated thread with its own `FCGX_Request` and its own PostgreSQL
/// connection, never a Swift task.
final class WorkerPool: Sendable {
    private let count: Int
    private let listener: FastCGIListener
    private let configuration: CheckService.Configuration
    private let conninfo: String
    private let leaseSeconds: Int
    private let logger: Logger
    private let running = DispatchGroup()

    init(count: Int, listener: FastCGIListener, configuration: CheckService.Configuration, conninfo: String,
         leaseSeconds: Int, logger: Logger) {
        self.count = count
        self.listener = listener
        self.configuration = configuration
        self.conninfo = conninfo
        self.leaseSeconds = leaseSeconds
        self.logger = logger
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

    /// Waits for every worker to finish its request in flight; false on time-out.
    func waitUntilStopped(timeout seconds: Double) -> Bool {
        running.wait(timeout: .now() + seconds) == .success
    }

    /// One worker thread's state: its request and its database connection.
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
            var service: CheckService?
            while request.accept() {
                let started = DispatchTime.now()
                if service == nil { service = connect() }
                let serviceRequest = read(request)
                let response: ServiceResponse
                if let serviceRequest {
                    response = service?.respond(to: serviceRequest)
                        ?? .text(503, "database unavailable; skip the check and try again later", headers: [("Retry-After", "5")])
                } else {
                    response = .text(413, "request body too large")
                }
                request.write(response.cgiBytes)
                request.finish()
                let microseconds = (DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1000
                pool.logger.debug("request", metadata: [
                    "method": "\(serviceRequest?.method ?? "-")", "path": "\(serviceRequest?.path ?? "-")",
                    "realm": "\(serviceRequest?.realm ?? "-")", "status": "\(response.status)",
                    "answer": "\(response.status == 200 ? response.body.prefix(40).trimmingCharacters(in: .newlines) : "")",
                    "microseconds": "\(microseconds)",
                ])
            }
        }

        /// A connection with the service's statements prepared, or nil while the database is down.
        private func connect() -> CheckService? {
            do {
                let connection = try PostgresConnection(conninfo: pool.conninfo, setupStatements: [
                    "SET statement_timeout = '3s'", "SET lock_timeout = '2s'",
                    "SET idle_in_transaction_session_timeout = '10s'", "SET synchronous_commit = off",
                ])
                let store = try SeatStore(connection: connection, leaseSeconds: pool.leaseSeconds)
                return CheckService(configuration: pool.configuration, store: store)
            } catch {
                pool.logger.error("database unavailable", metadata: ["worker": "\(index)", "error": "\(error)"])
                return nil
            }
        }

        /// The request as the service sees it; nil when its body is too large.
        private func read(_ request: FastCGIRequest) -> ServiceRequest? {
            guard let body = request.readBody(limit: CheckService.maximumBodyLength) else { return nil }
            let realm = request.parameter("LICENSE_REALM").flatMap { $0.isEmpty ? nil : $0 } ?? RealmIssuers.defaultRealm
            var path = request.parameter("DOCUMENT_URI") ?? request.parameter("SCRIPT_NAME") ?? "/"
            if let question = path.firstIndex(of: "?") { path = String(path[..<question]) }
            return ServiceRequest(
                method: request.parameter("REQUEST_METHOD") ?? "GET", path: path,
                query: request.parameter("QUERY_STRING") ?? "", contentType: request.parameter("CONTENT_TYPE"),
                accept: request.parameter("HTTP_ACCEPT"), origin: request.parameter("HTTP_ORIGIN"),
                corsRequestMethod: request.parameter("HTTP_ACCESS_CONTROL_REQUEST_METHOD"), realm: realm, body: body)
        }
    }
}
