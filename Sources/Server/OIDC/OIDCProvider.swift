import CryptoCore
import Foundation
import GRDB
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
    var discovery: [String: AnyEncodable] {
        let issuer = configuration.issuer
        let extraClaims = Set(configuration.clients.values.flatMap { $0.claims })
        var claims = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"]
        if extraClaims.contains(.rrn) { claims.append("rrn") }
        if extraClaims.contains(.name) { claims += ["given_name", "family_name"] }
        if extraClaims.contains(.organisation) { claims += ["vo_orgcode", "vo_orgnaam"] }
        if extraClaims.contains(.rights) { claims.append("sleutel_rights") }
        if extraClaims.contains(.roles) { claims += Set(configuration.clients.values.map { "\($0.application)_rol_3d" }).sorted() }
        return [
            "issuer": AnyEncodable(issuer),
            "authorization_endpoint": AnyEncodable("\(issuer)/oidc/authorize"),
            "token_endpoint": AnyEncodable("\(issuer)/oidc/token"),
            "userinfo_endpoint": AnyEncodable("\(issuer)/oidc/userinfo"),
            "jwks_uri": AnyEncodable("\(issuer)/oidc/jwks"),
            "response_types_supported": AnyEncodable(["code"]),
            "grant_types_supported": AnyEncodable(["authorization_code"]),
            "subject_types_supported": AnyEncodable(["pairwise"]),
            "id_token_signing_alg_values_supported": AnyEncodable(["ES256"]),
            "token_endpoint_auth_methods_supported": AnyEncodable(["none", "client_secret_basic", "client_secret_post"]),
            "code_challenge_methods_supported": AnyEncodable(["S256"]),
            "scopes_supported": AnyEncodable(["openid", "profile"]),
            "claims_supported": AnyEncodable(claims),
            "acr_values_supported": AnyEncodable([500, 400, 350, 200, 100].map { AssuranceLevel($0).acr }),
        ]
    }

    /// The JWKS (`/oidc/jwks`).
    var jwks: [String: [[String: String]]] { ["keys": [signer.jwk]] }

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
            let snapshot = String(decoding: try JSON.encoder.encode(claims), as: UTF8.self)
            try database.write { db in
                try db.execute(sql: """
                    INSERT INTO oidc_code (code_hash, client_id, redirect_uri, session_id, code_challenge, claims, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [Data(Self.hash(code)), client.clientId, redirectURI, session.id, challenge, snapshot,
                                     now.addingTimeInterval(configuration.codeLifetime).timeIntervalSince1970])
            }
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
        let codeHash = Self.hash(code)
        let grant = try database.write { db -> (String, String, String, String)? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM oidc_code WHERE code_hash = ?", arguments: [Data(codeHash)]) else { return nil }
            if row["used_at"] as Double? != nil {
                // A replayed code: revoke what it produced (RFC 6749 §4.1.2).
                try db.execute(sql: "UPDATE oidc_access_token SET revoked_at = ? WHERE code_hash = ?", arguments: [now.timeIntervalSince1970, Data(codeHash)])
                return nil
            }
            try db.execute(sql: "UPDATE oidc_code SET used_at = ? WHERE code_hash = ?", arguments: [now.timeIntervalSince1970, Data(codeHash)])
            guard (row["expires_at"] as Double) > now.timeIntervalSince1970 else { return nil }
            return (row["client_id"], row["redirect_uri"], row["code_challenge"], row["claims"])
        }
        guard let (boundClient, boundRedirect, challenge, snapshot) = grant else {
            throw OIDCError(.invalidGrant, "the code is unknown, expired or already used")
        }
        guard boundClient == client.clientId, boundRedirect == redirectURI else {
            throw OIDCError(.invalidGrant, "the code was issued to another client or redirect_uri")
        }
        guard constantTimeEquals(Array(Base64URL.encode(DigestAlgorithm.sha256.hash(Array(verifier.utf8))).utf8), Array(challenge.utf8)) else {
            throw OIDCError(.invalidGrant, "code_verifier does not match code_challenge")
        }
        var claims = try JSON.decoder.decode(ClaimSet.self, from: Data(snapshot.utf8))
        guard sessions.isLive(sessionID: claims.sid) else { throw OIDCError(.invalidGrant, "the session has ended") }
        claims.iat = Int(now.timeIntervalSince1970)
        claims.exp = claims.iat + Int(configuration.tokenLifetime)
        let idToken = try signer.sign(claims)
        let accessToken = Self.randomToken()
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO oidc_access_token (token_hash, client_id, session_id, code_hash, claims, expires_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [Data(Self.hash(accessToken)), client.clientId, claims.sid, Data(codeHash), snapshot,
                                 now.addingTimeInterval(configuration.tokenLifetime).timeIntervalSince1970])
        }
        return TokenResponse(access_token: accessToken, token_type: "Bearer", expires_in: Int(configuration.tokenLifetime),
                             id_token: idToken, scope: "openid")
    }

    // MARK: - Userinfo

    /// The claims of an access token (userinfo), while the token and its session live.
    /// - Throws: ``OIDCError`` `invalid_token`.
    public func userinfo(accessToken: String) throws -> ClaimSet {
        let now = sessions.clock.now().timeIntervalSince1970
        let snapshot = try database.read { db in
            try String.fetchOne(db, sql: """
                SELECT claims FROM oidc_access_token WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?
                """, arguments: [Data(Self.hash(accessToken)), now])
        }
        guard let snapshot, var claims = try? JSON.decoder.decode(ClaimSet.self, from: Data(snapshot.utf8)),
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
        let now = sessions.clock.now().timeIntervalSince1970
        return try database.write { db in
            try db.execute(sql: "DELETE FROM oidc_access_token WHERE expires_at < ?", arguments: [now])
            var removed = db.changesCount
            try db.execute(sql: "DELETE FROM oidc_code WHERE expires_at < ?", arguments: [now - configuration.tokenLifetime])
            removed += db.changesCount
            return removed
        }
    }

    // MARK: - Claims

    struct OrganisationClaims {
        let number: String
        let name: String?
        let rights: [EffectiveRight]
    }

    private func organisationName(_ number: KBONumber) -> String? {
        try? rights?.organisationName(number)
    }

    func claimSet(for client: OIDCClient, session: Session, organisation: OrganisationClaims?, nonce: String?) -> ClaimSet {
        var claims = ClaimSet(
            iss: configuration.issuer, sub: pairwiseSubject(client: client, session: session), aud: client.clientId,
            exp: 0, iat: 0, auth_time: Int(session.authenticatedAt.timeIntervalSince1970), nonce: nonce,
            acr: session.level.acr, amr: Self.amr(session.method), sid: session.id
        )
        if client.claims.contains(.rrn) { claims.rrn = session.person }
        if client.claims.contains(.name) {
            claims.given_name = session.givenName
            claims.family_name = session.familyName
        }
        if let organisation {
            if client.claims.contains(.organisation) {
                claims.vo_orgcode = organisation.number
                claims.vo_orgnaam = organisation.name
            }
            if client.claims.contains(.roles) {
                claims.roles = (key: "\(client.application)_rol_3d",
                                values: organisation.rights.map { right in
                                    right.context.map { "\(right.right)-\($0):\(organisation.number)" } ?? "\(right.right):\(organisation.number)"
                                })
            }
            if client.claims.contains(.rights) {
                claims.sleutel_rights = organisation.rights.map {
                    .init(application: $0.application, right: $0.right, context: $0.context, organisation: organisation.number,
                          validFrom: $0.validFrom.description, validUntil: $0.validUntil?.description)
                }
            }
        }
        return claims
    }

    /// `sub`: a per-client pseudonym of the person (or of the session for unlinked accounts).
    func pairwiseSubject(client: OIDCClient, session: Session) -> String {
        Self.pairwiseSubject(key: configuration.pairwiseKey, clientId: client.clientId, subject: session.person ?? "session:\(session.id)")
    }

    /// Base64url of the first 24 bytes of HMAC-SHA256(key, len(clientId) ‖ clientId ‖ subject), the
    /// length a 4-byte big-endian count of UTF-8 bytes: no pair of client and subject shares another's
    /// input, whatever characters a client id holds.
    static func pairwiseSubject(key: [UInt8], clientId: String, subject: String) -> String {
        let client = Array(clientId.utf8)
        let length = UInt32(truncatingIfNeeded: client.count)
        let input = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + client + Array(subject.utf8)
        return Base64URL.encode(Array(HMAC.mac(.sha256, key: key, data: input).prefix(24)))
    }

    /// RFC 8176 method references.
    static func amr(_ method: AuthMethod) -> [String] {
        switch method {
        case .eidPin: ["sc", "pin", "hwk"]
        case .totpApp: ["pwd", "otp"]
        case .smsCode: ["pwd", "sms"]
        case .emailCode: ["pwd", "otp"]
        case .password, .passwordUnlinked: ["pwd"]
        }
    }

    static func level(ofACR acr: String) -> AssuranceLevel? {
        let prefix = "urn:be:fedict:iam:fas:Level"
        guard acr.hasPrefix(prefix), let value = Int(acr.dropFirst(prefix.count)) else { return nil }
        return AssuranceLevel(value)
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

/// The claims of an ID token and of userinfo.
public struct ClaimSet: Sendable, Codable {
    public var iss: String?
    public var sub: String
    public var aud: String?
    public var exp: Int
    public var iat: Int
    public var auth_time: Int?
    public var nonce: String?
    public var acr: String
    public var amr: [String]
    public var sid: String
    public var rrn: String?
    public var given_name: String?
    public var family_name: String?
    public var vo_orgcode: String?
    public var vo_orgnaam: String?
    public var sleutel_rights: [RightClaim]?
    /// The ACM-style `<app>_rol_3d` claim: its name depends on the application.
    public var roles: (key: String, values: [String])?

    public struct RightClaim: Sendable, Codable {
        public let application: String
        public let right: String
        public let context: String?
        public let organisation: String
        public let validFrom: String
        public let validUntil: String?
    }

    init(iss: String, sub: String, aud: String, exp: Int, iat: Int, auth_time: Int, nonce: String?, acr: String, amr: [String], sid: String) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.auth_time = auth_time
        self.nonce = nonce
        self.acr = acr
        self.amr = amr
        self.sid = sid
    }

    /// Userinfo carries the person's claims, not the token's protocol claims.
    mutating func stripProtocolClaims() {
        iss = nil
        aud = nil
        nonce = nil
        auth_time = nil
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let fixed = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "rrn", "given_name",
                                "family_name", "vo_orgcode", "vo_orgnaam", "sleutel_rights"]

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(iss, forKey: Key("iss"))
        try container.encode(sub, forKey: Key("sub"))
        try container.encodeIfPresent(aud, forKey: Key("aud"))
        if exp > 0 { try container.encode(exp, forKey: Key("exp")) }
        if iat > 0 { try container.encode(iat, forKey: Key("iat")) }
        try container.encodeIfPresent(auth_time, forKey: Key("auth_time"))
        try container.encodeIfPresent(nonce, forKey: Key("nonce"))
        try container.encode(acr, forKey: Key("acr"))
        try container.encode(amr, forKey: Key("amr"))
        try container.encode(sid, forKey: Key("sid"))
        try container.encodeIfPresent(rrn, forKey: Key("rrn"))
        try container.encodeIfPresent(given_name, forKey: Key("given_name"))
        try container.encodeIfPresent(family_name, forKey: Key("family_name"))
        try container.encodeIfPresent(vo_orgcode, forKey: Key("vo_orgcode"))
        try container.encodeIfPresent(vo_orgnaam, forKey: Key("vo_orgnaam"))
        try container.encodeIfPresent(sleutel_rights, forKey: Key("sleutel_rights"))
        if let roles { try container.encode(roles.values, forKey: Key(roles.key)) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        iss = try container.decodeIfPresent(String.self, forKey: Key("iss"))
        sub = try container.decode(String.self, forKey: Key("sub"))
        aud = try container.decodeIfPresent(String.self, forKey: Key("aud"))
        exp = try container.decodeIfPresent(Int.self, forKey: Key("exp")) ?? 0
        iat = try container.decodeIfPresent(Int.self, forKey: Key("iat")) ?? 0
        auth_time = try container.decodeIfPresent(Int.self, forKey: Key("auth_time"))
        nonce = try container.decodeIfPresent(String.self, forKey: Key("nonce"))
        acr = try container.decode(String.self, forKey: Key("acr"))
        amr = try container.decode([String].self, forKey: Key("amr"))
        sid = try container.decode(String.self, forKey: Key("sid"))
        rrn = try container.decodeIfPresent(String.self, forKey: Key("rrn"))
        given_name = try container.decodeIfPresent(String.self, forKey: Key("given_name"))
        family_name = try container.decodeIfPresent(String.self, forKey: Key("family_name"))
        vo_orgcode = try container.decodeIfPresent(String.self, forKey: Key("vo_orgcode"))
        vo_orgnaam = try container.decodeIfPresent(String.self, forKey: Key("vo_orgnaam"))
        sleutel_rights = try container.decodeIfPresent([RightClaim].self, forKey: Key("sleutel_rights"))
        if let key = container.allKeys.first(where: { $0.stringValue.hasSuffix("_rol_3d") && !Self.fixed.contains($0.stringValue) }) {
            roles = (key: key.stringValue, values: try container.decode([String].self, forKey: key))
        }
    }
}

/// Type-erased Encodable for heterogeneous JSON objects.
struct AnyEncodable: Encodable, Sendable {
    private let encodeValue: @Sendable (any Encoder) throws -> Void
    init<T: Encodable & Sendable>(_ value: T) { encodeValue = { try value.encode(to: $0) } }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
