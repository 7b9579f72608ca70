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
    let keys: SigningKeys
    var database: Storage.Database { sessions.database }

    public init(configuration: OIDCConfiguration, sessions: SessionService, rights: RightsService?) throws {
        self.configuration = configuration
        self.sessions = sessions
        self.rights = rights
        self.keys = try SigningKeys(fallback: configuration.signingKey, database: sessions.database)
    }

    // MARK: - Discovery

    /// The discovery document (`/.well-known/openid-configuration`).
    public var discovery: DiscoveryDocument { DiscoveryDocument(configuration, clients: allClients) }

    // MARK: - Clients

    /// The clients registered in the database (`sleutel oidc client …`).
    public var registry: ClientRegistry { ClientRegistry(database: database) }

    /// The client `id`: from the database (read on each request, so changes need no restart),
    /// else from the configuration.
    public func client(_ id: String) -> OIDCClient? {
        if let registered = try? registry.client(id) { return registered }
        return configuration.clients[id]
    }

    /// Every client, the database's replacing the configuration's of the same id.
    var allClients: [OIDCClient] {
        var clients = configuration.clients
        for client in (try? registry.all()) ?? [] { clients[client.clientId] = client }
        return clients.values.sorted { $0.clientId < $1.clientId }
    }

    /// The JWKS (`/oidc/jwks`): the signing key, the next one once rotated in, the previous one
    /// until its tokens expired.
    public var jwks: [String: [[String: String]]] { ["keys": keys.published(at: sessions.clock.now()).map(\.signer.jwk)] }

    // MARK: - Token endpoint

    /// The token response.
    public struct TokenResponse: Sendable, Encodable {
        public let access_token: String
        public let token_type: String
        public let expires_in: Int
        public let id_token: String
        /// The next refresh token of the family (rotated on every use).
        public let refresh_token: String
        public let scope: String
    }

    /// The token endpoint (form parameters of the token request): `authorization_code` with the
    /// PKCE verifier, or `refresh_token` (rotated: each is spent on use; presenting a spent one
    /// revokes its whole family and the family's access tokens). Both need the session to live.
    /// - Parameter basicCredentials: client id and secret from an HTTP Basic header, if any.
    /// - Throws: ``OIDCError`` `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`.
    public func token(form: [String: String], basicCredentials: (String, String)?) throws -> TokenResponse {
        let grant = form["grant_type"]
        guard grant == "authorization_code" || grant == "refresh_token" else {
            throw OIDCError(.unsupportedGrantType, "grant_type must be authorization_code or refresh_token")
        }
        let clientID = basicCredentials?.0 ?? form["client_id"]
        guard let clientID, let client = client(clientID) else { throw OIDCError(.invalidClient, "unknown client") }
        if let expected = client.secretSHA256 {
            guard let secret = basicCredentials?.1 ?? form["client_secret"],
                  constantTimeEquals(Array(Hex.encode(DigestAlgorithm.sha256.hash(Array(secret.utf8))).utf8), Array(expected.lowercased().utf8)) else {
                throw OIDCError(.invalidClient, "client authentication failed")
            }
        }
        return grant == "refresh_token" ? try refresh(form: form, client: client) : try exchange(form: form, client: client)
    }

    /// The authorization-code grant.
    private func exchange(form: [String: String], client: OIDCClient) throws -> TokenResponse {
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
                try OIDCRefreshTokenRecord.revoke(family: codeHash, at: now, in: db)
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
        guard constantTimeEquals(Array(Base64URL.encode(DigestAlgorithm.sha256.hash(Array(verifier.utf8))).utf8), Array(grant.codeChallenge.utf8)) else {
            throw OIDCError(.invalidGrant, "code_verifier does not match code_challenge")
        }
        return try issueTokens(snapshot: grant.claims, client: client, family: codeHash, at: now)
    }

    /// The refresh-token grant: spends the token and issues the next of its family.
    private func refresh(form: [String: String], client: OIDCClient) throws -> TokenResponse {
        guard let presented = form["refresh_token"], !presented.isEmpty, presented.utf8.count <= 512 else {
            throw OIDCError(.invalidRequest, "refresh_token is required")
        }
        let now = sessions.clock.now()
        let tokenHash = Data(Self.hash(presented))
        let spent = try database.write { db -> OIDCRefreshTokenRecord? in
            if let record = try OIDCRefreshTokenRecord.spend(tokenHash: tokenHash, at: now, in: db) { return record }
            // Spent, revoked or expired: a copy is in other hands. End the family (RFC 9700 §4.14.2).
            if let family = try OIDCRefreshTokenRecord.family(of: tokenHash, in: db) {
                try OIDCRefreshTokenRecord.revoke(family: family, at: now, in: db)
                try OIDCAccessTokenRecord.revoke(madeFrom: family, at: now, in: db)
            }
            return nil
        }
        guard let spent else { throw OIDCError(.invalidGrant, "the refresh token is unknown, expired, revoked or already used") }
        guard spent.clientID == client.clientId else {
            try database.write { db in
                try OIDCRefreshTokenRecord.revoke(family: spent.familyHash, at: now, in: db)
                try OIDCAccessTokenRecord.revoke(madeFrom: spent.familyHash, at: now, in: db)
            }
            throw OIDCError(.invalidGrant, "the refresh token was issued to another client")
        }
        return try issueTokens(snapshot: spent.claims, client: client, family: spent.familyHash, at: now)
    }

    /// A new ID token, access token and refresh token of `family` for the login of `snapshot`,
    /// while its session lives.
    private func issueTokens(snapshot: String, client: OIDCClient, family: Data, at now: Date) throws -> TokenResponse {
        var claims = try ClaimSet.snapshotDecoder.decode(ClaimSet.self, from: Data(snapshot.utf8))
        guard sessions.isLive(sessionID: claims.sid) else { throw OIDCError(.invalidGrant, "the session has ended") }
        claims.iat = Int(now.timeIntervalSince1970)
        claims.exp = claims.iat + Int(configuration.tokenLifetime)
        let accessToken = Self.randomToken()
        let refreshToken = Self.randomToken()
        claims.at_hash = Self.atHash(accessToken)
        let idToken = try keys.current(at: now).sign(claims)
        let access = OIDCAccessTokenRecord(tokenHash: Data(Self.hash(accessToken)), clientID: client.clientId, sessionID: claims.sid,
                                           codeHash: family, claims: snapshot, expiresAt: now.addingTimeInterval(configuration.tokenLifetime))
        let refresh = OIDCRefreshTokenRecord(tokenHash: Data(Self.hash(refreshToken)), familyHash: family, clientID: client.clientId,
                                             sessionID: claims.sid, claims: snapshot, createdAt: now,
                                             expiresAt: now.addingTimeInterval(configuration.refreshTokenLifetime))
        try database.write { db in
            try OIDCAccessTokenRecord.insert(access, in: db)
            try OIDCRefreshTokenRecord.insert(refresh, in: db)
        }
        return TokenResponse(access_token: accessToken, token_type: "Bearer", expires_in: Int(configuration.tokenLifetime),
                             id_token: idToken, refresh_token: refreshToken, scope: "openid")
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
                + OIDCInteractionRecord.purge(expiredBefore: now, in: db)
                + OIDCRefreshTokenRecord.purge(expiredBefore: now, in: db)
                + OIDCSigningKeyRecord.purge(retiredBefore: now, in: db)
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

    /// `at_hash` of an access token for ES256 ID tokens: the left half of its SHA-256, base64url.
    static func atHash(_ accessToken: String) -> String {
        Base64URL.encode(Array(DigestAlgorithm.sha256.hash(Array(accessToken.utf8)).prefix(16)))
    }
}
