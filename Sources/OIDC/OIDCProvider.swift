import CryptoCore
import Foundation
import Rights
import Sessions
import Storage

/// The OpenID Connect provider: authorization code flow with PKCE (S256 only), ES256 ID tokens,
/// userinfo, discovery and JWKS. The person authenticates with Sleutel first (eID login or codes)
/// and presents the session token to the authorization endpoint; the code, access token and ID
/// token then carry the session's level (`acr`), method (`amr`), the chosen organisation and the
/// rights — each client receiving only the claims it is registered for.
public final class OIDCProvider: Sendable {
    public let configuration: OIDCConfiguration
    let sessions: SessionService
    let rights: RightsService?
    let signer: JWSSigner
    private var database: Storage.Database { sessions.database }

    public init(configuration: OIDCConfiguration, sessions: SessionService, rights: RightsService?) throws {
        self.configuration = configuration
        self.sessions = sessions
        self.rights = rights
        self.signer = try JWSSigner(key: configuration.signingKey)
    }

    // MARK: - Discovery

    /// The discovery document (`/.well-known/openid-configuration`).
    public var discovery: DiscoveryDocument { DiscoveryDocument(configuration) }

    /// The JWKS (`/oidc/jwks`): the one ID-token signing key.
    public var jwks: [String: [[String: String]]] { ["keys": [signer.jwk]] }

    // MARK: - Authorization endpoint

    /// Where the browser goes after an authorization request.
    public enum AuthorizeOutcome: Sendable, Equatable {
        /// Redirect to the client with `code` and `state`, or with `error`.
        case redirect(String)
    }

    /// Handles an authorization request.
    /// - Parameters:
    ///   - query: the request's query parameters.
    ///   - sessionToken: the Sleutel session token (bearer header or cookie), nil when absent.
    /// - Returns: the redirect to the client (with a code, or an error the client must handle).
    /// - Throws: ``OIDCError`` when the client or redirect URI is unknown: then nothing is
    ///   redirected (RFC 6749 §4.1.2.1).
    public func authorize(query: [String: String], sessionToken: String?) throws -> AuthorizeOutcome {
        guard let clientID = query["client_id"], let client = configuration.clients[clientID] else {
            throw OIDCError(.invalidClient, "unknown client_id")
        }
        guard let redirectURI = query["redirect_uri"], client.redirectUris.contains(redirectURI) else {
            throw OIDCError(.invalidRequest, "redirect_uri is not registered for this client")
        }
        let state = query["state"]
        func fail(_ code: OIDCError.Code, _ description: String) -> AuthorizeOutcome {
            var items = [("error", code.rawValue), ("error_description", description)]
            if let state { items.append(("state", state)) }
            return .redirect(Self.append(items, to: redirectURI))
        }
        guard query["response_type"] == "code" else { return fail(.unsupportedResponseType, "only response_type=code is supported") }
        guard let scope = query["scope"], scope.split(separator: " ").contains("openid") else {
            return fail(.invalidScope, "scope must contain openid")
        }
        guard let challenge = query["code_challenge"], Self.isPKCEValue(challenge), challenge.count == 43 else {
            return fail(.invalidRequest, "PKCE is required: code_challenge (S256, 43 characters)")
        }
        guard query["code_challenge_method"] == "S256" else { return fail(.invalidRequest, "code_challenge_method must be S256") }
        if let nonce = query["nonce"], nonce.utf8.count > 512 { return fail(.invalidRequest, "nonce too long") }
        guard let sessionToken else { return fail(.loginRequired, "authenticate with Sleutel first (eID or security code)") }

        let session: Session
        do {
            session = try sessions.requireAccess(token: sessionToken, application: client.application)
        } catch {
            switch error.code {
            case .stepUpRequired, .methodNotAccepted:
                return fail(.unmetAuthenticationRequirements, "a stronger key is needed for this application: \(error.requiredLevel?.acr ?? "")")
            case .sessionInvalid: return fail(.loginRequired, "the Sleutel session is not valid")
            default: return fail(.accessDenied, "the session cannot be used")
            }
        }
        if let wanted = query["acr_values"] {
            let levels = wanted.split(separator: " ").compactMap { Self.level(ofACR: String($0)) }
            if let minimum = levels.min(), session.level < minimum {
                return fail(.unmetAuthenticationRequirements, "requested \(minimum.acr), the session has \(session.level.acr)")
            }
        }

        var organisation: OrganisationClaims?
        if !client.claims.isDisjoint(with: [.organisation, .roles, .rights]) {
            let hint = query["login_hint"].flatMap { try? KBONumber($0) }?.digits
            let decision: LoginDecision
            do {
                decision = try sessions.chooseOrganisation(token: sessionToken, application: client.application,
                                                           organisation: hint ?? session.organisation)
            } catch {
                return fail(.accessDenied, "the organisation could not be resolved")
            }
            switch decision {
            case .allowed(let chosen, let granted):
                organisation = OrganisationClaims(number: chosen.digits, name: organisationName(chosen), rights: granted)
            case .chooseOrganisation:
                return fail(.interactionRequired, "choose the organisation to act for (login_hint or POST /v1/session/organisation)")
            case .stepUpRequired(let minimum):
                return fail(.unmetAuthenticationRequirements, "a stronger key is needed: \(AssuranceLevel(minimum).acr)")
            case .refused(_, let message):
                return fail(.accessDenied, message)
            }
        }

        let claims = claimSet(for: client, session: session, organisation: organisation, nonce: query["nonce"])
        let code = Self.randomToken()
        let now = sessions.clock.now()
        do {
            let snapshot = String(decoding: try ClaimSet.snapshotEncoder.encode(claims), as: UTF8.self)
            let record = OIDCCodeRecord(codeHash: Data(Self.hash(code)), clientID: client.clientId, redirectURI: redirectURI, sessionID: session.id,
                                        codeChallenge: challenge, claims: snapshot, expiresAt: now.addingTimeInterval(configuration.codeLifetime))
            try database.write { db in try OIDCCodeRecord.insert(record, in: db) }
        } catch {
            return fail(.accessDenied, "the authorization could not be stored")
        }
        var items = [("code", code)]
        if let state { items.append(("state", state)) }
        return .redirect(Self.append(items, to: redirectURI))
    }

