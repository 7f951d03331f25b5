import LicenseCore

/// What the bind page posts to `/bind` and `/unbind` (SPEC §13): the key line, pasted (`key=`)
/// or as its file (`keyfile`, multipart), and the system ID of the computer (`system=`). A
/// program posts a startup code instead; `read(_:)` tells the two apart.
public struct BindForm: Equatable, Sendable {
    /// What the person typed, to show again on the answering page.
    public let keyText: String
    public let system: String

    /// The form's fields, or one line saying what is missing or wrong (the page shows it, 400).
    public enum Reading: Equatable, Sendable {
        case form(BindForm)
        case incomplete(String, keyText: String, system: String)
    }

    /// The page's form, or nil when the request is not one (a program's startup code).
    public static func read(_ request: ServiceRequest) -> Reading? {
        if let contentType = request.contentType, let boundary = MultipartForm.boundary(ofContentType: contentType) {
            guard let parts = MultipartForm.parts(of: request.body, boundary: boundary) else {
                return .incomplete("the form could not be read; send it again from the page", keyText: "", system: "")
            }
            func field(_ name: String) -> [UInt8]? { parts.first { $0.name == name }?.value }
            let file = field("keyfile").flatMap { $0.isEmpty ? nil : $0 }
            return resolve(key: file ?? field("key"), system: field("system"), fromFile: file != nil)
        }
        let isForm = request.contentType?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
        guard request.method == "POST", isForm, FormDecoding.value(of: "code", in: request.body) == nil,
              let key = FormDecoding.value(of: "key", in: request.body) else { return nil }
        return resolve(key: key, system: FormDecoding.value(of: "system", in: request.body), fromFile: false)
    }

    private static func resolve(key: [UInt8]?, system: [UInt8]?, fromFile: Bool) -> Reading {
        let keyText = key.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let systemText = String(String(decoding: system ?? [], as: UTF8.self).trimmingBlanks(lineBreaks: true))
        let shownKey = fromFile ? "" : keyText
        guard !keyText.trimmingBlanks(lineBreaks: true).isEmpty else {
            return .incomplete("paste the license key or choose its file", keyText: shownKey, system: systemText)
        }
        let line: String
        do {
            line = try KeyFileText.keyLine(in: keyText)
        } catch {
            return .incomplete("the key: \(error.description)", keyText: shownKey, system: systemText)
        }
        guard !systemText.isEmpty else {
            return .incomplete("type the system ID of the computer (licensectl info prints it there)", keyText: shownKey,
                               system: systemText)
        }
        guard SystemIDSyntax.isValid(systemText) else {
            return .incomplete("the system ID must be TYPE_VALUE, as licensectl info prints it (for example Eth_08:00:2b:15:c7:d5)",
                               keyText: shownKey, system: systemText)
        }
        return .form(BindForm(keyText: line, system: systemText))
    }
}
