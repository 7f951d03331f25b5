import Foundation
import InMemorySeatStore
import LicenseCore
import LicenseCrypto
@testable import LicenseService
import LicenseSigning
import Logging
import Synchronization

/// One pool's handlers over an in-memory store, in this process: requests in, responses out,
/// with what the handlers logged, counted and asked the store.
final class HandlerHarness {
    static let issuer = IssuerSigningKey(privateKey: try! Ed25519PrivateKey.generate())
    static let stranger = IssuerSigningKey(privateKey: try! Ed25519PrivateKey.generate())
    static let today = LicenseDate(year: 2026, month: 12, day: 1)!
    /// The default realm's answer key, when a harness signs (SPEC §7).
    static let answerKey = try! Ed25519PrivateKey.generate()
    /// The handlers' clock for signed answers: 2026-12-01T12:00:00Z.
    static let now = UTCTimestamp(secondsSince1970: 1_796_126_400)

    let store = InMemorySeatStore(now: { HandlerHarness.now })
    let shared = SharedCheckState(metrics: PoolMetrics(realms: ["default"], workers: 4))
    let log = RecordedLog()
    let router: Router

    /// `signed`: the default realm has an answer key. The store's leases are 24 h and 15 min.
    init(signed: Bool = false, unbindLimit: Int = CheckSettings.defaultUnbindLimit) throws {
        let realms = RealmIssuers(realms: ["default": IssuerKeys(keys: ["default": try Self.issuer.privateKey.publicKey])])
        let log = self.log
        let settings = CheckSettings(
            realms: realms, secret: ServerSecret(bytes: Array(repeating: 7, count: 32)), serverSystemID: "Eth_52:54:00:00:00:01",
            logger: Logger(label: "test") { _ in RecordingLogHandler(log: log) },
            answerKeys: AnswerKeys(signers: signed ? ["default": AnswerSigner(privateKey: Self.answerKey)] : [:]),
            unbindLimit: unbindLimit, now: { HandlerHarness.now }, today: { HandlerHarness.today })
        router = Router.licenseRoutes(settings: settings, shared: shared, store: store)
    }

    /// A key line signed by the realm's issuer (or by `signer`).
    func key(_ fields: [String], product: String = "X-META-X", by signer: IssuerSigningKey = issuer) throws -> String {
        let terms = try LicenseTerms(product: product, fields: fields.map { field in
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            return LicenseTerms.Field(parts[0], parts.count > 1 ? parts[1] : "")
        })
        return try signer.sign(terms).line
    }

    func code(_ keyLine: String, revision: String = "7.1", user: String = "user-00001", domain: String = "app.example.com",
              system: String? = nil, instance: String? = nil, options: [String] = [], product: String? = nil,
              nonce: String? = nil, rights: Int? = nil, borrow: String? = nil) throws -> String {
        try StartupCode(keyLine: keyLine, revision: revision, userID: user, domain: domain, system: system, instance: instance,
                        options: options, product: product, nonce: nonce, rights: rights, borrow: borrow).encoded
    }

    /// A request as nginx would pass it.
    func request(_ path: String = "/check", method: String = "GET", query: String = "", body: [UInt8] = [],
                 contentType: String? = nil, accept: String? = nil, origin: String? = nil, preflight: String? = nil,
                 realm: String = "default", exposesMetrics: Bool = false) -> ServiceResponse {
        router.respond(to: ServiceRequest(method: method, path: path, query: query, contentType: contentType, accept: accept, origin: origin,
                                          corsRequestMethod: preflight, realm: realm, exposesMetrics: exposesMetrics, body: body))
    }

    /// `GET /check?code=…`, its body without the newline.
    func check(_ code: String, origin: String? = nil) -> String {
        request(query: "code=" + code, origin: origin).body.trimmingCharacters(in: .newlines)
    }

    /// The JSON answer to a check, parsed.
    func json(_ code: String) throws -> [String: Any] {
        let response = request(query: "code=" + code, accept: "application/json")
        return try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] ?? [:]
    }
}

/// What the handlers logged.
final class RecordedLog: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct RecordingLogHandler: LogHandler {
    let log: RecordedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        log.append("\(event.level) \(event.message) \(fields)")
    }
}
