import CryptoCore
import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import OIDC

extension SleutelServer {
    /// The end-session endpoint (RP-Initiated Logout 1.0): `GET` or `POST /oidc/logout` with an
    /// `id_token_hint` of the current session ends it at once and returns to the registered
    /// `post_logout_redirect_uri`; without such a hint the person confirms on Sleutel's page (a
    /// CSRF-checked form), so that no other site can log them out. The back-channel logout
    /// (``BackChannelLogout``) then tells every client of the session.
    func addLogoutRoutes(to router: Router<ServerContext>, provider: OIDCProvider, pages: Pages) {
        let cookies = LoginCookies(issuer: provider.configuration.issuer)
        let origin = Pages.origin(of: provider.configuration.issuer) ?? provider.configuration.issuer
        let limit = 32 << 10

        @Sendable func respond(_ outcome: OIDCProvider.EndSessionOutcome, _ request: Request, language: PageLanguage) -> Response {
            let t = language.texts
            switch outcome {
            case .loggedOut(let redirect):
                var headers = HTTPFields()
                headers.append(HTTPField(name: .setCookie, value: cookies.clearSession))
                if let redirect {
                    headers[.location] = redirect
                    Pages.secure(&headers)
                    return Response(status: .seeOther, headers: headers)
                }
                return pages.render("message", ["heading": t["loggedOutHeading"]!, "message": t["loggedOut"]!, "kind": "notice",
                                                "languageLink": "?lang=\(language.other.rawValue)"], language: language, headers: headers)
            case .confirm(let prompt):
                let csrf = cookies.csrf(in: request) ?? Base64URL.encode(SecureRandom.bytes(32))
                var headers = HTTPFields()
                headers.append(HTTPField(name: .setCookie, value: cookies.setCSRF(csrf)))
                let fields = prompt.parameters.filter { ["id_token_hint", "client_id", "post_logout_redirect_uri", "state"].contains($0.key) }
                    .sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
                let question = prompt.applicationName.map { String(format: t["logoutAsk"]!, $0) } ?? t["logoutAskPlain"]!
                let targets = prompt.parameters["post_logout_redirect_uri"].flatMap(Pages.origin(of:)).map { [$0] } ?? []
                return pages.render("logout", ["question": question, "fields": fields, "csrf": csrf,
                                               "languageLink": "?lang=\(language.other.rawValue)"],
                                    language: language, headers: headers, formTargets: targets)
            case .invalid(let reason):
                return pages.render("message", ["heading": t["error"]!, "message": "\(t["logoutInvalid"]!) (\(reason))", "kind": "error",
                                                "alert": true, "languageLink": "?lang=\(language.other.rawValue)"],
                                    language: language, status: .badRequest)
            }
        }

        router.get("/oidc/logout") { request, _ in
            let query = try FormEncoding.parse(request.uri.query ?? "")
            let language = PageLanguage(parameter: query["lang"] ?? query["ui_locales"]?.split(separator: " ").first.map(String.init),
                                        acceptLanguage: request.headers[.acceptLanguage])
            let token = cookies.session(in: request)
            let outcome = try await Blocking.run { provider.endSession(parameters: query, sessionToken: token, confirmed: false) }
            return respond(outcome, request, language: language)
        }
        router.post("/oidc/logout") { request, _ in
            var request = request
            let form = try await Self.form(&request, limit: limit)
            let language = PageLanguage(parameter: form["lang"] ?? form["ui_locales"]?.split(separator: " ").first.map(String.init),
                                        acceptLanguage: request.headers[.acceptLanguage])
            // Sleutel's own confirmation form carries the CSRF token; a client's form post is an
            // unconfirmed request like a GET (it needs the session's id_token_hint to end it).
            let confirmed = form["confirm"] == "yes" && cookies.checkCSRF(request, sent: form["csrf"], origin: origin)
            let token = cookies.session(in: request)
            let outcome = try await Blocking.run { provider.endSession(parameters: form, sessionToken: token, confirmed: confirmed) }
            return respond(outcome, request, language: language)
        }
    }
}
