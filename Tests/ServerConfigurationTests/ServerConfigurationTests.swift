import FastCGI
import ServerConfiguration
import Testing

@Suite("license-server's one configuration: arguments over LICENSE_* variables, validated once")
struct ServerConfigurationTests {
    private let minimal: [ServerSetting: String] = [
        .socket: "/run/license-server/fcgi.sock", .database: "dbname=license", .issuers: "/etc/license-server/issuers",
        .secret: "/etc/license-server/secret",
    ]

    private func configuration(_ arguments: [ServerSetting: String], environment: [String: String] = [:],
                               systemd: Bool = false) throws(ServerConfigurationError) -> ServerConfiguration {
        try ServerConfiguration(arguments: arguments, environment: environment, hasSystemdSocket: systemd, processorCount: 2,
                                currentSystemID: { "Eth_52:54:00:00:00:01" })
    }

    @Test("defaults: two workers per core, leases of 24 h and 15 min, info, 60 s, this computer's system ID")
    func defaults() throws {
        let read = try configuration(minimal)
        #expect(read.listen?.address == .unixSocket(path: "/run/license-server/fcgi.sock"))
        #expect(read.workers == 4 && read.seatLeaseSeconds == 86_400 && read.instanceLeaseSeconds == 900)
        #expect(read.logLevel == .info && read.usageIntervalSeconds == 60 && read.systemID == "Eth_52:54:00:00:00:01")
        #expect(read.unbindLimit == 3)
        #expect(read.consoleDatabase == nil && read.answerKeysDirectory == nil && read.socketGroup == nil)
    }

    @Test("every setting from the environment (the package's settings file); an option wins over its variable")
    func environment() throws {
        let environment = [
            "LICENSE_SOCKET": "127.0.0.1:9000", "LICENSE_DATABASE": "dbname=from-environment", "LICENSE_ISSUERS": "/issuers",
            "LICENSE_SECRET_FILE": "/secret", "LICENSE_WORKERS": "7", "LICENSE_LEASE": "2h", "LICENSE_INSTANCE_LEASE": "90s",
            "LICENSE_LOG_LEVEL": "debug", "LICENSE_USAGE_INTERVAL": "5", "LICENSE_SYSTEM_ID": "Eth_00:00:00:00:00:02",
            "LICENSE_CONSOLE_DATABASE": "dbname=console", "LICENSE_ANSWER_KEYS": "/answer-keys", "LICENSE_SOCKET_GROUP": "root",
            "LICENSE_UNBIND_LIMIT": "0",
        ]
        let read = try configuration([:], environment: environment)
        #expect(read.listen?.address == .tcp(host: "127.0.0.1", port: 9000))
        #expect(read.database == "dbname=from-environment" && read.issuersDirectory == "/issuers" && read.secretFile == "/secret")
        #expect(read.workers == 7 && read.seatLeaseSeconds == 7200 && read.instanceLeaseSeconds == 90)
        #expect(read.logLevel == .debug && read.usageIntervalSeconds == 5 && read.systemID == "Eth_00:00:00:00:00:02")
        #expect(read.consoleDatabase == "dbname=console" && read.answerKeysDirectory == "/answer-keys" && read.socketGroup == 0)
        #expect(read.unbindLimit == 0)
        let overridden = try configuration([.database: "dbname=from-option", .workers: "3"], environment: environment)
        #expect(overridden.database == "dbname=from-option" && overridden.workers == 3)
        #expect(Set(ServerSetting.allCases.map(\.environmentVariable)).count == ServerSetting.allCases.count)
        #expect(ServerSetting.allCases.allSatisfy { environment[$0.environmentVariable] != nil || $0 == .allow })
    }

    @Test("a seat lease shorter than 15 minutes bounds the default instance lease")
    func shortLease() throws {
        let read = try configuration(minimal.merging([.lease: "90s"]) { $1 })
        #expect(read.seatLeaseSeconds == 90 && read.instanceLeaseSeconds == 90)
    }

    @Test("every bad or missing value is named, one line each", arguments: [
        ([ServerSetting.workers: "0"], "--workers must be 1 to 1024"),
        ([.workers: "many"], "--workers must be 1 to 1024"),
        ([.lease: "4000d"], "--lease must be a number and a unit, at most 3650d"),
        ([.lease: "24"], "--lease must be a number and a unit"),
        ([.instanceLease: "2d"], "--instance-lease (172800s) must be at most --lease (86400s)"),
        ([.instanceLease: "soon"], "--instance-lease must be a number and a unit"),
        ([.logLevel: "loud"], "--log-level must be error, warning, info or debug"),
        ([.usageInterval: "0"], "--usage-interval must be 1 to 3600 seconds"),
        ([.unbindLimit: "-1"], "--unbind-limit must be 0 to 1000 unbindings in 30 days"),
        ([.unbindLimit: "three"], "--unbind-limit must be 0 to 1000"),
        ([.socketGroup: "no-such-group-here"], "--socket-group: no group no-such-group-here"),
        ([.socket: ":9000"], "listens on every interface: give --allow"),
        ([.socket: "/run/x.sock", .allow: "10.0.0.1"], "--allow is for a TCP --socket"),
    ])
    func refused(_ bad: [ServerSetting: String], _ message: String) {
        #expect {
            try configuration(minimal.merging(bad) { $1 })
        } throws: { error in
            guard let error = error as? ServerConfigurationError else { return false }
            return error.problems.count == 1 && error.problems[0].contains(message)
        }
    }

    @Test("several mistakes at once are all reported; the required settings are named")
    func missing() {
        #expect {
            try configuration([.workers: "0"])
        } throws: { error in
            guard let problems = (error as? ServerConfigurationError)?.problems else { return false }
            return problems.count == 5 && ["--socket is required", "--database is required", "--issuers is required",
                                           "--secret is required", "--workers must be"].allSatisfy { needle in
                problems.contains { $0.contains(needle) }
            }
        }
    }

    @Test("a socket from systemd needs no --socket; --allow then lists libfcgi's peers; FCGI_WEB_SERVER_ADDRS counts for TCP")
    func systemdAndInheritedPeers() throws {
        var withoutSocket = minimal
        withoutSocket[.socket] = nil
        let activated = try configuration(withoutSocket.merging([.allow: "10.0.0.1,10.0.0.2"]) { $1 }, systemd: true)
        #expect(activated.listen == nil && activated.webServerAddresses == "10.0.0.1,10.0.0.2")
        let inherited = try configuration(minimal.merging([.socket: ":9000"]) { $1 }, environment: ["FCGI_WEB_SERVER_ADDRS": "10.0.0.9"])
        #expect(inherited.listen?.address == .tcp(host: "", port: 9000) && inherited.webServerAddresses == "10.0.0.9")
    }
}
