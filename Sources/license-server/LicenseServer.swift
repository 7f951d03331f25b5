import LicenseSigning
import ArgumentParser
import FastCGI
import Foundation
import LicenseCore
import LicenseService
import Logging
import SystemIdentity

/// `license-server`: the FastCGI worker pool of SPEC §6.
@main
struct LicenseServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "license-server",
        abstract: "The FastCGI worker pool that answers license checks behind nginx.",
        discussion: """
            Every option can also be given in the environment: LICENSE_SOCKET, LICENSE_ALLOW, LICENSE_DATABASE, LICENSE_CONSOLE_DATABASE, LICENSE_ISSUERS, \
            LICENSE_WORKERS, LICENSE_LEASE, LICENSE_INSTANCE_LEASE, LICENSE_SYSTEM_ID, LICENSE_SECRET_FILE, LICENSE_SOCKET_GROUP, \
            LICENSE_LOG_LEVEL, LICENSE_USAGE_INTERVAL, LICENSE_ANSWER_KEYS. Stops on SIGTERM or SIGINT after the requests in flight; SIGUSR1 writes the usage \
            counts now.
            """,
        version: ProductVersion.current)

    /// ArgumentParser exits 64 on bad usage; every mistake in the settings exits 2 here, with
    /// one line saying what (as licensectl does).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let message = fullMessage(for: error)
            if exitCode(for: error) == .success {
                print(message)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data(((message.hasPrefix("Error:") ? "" : "Error: ") + message + "\n").utf8))
            Foundation.exit(exitCode(for: error) == .validationFailure ? 2 : 1)
        }
    }

    @Option(help: ArgumentHelp("A unix socket path, or HOST:PORT.", valueName: "PATH|HOST:PORT"))
    var socket: String?

    @Option(help: ArgumentHelp("With a TCP --socket: the only addresses that may connect (nginx's), comma-separated IPv4; required on every interface (:PORT).",
                               valueName: "ADDRESSES"))
    var allow: String?

    @Option(help: ArgumentHelp("libpq connection string of the database (several hosts: host=pg1,pg2 target_session_attrs=read-write).",
                               valueName: "CONNINFO"))
    var database: String?

    @Option(name: .customLong("console-database"),
            help: ArgumentHelp("libpq connection string for the console (SPEC §12), as a member of license_reporter; without it, no console.",
                               valueName: "CONNINFO"))
    var consoleDatabase: String?

    @Option(help: ArgumentHelp("Trusted issuers: NAME.pem files (the default realm) and/or one folder per realm.", valueName: "DIR"))
    var issuers: String?

    @Option(help: "Worker threads, each with its own database connection (default: two per core).")
    var workers: Int?

    @Option(help: ArgumentHelp("How long a seat stays active without a check: 90s, 15m, 24h, 400d (default 24h).", valueName: "DURATION"))
    var lease: String?

    @Option(name: .customLong("instance-lease"),
            help: ArgumentHelp("How long a seat holds a right (a running instance) without a check (default 15m, or --lease if shorter; at most --lease).",
                               valueName: "DURATION"))
    var instanceLease: String?

    @Option(name: .customLong("answer-keys"),
            help: ArgumentHelp("Answer keys: REALM.key signs realm REALM's answers (License-Signature); a realm without one answers unsigned.",
                               valueName: "DIR"))
    var answerKeys: String?

    @Option(name: .customLong("system-id"), help: ArgumentHelp("This server's system ID, for floating keys (default: this computer's).", valueName: "ID"))
    var systemID: String?

    @Option(help: ArgumentHelp("The secret (at least 32 bytes) that keys the hashes of user, instance and system IDs.", valueName: "FILE"))
    var secret: String?

    @Option(name: .customLong("socket-group"), help: ArgumentHelp("The group that may connect to the unix socket (nginx's).", valueName: "GROUP"))
    var socketGroup: String?

    @Option(name: .customLong("log-level"), help: "error, warning, info or debug (one line per request).")
    var logLevel: String?

    @Option(name: .customLong("usage-interval"), help: ArgumentHelp("Seconds between writes of the usage counts (default 60).", valueName: "SECONDS"))
    var usageInterval: Int?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        func setting(_ value: String?, _ name: String) -> String? { value ?? environment[name] }
        let socket = setting(socket, "LICENSE_SOCKET")
        let allowText = setting(allow, "LICENSE_ALLOW")
        let webServerAddresses: String?
        do throws(ListenSettingsError) {
            if let socket {
                // libfcgi's own variable counts as the list, for a TCP socket only.
                let inherited = ListenSettings.isUnixSocket(socket) ? nil : environment["FCGI_WEB_SERVER_ADDRS"].flatMap { $0.isEmpty ? nil : $0 }
                webServerAddresses = try ListenSettings(socket: socket, allow: allowText ?? inherited).webServerAddresses
            } else {
                webServerAddresses = try allowText.map { text throws(ListenSettingsError) in try ListenSettings.peers(text).joined(separator: ",") }
            }
        } catch {
            throw ValidationError(error.description)
        }
        // libfcgi reads the list once, at its first FCGX_Init (which the listener makes).
        if let webServerAddresses { setenv("FCGI_WEB_SERVER_ADDRS", webServerAddresses, 1) }
        // A socket from systemd (socket activation) needs no --socket.
        let activated = try FastCGIListener.fromSystemd()
        guard activated != nil || socket != nil else { throw ValidationError("--socket is required (or a socket from systemd)") }
        guard let database = setting(database, "LICENSE_DATABASE") else { throw ValidationError("--database is required") }
        guard let issuersDirectory = setting(issuers, "LICENSE_ISSUERS") else { throw ValidationError("--issuers is required") }
        guard let secretFile = setting(secret, "LICENSE_SECRET_FILE") else {
            throw ValidationError("--secret is required: a file of at least 32 bytes (e.g. head -c 32 /dev/urandom | base64)")
        }
        let workerText = setting(workers.map(String.init), "LICENSE_WORKERS")
        let workerCount = workerText.map { Int($0) ?? 0 } ?? 2 * ProcessInfo.processInfo.activeProcessorCount
        guard (1...1024).contains(workerCount) else { throw ValidationError("--workers must be 1 to 1024") }
        let leaseText = setting(lease, "LICENSE_LEASE") ?? "24h"
        guard let leaseSeconds = DurationText.seconds(leaseText), leaseSeconds <= 3650 * 86_400 else {
            throw ValidationError("--lease must be a number and a unit, at most 3650d: 90s, 15m, 24h, 400d")
        }
        let instanceLeaseSeconds: Int
        if let text = setting(instanceLease, "LICENSE_INSTANCE_LEASE") {
            guard let seconds = DurationText.seconds(text) else {
                throw ValidationError("--instance-lease must be a number and a unit: 90s, 15m, 1h")
            }
            guard seconds <= leaseSeconds else {
                throw ValidationError("--instance-lease (\(seconds)s) must be at most --lease (\(leaseSeconds)s)")
            }
            instanceLeaseSeconds = seconds
        } else {
            instanceLeaseSeconds = min(15 * 60, leaseSeconds)
        }
        let intervalText = setting(usageInterval.map(String.init), "LICENSE_USAGE_INTERVAL") ?? "60"
        guard let usageSeconds = Int(intervalText), (1...3600).contains(usageSeconds) else {
            throw ValidationError("--usage-interval must be 1 to 3600 seconds")
        }
        let levelText = setting(logLevel, "LICENSE_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else { throw ValidationError("--log-level must be error, warning, info or debug") }
        var group: gid_t?
        if let groupName = setting(socketGroup, "LICENSE_SOCKET_GROUP") {
            guard let entry = getgrnam(groupName) else { throw ValidationError("no group \(groupName)") }
            group = entry.pointee.gr_gid
        }
        let serverSystemID = setting(systemID, "LICENSE_SYSTEM_ID") ?? (try? SystemID.current())

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "license-server")

        let settings: CheckSettings
        do {
            let realms = try RealmIssuers(directory: issuersDirectory)
            let answerKeyDirectory = setting(answerKeys, "LICENSE_ANSWER_KEYS")
            settings = CheckSettings(
                realms: realms, secret: try ServerSecret(contentsOf: secretFile),
                serverSystemID: serverSystemID, logger: logger,
                answerKeys: try answerKeyDirectory.map { directory throws(ServiceSetupError) in
                    try AnswerKeys(directory: directory, realms: Set(realms.realms.keys))
                } ?? AnswerKeys(),
                today: { LicenseDate(secondsSince1970: Int64(Date().timeIntervalSince1970)) })
        } catch {
            throw ValidationError("\(error)")
        }

        // Signals go to the thread that waits for them, never to a worker in the middle of a request.
        var handledSignals = sigset_t()
        sigemptyset(&handledSignals)
        sigaddset(&handledSignals, SIGTERM)
        sigaddset(&handledSignals, SIGINT)
        sigaddset(&handledSignals, SIGUSR1)
        pthread_sigmask(SIG_BLOCK, &handledSignals, nil)
        signal(SIGPIPE, SIG_IGN)

        let shared = SharedCheckState(metrics: PoolMetrics(realms: Set(settings.realms.realms.keys), workers: workerCount))
        // The pool owns the listener: it closes it once its workers have stopped accepting.
        let listener = try activated ?? FastCGIListener(address: socket ?? "", group: group)
        let pool = WorkerPool(count: workerCount, listener: listener, settings: settings, shared: shared, conninfo: database,
                              consoleConninfo: setting(consoleDatabase, "LICENSE_CONSOLE_DATABASE"), logger: logger)
        pool.start()
        let recorder = UsageRecorder(counters: shared.usage, conninfo: database, leaseSeconds: leaseSeconds,
                                     instanceLeaseSeconds: instanceLeaseSeconds,
                                     interval: Double(usageSeconds), logger: logger)
        recorder.start()
        logger.info("listening", metadata: [
            "socket": "\(activated == nil ? socket ?? "" : "from systemd")", "allow": "\(webServerAddresses ?? "-")", "workers": "\(workerCount)", "realms": "\(settings.realms.realms.keys.sorted())",
            "lease": "\(leaseSeconds)s", "instance_lease": "\(instanceLeaseSeconds)s",
            "signed_realms": "\(settings.answerKeys.signers.keys.sorted())",
        ])

        var received: Int32 = 0
        repeat {
            sigwait(&handledSignals, &received)
            if received == SIGUSR1 { recorder.flush() }
        } while received == SIGUSR1
        logger.info("stopping: finishing requests in flight", metadata: ["signal": "\(received)"])
        let finished = pool.stop(timeout: 7)
        if !finished { logger.error("workers still busy after 7 seconds; exiting anyway") }
        if !recorder.stop(timeout: 2) { logger.error("usage counts of the last minute not written") }
        logger.info("stopped")
        Foundation.exit(pool.listenerWasLost ? 1 : 0)
    }
}
