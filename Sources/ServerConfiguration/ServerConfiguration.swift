import FastCGI
import LicenseCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One setting of `license-server`: its option and the environment variable that gives it when
/// the option is absent (the package's settings file, `/etc/license-server/license-server.conf`,
/// is read by systemd into the environment).
public enum ServerSetting: String, CaseIterable, Sendable {
    case socket, allow, database
    case consoleDatabase = "console-database"
    case issuers, workers, lease
    case instanceLease = "instance-lease"
    case answerKeys = "answer-keys"
    case systemID = "system-id"
    case secret
    case socketGroup = "socket-group"
    case logLevel = "log-level"
    case usageInterval = "usage-interval"
    case unbindLimit = "unbind-limit"

    /// `--socket`, `--console-database`, …
    public var option: String { "--" + rawValue }

    /// `LICENSE_SOCKET`, `LICENSE_CONSOLE_DATABASE`, …; the secret's is `LICENSE_SECRET_FILE`.
    public var environmentVariable: String {
        self == .secret ? "LICENSE_SECRET_FILE" : "LICENSE_" + String(rawValue.uppercased().map { $0 == "-" ? "_" : $0 })
    }
}

/// Everything `license-server` is configured with (SPEC §6–§12), read once from its arguments and
/// the `LICENSE_*` environment, validated here and only here, and handed down as typed values.
public struct ServerConfiguration: Sendable {
    /// Where to listen; nil when systemd hands the pool its socket.
    public let listen: ListenSettings?
    /// The value for libfcgi's `FCGI_WEB_SERVER_ADDRS`: the peers a TCP socket accepts; nil: any.
    public let webServerAddresses: String?
    public let database: String
    /// The console's connection (SPEC §12); nil: no console.
    public let consoleDatabase: String?
    public let issuersDirectory: String
    public let workers: Int
    /// What this pool writes into the database's `leases` row at start (`--lease`, `--instance-lease`).
    public let seatLeaseSeconds: Int
    public let instanceLeaseSeconds: Int
    public let answerKeysDirectory: String?
    /// The server's system ID for floating keys; nil when neither given nor found.
    public let systemID: String?
    public let secretFile: String
    /// The group that may connect to a unix socket (nginx's).
    public let socketGroup: gid_t?
    public let logLevel: Logger.Level
    public let usageIntervalSeconds: Int
    /// How many unbindings a license may have in any 30 days (SPEC §13).
    public let unbindLimit: Int

    /// The longest seat lease the database accepts (its `leases` CHECK).
    public static let longestLeaseSeconds = 3650 * 86_400

    /// Reads the settings: an option given on the command line wins over its environment variable.
    ///
    /// - Parameters:
    ///   - arguments: the options given on the command line.
    ///   - environment: the process's environment (`LICENSE_*`, and libfcgi's `FCGI_WEB_SERVER_ADDRS`).
    ///   - hasSystemdSocket: systemd handed the pool a listening socket, so `--socket` may be absent.
    ///   - processorCount: for the default number of workers (two per core).
    ///   - currentSystemID: this computer's system ID, asked only when none is given.
    /// - Throws: every bad or missing value, one line each.
    public init(arguments: [ServerSetting: String], environment: [String: String], hasSystemdSocket: Bool, processorCount: Int,
                currentSystemID: () -> String?) throws(ServerConfigurationError) {
        var reader = SettingsReader(arguments: arguments, environment: environment)
        (listen, webServerAddresses) = reader.listening(hasSystemdSocket: hasSystemdSocket)
        database = reader.required(.database)
        consoleDatabase = reader.value(.consoleDatabase)
        issuersDirectory = reader.required(.issuers)
        secretFile = reader.required(.secret, hint: ": a file of at least 32 bytes (e.g. head -c 32 /dev/urandom | base64)")
        workers = reader.number(.workers, default: 2 * processorCount, in: 1...1024)
        usageIntervalSeconds = reader.number(.usageInterval, default: 60, in: 1...3600, unit: " seconds")
        unbindLimit = reader.number(.unbindLimit, default: 3, in: 0...1000, unit: " unbindings in 30 days")
        answerKeysDirectory = reader.value(.answerKeys)
        (seatLeaseSeconds, instanceLeaseSeconds) = reader.leases()
        logLevel = reader.logLevel()
        socketGroup = reader.group()
        systemID = reader.value(.systemID) ?? currentSystemID()
        guard reader.problems.isEmpty else { throw ServerConfigurationError(problems: reader.problems) }
    }
}