    // MARK: - Token endpoint

    /// The token response.
    public struct TokenResponse: Sendable, Encodable {
        public let access_token: String
        public let token_type: String
        public let expires_in: Int
        public let id_token: String
        public let scope: String
    }

    /// Exchanges an authorization code (form parameters of the token request).
    /// - Parameter basicCredentials: client id and secret from an HTTP Basic header, if any.
    /// - Throws: ``OIDCError`` `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`.
    public func token(form: [String: String], basicCredentials: (String, String)?) throws -> TokenResponse {
        guard form["grant_type"] == "authorization_code" else { throw OIDCError(.unsupportedGrantType, "only authorization_code is supported") }
        let clientID = basicCredentials?.0 ?? form["client_id"]
        guard let clientID, let client = configuration.clients[clientID] else { throw OIDCError(.invalidClient, "unknown client") }
        if let expected = client.secretSHA256 {
            guard let secret = basicCredentials?.1 ?? form["client_secret"],
                  constantTimeEquals(Array(Hex.encode(DigestAlgorithm.sha256.hash(Array(secret.utf8))).utf8), Array(expected.lowercased().utf8)) else {
                throw OIDCError(.invalidClient, "client authentication failed")
            }
        }
        guard let code = form["code"], let redirectURI = form["redirect_uri"] else {
            throw OIDCError(.invalidRequest, "code and redirect_uri are required")
        }
        guard let verifier = form["code_verifier"], (43...128).contains(verifier.count), Self.isPKCEValue(verifier) else {
            throw OIDCError(.invalidRequest, "code_verifier (43–128 characters) is required")
        }
        let now = sessions.clock.now()
        let codeHash = Data(Self.hash(code))
        // Checked and spent in one statement, so two redemptions of one code cannot both pass.
        let grant = try database.write { db -> OIDCCodeRecord? in
            guard let grant = try OIDCCodeRecord.spend(codeHash: codeHash, at: now, in: db) else {
                // Unknown or replayed: revoke whatever the code produced (RFC 6749 §4.1.2).
                try OIDCAccessTokenRecord.revoke(madeFrom: codeHash, at: now, in: db)
                return nil
            }
            return grant
        }
        guard let grant, grant.expiresAt > now else {
            throw OIDCError(.invalidGrant, "the code is unknown, expired or already used")
        }
        guard grant.clientID == client.clientId, grant.redirectURI == redirectURI else {
            throw OIDCError(.invalidGrant, "the code was issued to another client or redirect_uri")
        }
        let snapshot = grant.claims
        guard constantTimeEquals(Array(Base64URL.encode(DigestAlgorithm.sha256.hash(Array(verifier.utf8))).utf8), Array(grant.codeChallenge.utf8)) else {
            throw OIDCError(.invalidGrant, "code_verifier does not match code_challenge")
        }
        var claims = try ClaimSet.snapshotDecoder.decode(ClaimSet.self, from: Data(snapshot.utf8))
        guard sessions.isLive(sessionID: claims.sid) else { throw OIDCError(.invalidGrant, "the session has ended") }
        claims.iat = Int(now.timeIntervalSince1970)
        claims.exp = claims.iat + Int(configuration.tokenLifetime)
        let idToken = try signer.sign(claims)
        let accessToken = Self.randomToken()
        let token = OIDCAccessTokenRecord(tokenHash: Data(Self.hash(accessToken)), clientID: client.clientId, sessionID: claims.sid,
                                          codeHash: codeHash, claims: snapshot, expiresAt: now.addingTimeInterval(configuration.tokenLifetime))
        try database.write { db in try OIDCAccessTokenRecord.insert(token, in: db) }
        return TokenResponse(access_token: accessToken, token_type: "Bearer", expires_in: Int(configuration.tokenLifetime),
                             id_token: idToken, scope: "openid")
    }

