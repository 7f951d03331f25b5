import FuzzSupport
import InMemorySeatStore
import LicenseCore
import LicenseCrypto
import LicenseService
import LicenseSigning
import Logging

// The whole request path in process: the router and the check and bind handlers over the
// in-memory store, fed raw request parts. The input is split at NUL bytes into a selector
// (method, path and whether the next part is a code's decoded text), the query or code text, the
// body, the Accept and the Origin header, and the Content-Type. Properties: only the statuses of
// SPEC §3 and §13 (never a 500), a plain 200 says valid, invalid REASON, released, bound,
// unbound or ok, and a plain 400 is one line.

/// The fuzz corpus' issuer (Tests/Fuzz/fixtures/fuzz-issuer.key): a key for fuzzing only, so
/// that the corpus' codes verify and reach the seats.
let issuerPEM = Array("""
    -----BEGIN PUBLIC KEY-----
    MCowBQYDK2VwAyEANp5SYh9YikW9JpMeQZSTN0pc0+HB4cgsPh9eZTZ6TcM=
    -----END PUBLIC KEY-----

    """.utf8)

let methods = ["GET", "POST", "OPTIONS", "PUT", "HEAD"]
let paths = ["/check", "/release", "/healthz", "/Check", "/", "/bind", "/unbind"]
let reasons = Set(CheckReason.allCases.map { "invalid " + $0.rawValue })

final class Pool {
    let store = InMemorySeatStore()
    let router: Router
    var requests = 0

    init() {
        // Cannot fail: a fixed, valid PEM and a fixed secret of 32 bytes.
        let publicKey = try! Ed25519PublicKey(pem: issuerPEM)
        let settings = CheckSettings(
            realms: RealmIssuers(realms: ["default": IssuerKeys(keys: ["default": publicKey])]),
            secret: ServerSecret(bytes: Array(repeating: 1, count: 32)), serverSystemID: "Eth_52:54:00:00:00:01",
            logger: Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() },
            today: { LicenseDate(year: 2026, month: 12, day: 1)! })
        router = Router.licenseRoutes(settings: settings, shared: SharedCheckState(metrics: PoolMetrics(realms: ["default"], workers: 1)), store: store)
    }
}

nonisolated(unsafe) var pool = Pool()

runFuzzer { bytes in
    // A fresh pool now and then, so that seats and counters stay small.
    pool.requests += 1
    if pool.requests > 20_000 { pool = Pool() }
    let parts = bytes.split(separator: 0, maxSplits: 5, omittingEmptySubsequences: false).map(Array.init)
    func part(_ index: Int) -> [UInt8] { index < parts.count ? parts[index] : [] }
    let selector = part(0).first ?? 0
    let method = methods[Int(selector % 8) % methods.count]
    let path = paths[Int((selector >> 3) & 0x0F) % paths.count]
    let codeText = selector & 0x80 != 0
    var query = String(decoding: part(1), as: UTF8.self)
    var body = part(2)
    if codeText {
        let code = "code=" + Base64URL.encode(part(1))
        if method == "GET" { query = code } else { body = Array(code.utf8) }
    }
    let accept = part(3).isEmpty ? nil : String(decoding: part(3), as: UTF8.self)
    let origin = part(4).isEmpty ? nil : String(decoding: part(4), as: UTF8.self)
    let contentType = part(5).isEmpty ? nil : String(decoding: part(5), as: UTF8.self)
    let response = pool.router.respond(to: ServiceRequest(
        method: method, path: path, query: query, contentType: contentType, accept: accept, origin: origin,
        corsRequestMethod: method == "OPTIONS" ? "POST" : nil, body: body))
    check([200, 204, 400, 404, 405, 503].contains(response.status), "status \(response.status)")
    let isPlain = response.headers.contains { $0.0 == "Content-Type" && $0.1.hasPrefix("text/plain") }
    if response.status == 200 && isPlain {
        let line = response.body.hasSuffix("\n") ? String(response.body.dropLast()) : response.body
        check(["valid", "released", "ok", "bound", "unbound"].contains(line) || reasons.contains(line), "a 200 that says \(line)")
    }
    if response.status == 400 && isPlain {
        check(response.body.split(separator: "\n").count == 1, "a 400 of more than one line")
    }
}
