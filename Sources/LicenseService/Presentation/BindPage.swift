import Mustache

/// `GET /bind`, the hyperlink's page (SPEC §13), and the same page answering its own form: a
/// person pastes the key line or chooses the key file, types the system ID and binds or unbinds.
/// HTML from the server, complete without JavaScript (the two buttons post the one form to
/// `/bind` or `/unbind` through `formaction`), the console's look, its stylesheet inline so that
/// nothing is loaded from anywhere; every value escaped by Unicode scalar (`HTMLText`).
public struct BindPage: Sendable {
    /// What the page says above the form: the answer to a post, if any.
    public struct Outcome: Sendable {
        /// `bound`, `unbound`, `invalid REASON`, or a line saying what the form lacks.
        public var headline: String
        /// A sentence for a person.
        public var explanation: String
        /// Whether it is good news (bound, unbound).
        public var succeeded: Bool
        /// The license's product, id and licensee, once its key verified.
        public var product: String?
        public var licenseID: String?
        public var licensee: String?
        /// How many computers are bound, of how many the key allows.
        public var bound: Int?
        public var limit: Int?

            public init(headline: String, explanation: String, succeeded: Bool, product: String? = nil, licenseID: String? = nil,
                    licensee: String? = nil, bound: Int? = nil, limit: Int? = nil) {
            self.headline = headline
            self.explanation = explanation
            self.succeeded = succeeded
            self.product = product
            self.licenseID = licenseID
            self.licensee = licensee
            self.bound = bound
            self.limit = limit
        }
    }

    /// What the answer's headers say besides its type: nothing from another site may load, run or
    /// frame it, and its form posts only here.
    public static let headers = [
        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]

    private let library: MustacheLibrary

    public init() {
        ScalarHTMLContentType.registered
        var library = MustacheLibrary()
        do {
            try library.register("{{% CONTENT_TYPE: \(ScalarHTMLContentType.name)}}" + Self.template, named: "bind")
        } catch {
            preconditionFailure("the bind page's template does not parse: \(error)")
        }
        self.library = library
    }

    /// The page, with the form filled as it was posted (a key file is not sent back).
    public func render(outcome: Outcome?, keyText: String, system: String, status: Int) -> ServiceResponse {
        var view: [String: Any] = ["style": ConsolePages.stylesheet + Self.style, "keyText": keyText, "system": system]
        if let outcome {
            var answer: [String: Any] = ["headline": outcome.headline, "explanation": outcome.explanation,
                                         "kind": outcome.succeeded ? "done" : "refused"]
            if let product = outcome.product, let licenseID = outcome.licenseID {
                var license: [String: Any] = ["product": product, "licenseID": licenseID]
                if let licensee = outcome.licensee { license["licensee"] = licensee }
                answer["license"] = license
            }
            if let bound = outcome.bound, let limit = outcome.limit {
                answer["count"] = ["bound": bound, "limit": limit]
            }
            view["answer"] = answer
        }
        let body = library.render(view, withTemplate: "bind") ?? ""
        return ServiceResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")] + Self.headers, body: body)
    }

    static let style = """
        form.bind { background: #fff; border: 1px solid var(--line); padding: 1em 1.2em; max-width: 52em; }
        form.bind label { display: block; font-weight: 600; margin: 0.8em 0 0.3em; }
        form.bind textarea, form.bind input[type=text] { width: 100%; font: 13px/1.4 ui-monospace, monospace; padding: 0.4em; border: 1px solid var(--line); border-radius: 4px; }
        form.bind .hint { color: var(--muted); font-size: 0.9em; margin: 0.2em 0 0; }
        form.bind .actions { margin-top: 1.2em; } form.bind button { padding: 0.4em 1.2em; margin-right: 0.6em; }
        .answer { max-width: 52em; margin-bottom: 1.2em; padding: 0.7em 1em; border-radius: 4px; border: 1px solid var(--line); background: #fff; }
        .answer.done { border-left: 5px solid #2e8b57; } .answer.refused { border-left: 5px solid var(--full); }
        .answer .headline { font-weight: 600; margin: 0; } .answer p { margin: 0.3em 0 0; }
        """

    static let template = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Bind a license to a computer</title>
        <link rel="icon" href="data:,">
        <style>{{{style}}}</style>
        </head>
        <body>
        <header><span class="home">License binding</span></header>
        <main>
        <h1>Bind a license to a computer</h1>
        {{#answer}}
        <div class="answer {{kind}}" id="answer" role="status">
        <p class="headline" id="headline">{{headline}}</p>
        {{#license}}<p id="license">{{product}} · license {{licenseID}}{{#licensee}} · {{licensee}}{{/licensee}}</p>{{/license}}
        {{#count}}<p id="bound-count">{{bound}} of {{limit}} bound</p>{{/count}}
        <p id="explanation">{{explanation}}</p>
        </div>
        {{/answer}}
        <form class="bind" method="post" action="/bind" enctype="multipart/form-data">
        <label for="key">License key</label>
        <textarea id="key" name="key" rows="4" spellcheck="false" placeholder="Paste the key line, as the vendor sent it">{{keyText}}</textarea>
        <label for="keyfile">or its file</label>
        <input id="keyfile" name="keyfile" type="file" accept=".txt,.key,text/plain">
        <p class="hint">A chosen file is used instead of the pasted key.</p>
        <label for="system">System ID of the computer</label>
        <input id="system" name="system" type="text" value="{{system}}" spellcheck="false" autocomplete="off" placeholder="Eth_08:00:2b:15:c7:d5">
        <p class="hint">Run <code>licensectl info</code> on that computer: it prints its system ID.</p>
        <div class="actions">
        <button type="submit" id="bind" formaction="/bind">Bind this computer</button>
        <button type="submit" id="unbind" formaction="/unbind">Unbind it</button>
        </div>
        </form>
        </main>
        <footer>A license may be bound to as many computers as its key allows; unbinding is limited, so that a license stays with its computers.</footer>
        </body>
        </html>
        """
}
