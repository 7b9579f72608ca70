import CryptoCore
import Foundation
import HTTPTypes
import Hummingbird

/// The cookies of the login pages. Over HTTPS (an `https` issuer, also behind a TLS proxy) they
/// carry the `__Host-` prefix and `Secure`; all are `HttpOnly` and `Path=/`. The session cookie is
/// `SameSite=Lax` (it must reach `/oidc/authorize` when a client's link leads there); the CSRF
/// cookie is `SameSite=Strict`, so a form posted from another site arrives without it.
struct LoginCookies: Sendable {
    let secure: Bool

    init(issuer: String) { secure = issuer.lowercased().hasPrefix("https://") }

    var sessionName: String { secure ? "__Host-sleutel_session" : "sleutel_session" }
    var csrfName: String { secure ? "__Host-sleutel_csrf" : "sleutel_csrf" }

    func setSession(_ token: String) -> String { "\(sessionName)=\(token); Path=/; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "") }

    func setCSRF(_ value: String) -> String { "\(csrfName)=\(value); Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "") }

    /// Ends the session cookie (logout).
    var clearSession: String { "\(sessionName)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" + (secure ? "; Secure" : "") }

    func session(in request: Request) -> String? { Self.cookie(sessionName, in: request) }

    func csrf(in request: Request) -> String? { Self.cookie(csrfName, in: request).flatMap { $0.utf8.count == 43 ? $0 : nil } }

    /// Whether a state-changing request comes from Sleutel's own page: the token it sent equals
    /// the CSRF cookie (constant-time), and its `Origin` header, when the browser sends one, is
    /// Sleutel's origin, as is `Sec-Fetch-Site` `same-origin` when present.
    func checkCSRF(_ request: Request, sent: String?, origin: String) -> Bool {
        if let header = request.headers[.origin], header != origin { return false }
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" { return false }
        guard let cookie = csrf(in: request), let sent, sent.utf8.count == cookie.utf8.count else { return false }
        return constantTimeEquals(Array(cookie.utf8), Array(sent.utf8))
    }

    /// The value of cookie `name` in the request's `Cookie` headers.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                    return String(pair[1]).trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}