    // MARK: - Userinfo

    /// The claims of an access token (userinfo), while the token and its session live.
    /// - Throws: ``OIDCError`` `invalid_token`.
    public func userinfo(accessToken: String) throws -> ClaimSet {
        let now = sessions.clock.now()
        let snapshot = try database.read { db in try OIDCAccessTokenRecord.liveClaims(tokenHash: Data(Self.hash(accessToken)), at: now, in: db) }
        guard let snapshot, var claims = try? ClaimSet.snapshotDecoder.decode(ClaimSet.self, from: Data(snapshot.utf8)),
              sessions.isLive(sessionID: claims.sid) else {
            throw OIDCError(.invalidToken, "the access token is not valid")
        }
        claims.stripProtocolClaims()
        return claims
    }

    // MARK: - Housekeeping

    /// Deletes access tokens past their expiry and authorization codes once no token made from
    /// them can live any more (a replayed code must still find its tokens to revoke them).
    /// - Returns: the number of rows removed.
    @discardableResult
    public func purge() throws -> Int {
        let now = sessions.clock.now()
        return try database.write { db in
            try OIDCAccessTokenRecord.purge(expiredBefore: now, in: db)
                + OIDCCodeRecord.purge(expiredBefore: now.addingTimeInterval(-configuration.tokenLifetime), in: db)
        }
    }

    // MARK: - Helpers

    static func randomToken() -> String { Base64URL.encode(SecureRandom.bytes(32)) }

    static func hash(_ token: String) -> [UInt8] { DigestAlgorithm.sha256.hash(Array(token.utf8)) }

    /// RFC 7636 unreserved characters.
    static func isPKCEValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
        }
    }

    static func append(_ items: [(String, String)], to uri: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        return uri + (uri.contains("?") ? "&" : "?") + query
    }
}
