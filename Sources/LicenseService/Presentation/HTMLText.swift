import Mustache

/// HTML's escaping of text, everywhere the server writes HTML: the console's templates (through
/// `ScalarHTMLContentType`) and what is written outside them (the chart's SVG).
///
/// By Unicode scalar, not by `Character`: `"` followed by a combining mark (U+0301) is one
/// `Character` that is not `"`, and escaping by `Character` let it through, closing an
/// attribute (swift-mustache's own HTML escaping works that way).
public enum HTMLText {
    public static func escaped(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result.append(contentsOf: "&amp;".unicodeScalars)
            case "<": result.append(contentsOf: "&lt;".unicodeScalars)
            case ">": result.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": result.append(contentsOf: "&quot;".unicodeScalars)
            case "'": result.append(contentsOf: "&#39;".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }
}

/// The content type of every console template (`{{% CONTENT_TYPE: HTML_SCALARS}}`): `{{value}}`
/// is escaped by `HTMLText.escaped`, scalar by scalar.
struct ScalarHTMLContentType: MustacheContentType {
    static let name = "HTML_SCALARS"

    /// Registered once, before the first template that names it is parsed.
    static let registered: Void = MustacheContentTypes.register(ScalarHTMLContentType(), named: name)

    func escapeText(_ text: String) -> String {
        HTMLText.escaped(text)
    }
}