/// Reads settings one by one, keeping a line for each that cannot be used, so that a start
/// names every mistake at once.
private struct SettingsReader {
    let arguments: [ServerSetting: String]
    let environment: [String: String]
    var problems: [String] = []

    func value(_ setting: ServerSetting) -> String? { arguments[setting] ?? environment[setting.environmentVariable] }

    mutating func required(_ setting: ServerSetting, hint: String = "") -> String {
        guard let given = value(setting) else {
            problems.append("\(setting.option) is required\(hint)")
            return ""
        }
        return given
    }

    mutating func number(_ setting: ServerSetting, default fallback: Int, in range: ClosedRange<Int>, unit: String = "") -> Int {
        guard let text = value(setting) else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            problems.append("\(setting.option) must be \(range.lowerBound) to \(range.upperBound)\(unit), not \(text)")
            return fallback
        }
        return number
    }

    /// Where to listen and which peers libfcgi lets in (`--allow`, or its own `FCGI_WEB_SERVER_ADDRS`
    /// for a TCP socket).
    mutating func listening(hasSystemdSocket: Bool) -> (ListenSettings?, String?) {
        let allow = value(.allow)
        do throws(ListenSettingsError) {
            if let socket = value(.socket) {
                let inherited = ListenSettings.isUnixSocket(socket) ? nil : environment["FCGI_WEB_SERVER_ADDRS"].flatMap { $0.isEmpty ? nil : $0 }
                let listen = try ListenSettings(socket: socket, allow: allow ?? inherited)
                return (listen, listen.webServerAddresses)
            }
            if hasSystemdSocket {
                return (nil, try allow.map { text throws(ListenSettingsError) in try ListenSettings.peers(text).joined(separator: ",") })
            }
            problems.append("\(ServerSetting.socket.option) is required (or a socket from systemd)")
        } catch {
            problems.append(error.description)
        }
        return (nil, nil)
    }

    /// The seat lease, at most what the database accepts, and the instance lease, at most the
    /// seat lease (15 minutes unless the seat lease is shorter).
    mutating func leases() -> (seat: Int, instance: Int) {
        var seat = 86_400
        if let text = value(.lease) {
            if let seconds = DurationText.seconds(text), seconds <= ServerConfiguration.longestLeaseSeconds {
                seat = seconds
            } else {
                problems.append("\(ServerSetting.lease.option) must be a number and a unit, at most 3650d: 90s, 15m, 24h, 400d; not \(text)")
            }
        }
        guard let text = value(.instanceLease) else { return (seat, min(15 * 60, seat)) }
        guard let seconds = DurationText.seconds(text) else {
            problems.append("\(ServerSetting.instanceLease.option) must be a number and a unit: 90s, 15m, 1h; not \(text)")
            return (seat, min(15 * 60, seat))
        }
        guard seconds <= seat else {
            problems.append("\(ServerSetting.instanceLease.option) (\(seconds)s) must be at most \(ServerSetting.lease.option) (\(seat)s)")
            return (seat, min(15 * 60, seat))
        }
        return (seat, seconds)
    }

    mutating func logLevel() -> Logger.Level {
        let text = value(.logLevel) ?? "info"
        guard let level = Logger.Level(rawValue: text) else {
            problems.append("\(ServerSetting.logLevel.option) must be error, warning, info or debug, not \(text)")
            return .info
        }
        return level
    }

    mutating func group() -> gid_t? {
        guard let name = value(.socketGroup) else { return nil }
        guard let entry = getgrnam(name) else {
            problems.append("\(ServerSetting.socketGroup.option): no group \(name)")
            return nil
        }
        return entry.pointee.gr_gid
    }
}

/// Settings that cannot be used: one line per bad or missing value.
public struct ServerConfigurationError: Error, CustomStringConvertible, Sendable {
    public let problems: [String]

    public var description: String { problems.joined(separator: "\n") }
}
