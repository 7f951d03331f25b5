import FuzzSupport
import LicenseCore
import LicenseService

// Form decoding of query strings and bodies, finding the code of a request, and the binding
// page's form (SPEC §13) form-encoded and as multipart/form-data: any bytes, as the query of a
// GET, as the body of a POST, and as the body of a multipart form of boundary "b" (whose
// content type the first line of the input may replace).
runFuzzer { bytes in
    _ = FormDecoding.value(of: "code", in: bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    for method in ["GET", "POST"] {
        let code = FormDecoding.code(of: ServiceRequest(method: method, path: "/check", query: text, body: bytes))
        // Percent-decoding only shortens; the query is the bytes as text (invalid UTF-8 replaced).
        let held = method == "GET" ? text.utf8.count : bytes.count
        if let code { check(code.count <= held, "a decoded code is longer than what held it") }
    }
    let firstLine = bytes.prefix { $0 != 0x0A }
    let contentTypes = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
                        String(decoding: firstLine, as: UTF8.self)]
    for contentType in contentTypes {
        let body = contentType == contentTypes[2] ? Array(bytes.dropFirst(firstLine.count + 1)) : bytes
        let request = ServiceRequest(method: "POST", path: "/bind", contentType: contentType, body: body)
        switch BindForm.read(request) {
        case .form(let form)?:
            check(SystemIDSyntax.isValid(form.system), "a form with a system ID out of form was read")
            check(!form.keyText.contains("\n") && !form.keyText.isEmpty, "a form's key is not one line")
        case .incomplete(let message, _, _)?:
            check(!message.isEmpty && !message.contains("\n"), "an incomplete form's message is not one line")
        case nil:
            break
        }
        if let boundary = MultipartForm.boundary(ofContentType: contentType), let parts = MultipartForm.parts(of: body, boundary: boundary) {
            check(parts.reduce(0) { $0 + $1.value.count } <= body.count, "multipart parts hold more than the body")
        }
    }
}
