import CryptoCore
import Foundation
import Sessions

extension OIDCProvider {
    // MARK: - End-session endpoint (RP-Initiated Logout 1.0)

    /// Where the browser goes after a logout request.
    public enum EndSessionOutcome: Sendable, Equatable {
        /// The session ended, or there was none: redirect to `redirect` (the registered
        /// `post_logout_redirect_uri` with `state`), or show the logged-out page when nil.
        case loggedOut(redirect: String?)
        /// The request does not prove that the client of the current session asks (no
        /// `id_token_hint` of this session): ask the person to confirm, posting `parameters` back.
        case confirm(EndSessionPrompt)
        /// Refused, redirecting nowhere: an unregistered `post_logout_redirect_uri`, a hint that
        /// is not an ID token of this provider, a `client_id` that contradicts the hint.
        case invalid(String)
    }

    /// The confirmation page of a logout request.
    public struct EndSessionPrompt: Sendable, Equatable {
        /// The application of the client asking, when known.
        public let applicationName: String?
        /// The request's parameters, for the confirming form.
        public let parameters: [String: String]
    }

    /// Handles a logout request (`GET` or `POST /oidc/logout`).
    /// - Parameters:
    ///   - parameters: `id_token_hint`, `client_id`, `post_logout_redirect_uri`, `state`, `ui_locales`.
    ///   - sessionToken: the session cookie, nil when absent.
    ///   - confirmed: the person confirmed on Sleutel's page (its CSRF check passed).
    public func endSession(parameters: [String: String], sessionToken: String?, confirmed: Bool) -> EndSessionOutcome {
        var hint: IDTokenHint?
        if let text = parameters["id_token_hint"], !text.isEmpty {
            guard let verified = verifiedHint(text) else { return .invalid("id_token_hint is not an ID token of this provider") }
            hint = verified
        }
        if let hint, let clientID = parameters["client_id"], clientID != hint.clientID {
            return .invalid("client_id does not match the id_token_hint")
        }
        let client = (hint?.clientID ?? parameters["client_id"]).flatMap { self.client($0) }
        var redirect: String?
        if let uri = parameters["post_logout_redirect_uri"] {
            guard let client, client.postLogoutRedirectUris?.contains(uri) == true else {
                return .invalid("post_logout_redirect_uri is not registered for this client")
            }
            redirect = parameters["state"].map { Self.append([("state", $0)], to: uri) } ?? uri
        }
        guard let sessionToken, let session = try? sessions.authenticate(token: sessionToken) else { return .loggedOut(redirect: redirect) }
        guard confirmed || hint?.sessionID == session.id else {
            return .confirm(EndSessionPrompt(applicationName: client.map { applicationName($0.application) }, parameters: parameters))
        }
        _ = try? sessions.revoke(token: sessionToken, reason: "logout")
        return .loggedOut(redirect: redirect)
    }

    /// What an `id_token_hint` tells: the client it was issued to and the session.
    struct IDTokenHint {
        let clientID: String
        let sessionID: String?
        let subject: String?
    }

    /// The hint, when it is an ID token this provider signed (expired ones too, as the
    /// specification allows): signature, `iss` and `aud` checked.
    func verifiedHint(_ token: String) -> IDTokenHint? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 16 << 10,
              let headerBytes = Base64URL.decode(String(parts[0])), let payloadBytes = Base64URL.decode(String(parts[1])),
              let raw = Base64URL.decode(String(parts[2])), raw.count == 64,
              let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
              header["alg"] as? String == "ES256", let keyID = header["kid"] as? String,
              let signer = keys.signer(keyID: keyID, at: sessions.clock.now()),
              let der = try? ECDSASignatureEncoding.der(fromRaw: raw),
              let key = try? signer.key.publicKey(),
              key.verify(signature: der, data: Array("\(parts[0]).\(parts[1])".utf8), algorithm: .sha256),
              let claims = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any],
              claims["iss"] as? String == configuration.issuer, let audience = claims["aud"] as? String
        else { return nil }
        return IDTokenHint(clientID: audience, sessionID: claims["sid"] as? String, subject: claims["sub"] as? String)
    }
}
