import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Sleutel's HTML pages: Mustache templates from the bundle (`Templates/`, every value
/// HTML-escaped), the static assets (`Assets/`), and the headers every page carries:
/// `Cache-Control: no-store`, a content security policy that allows only Sleutel's own scripts
/// and styles and no framing, `X-Content-Type-Options`, `Referrer-Policy`.
struct Pages: Sendable {
    private let library: MustacheLibrary
    private let assets: [String: (type: String, bytes: ByteBuffer)]

    /// The content security policy of a page: Sleutel's own scripts, styles and images only, no
    /// framing, no `<base>`; `connect` adds the card agent's origin, `formTargets` the origins a
    /// form's answer may redirect to (the client's redirect URIs: browsers hold redirects after a
    /// form to `form-action` too).
    static func contentSecurityPolicy(connect: [String] = [], formTargets: [String] = []) -> String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src \((["'self'"] + connect).joined(separator: " ")); form-action \((["'self'"] + formTargets).joined(separator: " ")); "
            + "frame-ancestors 'none'; base-uri 'none'"
    }

    /// The origin (`scheme://host[:port]`) of a URL, nil when it has none.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    init() throws {
        guard let templates = Bundle.module.url(forResource: "Templates", withExtension: nil),
              let assets = Bundle.module.url(forResource: "Assets", withExtension: nil)
        else { throw HTTPError(.internalServerError, message: "the page templates are missing from the bundle") }
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            try library.register(MustacheTemplate(string: text), named: String(file.dropLast(".mustache".count)))
        }
        self.library = library
        var loaded: [String: (String, ByteBuffer)] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: assets.path) {
            let type = file.hasSuffix(".css")
                ? "text/css; charset=utf-8" : file.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
            loaded[file] = (type, ByteBuffer(bytes: try Data(contentsOf: assets.appendingPathComponent(file))))
        }
        self.assets = loaded
    }

    /// The page `template` rendered with `values` and the texts of `language`.
    func render(_ template: String, _ values: [String: Any], language: PageLanguage, status: HTTPResponse.Status = .ok,
                headers extra: HTTPFields = [:], connect: [String] = [], formTargets: [String] = []) -> Response {
        var context = values
        context["t"] = language.texts
        context["lang"] = language.rawValue
        context["otherLang"] = language.other.rawValue
        let html = library.render(context, withTemplate: template) ?? "<!doctype html><title>Sleutel</title><p>page \(template) is missing</p>"
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        Self.secure(&headers, policy: Self.contentSecurityPolicy(connect: connect, formTargets: formTargets))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A static asset by file name, or nil.
    func asset(_ name: String) -> Response? {
        guard let asset = assets[name] else { return nil }
        var headers = HTTPFields()
        headers[.contentType] = asset.type
        headers[.cacheControl] = "public, max-age=3600"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }

    /// The headers of every page and of every answer of the login forms.
    static func secure(_ headers: inout HTTPFields, policy: String = contentSecurityPolicy()) {
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] = policy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        // Not no-referrer: under it browsers send `Origin: null` with the page's own form posts,
        // which the CSRF check refuses. same-origin keeps URLs (interaction ids) from other sites.
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    }
}
