import FuzzSupport
import LicenseService

// Form decoding of query strings and bodies, and finding the code of a request: any bytes,
// as the query of a GET and as the body of a POST.
runFuzzer { bytes in
    _ = FormDecoding.value(of: "code", in: bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    for method in ["GET", "POST"] {
        let code = FormDecoding.code(of: ServiceRequest(method: method, path: "/check", query: text, body: bytes))
        // Percent-decoding only shortens; the query is the bytes as text (invalid UTF-8 replaced).
        let held = method == "GET" ? text.utf8.count : bytes.count
        if let code { check(code.count <= held, "a decoded code is longer than what held it") }
    }
}
