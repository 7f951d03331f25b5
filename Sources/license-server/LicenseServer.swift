import ArgumentParser
import FastCGI
import Foundation
import LicenseCore
import LicenseService
import LicenseSigning
import Logging
import ServerConfiguration
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
            LICENSE_LOG_LEVEL, LICENSE_USAGE_INTERVAL, LICENSE_ANSWER_KEYS, LICENSE_UNBIND_LIMIT. Stops on SIGTERM or SIGINT after the requests in flight; SIGUSR1 writes the usage \
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

    @Option(help: ArgumentHelp("Worker threads, each with its own database connection (default: two per core).", valueName: "N"))
    var workers: String?

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
    var usageInterval: String?

    @Option(name: .customLong("unbind-limit"),
            help: ArgumentHelp("How many times a license may be unbound from a computer in any 30 days (default 3).", valueName: "M"))
    var unbindLimit: String?

    /// The options given on the command line, for the one configuration.
    private var givenSettings: [ServerSetting: String] {
        let given: [ServerSetting: String?] = [
            .socket: socket, .allow: allow, .database: database, .consoleDatabase: consoleDatabase, .issuers: issuers,
            .workers: workers, .lease: lease, .instanceLease: instanceLease, .answerKeys: answerKeys, .systemID: systemID,
            .secret: secret, .socketGroup: socketGroup, .logLevel: logLevel, .usageInterval: usageInterval,
            .unbindLimit: unbindLimit,
        ]
        return given.compactMapValues { $0 }
    }

    func run() throws {
        // A socket from systemd (socket activation) needs no --socket; taken first, so that no
        // child inherits it.
        let activated = try FastCGIListener.fromSystemd()
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration(
                arguments: givenSettings, environment: ProcessInfo.processInfo.environment, hasSystemdSocket: activated != nil,
                processorCount: ProcessInfo.processInfo.activeProcessorCount, currentSystemID: { try? SystemID.current() })
        } catch {
            throw ValidationError(error.description)
        }
        // libfcgi reads the list once, at its first FCGX_Init (which the listener makes).
        if let peers = configuration.webServerAddresses { setenv("FCGI_WEB_SERVER_ADDRS", peers, 1) }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "license-server")
        let settings = try Self.checkSettings(configuration, logger: logger)
        var handledSignals = Self.blockHandledSignals()

        let shared = SharedCheckState(metrics: PoolMetrics(realms: settings.realms.names, workers: configuration.workers))
        // The pool owns the listener: it closes it once its workers have stopped accepting.
        let listener = try Self.listener(activated: activated, configuration: configuration)
        let pool = WorkerPool(count: configuration.workers, listener: listener, settings: settings, shared: shared,
                              conninfo: configuration.database, consoleConninfo: configuration.consoleDatabase, logger: logger)
        pool.start()
        let recorder = UsageRecorder(counters: shared.usage, conninfo: configuration.database,
                                     leaseSeconds: configuration.seatLeaseSeconds, instanceLeaseSeconds: configuration.instanceLeaseSeconds,
                                     interval: Double(configuration.usageIntervalSeconds), logger: logger)
        recorder.start()
        logger.info("listening", metadata: [
            "socket": "\(activated == nil ? configuration.listen?.address.description ?? "" : "from systemd")",
            "allow": "\(configuration.webServerAddresses ?? "-")", "workers": "\(configuration.workers)",
            "realms": "\(settings.realms.names.sorted())",
            "lease": "\(configuration.seatLeaseSeconds)s", "instance_lease": "\(configuration.instanceLeaseSeconds)s",
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

    /// What the handlers are configured with: the realms' issuers, the secret and the answer
    /// keys, read from their files (a file that cannot be used exits 2, one line saying why).
    private static func checkSettings(_ configuration: ServerConfiguration, logger: Logger) throws -> CheckSettings {
        do throws(ServiceSetupError) {
            let realms = try RealmIssuers(directory: configuration.issuersDirectory)
            let secret: ServerSecret
            do {
                secret = try ServerSecret(contentsOf: configuration.secretFile)
            } catch {
                throw ServiceSetupError(error.description)
            }
            return CheckSettings(
                realms: realms, secret: secret, serverSystemID: configuration.systemID, logger: logger,
                answerKeys: try configuration.answerKeysDirectory.map { directory throws(ServiceSetupError) in
                    try AnswerKeys(directory: directory, realms: realms.names)
                } ?? AnswerKeys(),
                unbindLimit: configuration.unbindLimit,
                today: { LicenseDate(secondsSince1970: Int64(Date().timeIntervalSince1970)) })
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// systemd's socket, else the configuration's (which has one whenever systemd handed none).
    private static func listener(activated: FastCGIListener?, configuration: ServerConfiguration) throws -> FastCGIListener {
        if let activated { return activated }
        guard let listen = configuration.listen else { throw ValidationError("--socket is required (or a socket from systemd)") }
        return try FastCGIListener(address: listen.address, group: configuration.socketGroup)
    }

    /// Signals go to the thread that waits for them (SIGTERM, SIGINT, SIGUSR1), never to a worker
    /// in the middle of a request; SIGPIPE is ignored (a client gone mid-answer).
    private static func blockHandledSignals() -> sigset_t {
        var handledSignals = sigset_t()
        sigemptyset(&handledSignals)
        sigaddset(&handledSignals, SIGTERM)
        sigaddset(&handledSignals, SIGINT)
        sigaddset(&handledSignals, SIGUSR1)
        pthread_sigmask(SIG_BLOCK, &handledSignals, nil)
        signal(SIGPIPE, SIG_IGN)
        return handledSignals
    }
}
