import CryptoCore
import Foundation

/// One relying application registered with the OpenID Connect provider.
public struct OIDCClient: Sendable, Codable, Equatable {
    /// Claims a client may receive beyond `sub`, `acr`, `amr` and the protocol claims.
    public enum Claim: String, Sendable, Codable, CaseIterable {
        /// The national register number (`rrn`): only for clients with a legal basis.
        case rrn
        /// `given_name` and `family_name` as proven by the eID certificate.
        case name
        /// The chosen organisation: `vo_orgcode` (enterprise number) and `vo_orgnaam`.
        case organisation
        /// ACM-style role strings `<app>_rol_3d` (`Right-context:orgcode` or `Right:orgcode`).
        case roles
        /// A structured `sleutel_rights` claim: the rights with contexts and dates.
        case rights
    }

    public let clientId: String
    /// Exact redirect URIs; an authorization request with any other is refused without redirecting.
    public let redirectUris: [String]
    /// The Sessions/Rights application this client logs people in to.
    public let application: String
    /// The claims this client receives.
    public let claims: Set<Claim>
    /// SHA-256 (hex) of the client secret for confidential clients; nil for public clients,
    /// which must use PKCE (PKCE is required of every client).
    public let secretSHA256: String?
    /// Exact URIs the end-session endpoint may send the browser back to after logout
    /// (RP-Initiated Logout 1.0 `post_logout_redirect_uri`).
    public let postLogoutRedirectUris: [String]?
    /// Where Sleutel POSTs a logout token when a session the client logged in with ends
    /// (Back-Channel Logout 1.0); nil: the client is not told.
    public let backchannelLogoutUri: String?

    public init(clientId: String, redirectUris: [String], application: String, claims: Set<Claim>, secretSHA256: String? = nil,
                postLogoutRedirectUris: [String]? = nil, backchannelLogoutUri: String? = nil) {
        self.clientId = clientId
        self.redirectUris = redirectUris
        self.application = application
        self.claims = claims
        self.secretSHA256 = secretSHA256
        self.postLogoutRedirectUris = postLogoutRedirectUris
        self.backchannelLogoutUri = backchannelLogoutUri
    }
}

/// The provider's settings: issuer, signing key, registered clients, lifetimes.
public struct OIDCConfiguration: Sendable {
    /// The issuer URL (`iss`), e.g. `http://127.0.0.1:8080`. Endpoints hang below it.
    public let issuer: String
    /// The ES256 signing key (EC P-256).
    public let signingKey: PrivateKey
    /// Registered clients by id.
    public let clients: [String: OIDCClient]
    /// Key for the pairwise subject identifiers (`sub` differs per client for one person).
    public let pairwiseKey: [UInt8]
    /// Seconds an authorization code stays valid (default 60).
    public var codeLifetime: TimeInterval = 60
    /// Seconds an access token and ID token stay valid (default 300).
    public var tokenLifetime: TimeInterval = 300
    /// Seconds a refresh token stays valid if unused (default 8 hours); it works only while its
    /// session lives, and each use replaces it.
    public var refreshTokenLifetime: TimeInterval = 8 * 3600
    /// Seconds a person has to log in on Sleutel's pages for one authorization request (default 600).
    public var interactionLifetime: TimeInterval = 600
    /// Seconds between looks at a live session for the back-channel logout (default 1): how late,
    /// at most, a client hears that the session ended.
    public var logoutCheckInterval: TimeInterval = 1
    /// Logout-token deliveries tried per client and session before giving up (default 8; the
    /// waits double from 2 s up to 5 minutes).
    public var logoutAttempts = 8

    /// - Throws: ``CryptoError`` when the key is not EC P-256.
    public init(issuer: String, signingKey: PrivateKey, clients: [OIDCClient], pairwiseKey: [UInt8]) throws {
        guard case .ec(_, let bits) = signingKey.kind, bits == 256 else {
            throw OIDCError(.configuration, "the OIDC signing key must be EC P-256 (ES256)")
        }
        self.issuer = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        self.signingKey = signingKey
        self.clients = Dictionary(clients.map { ($0.clientId, $0) }, uniquingKeysWith: { $1 })
        self.pairwiseKey = pairwiseKey
    }

    /// Loads the PEM signing key at `path`, or creates a new P-256 key there (mode 0600).
    public static func signingKey(at path: String) throws -> PrivateKey {
        if FileManager.default.fileExists(atPath: path) {
            return try PrivateKey(pem: String(contentsOfFile: path, encoding: .utf8))
        }
        let key = try PrivateKey.generateEC(curve: .p256)
        guard FileManager.default.createFile(atPath: path, contents: Data(try key.pkcs8PEM().utf8), attributes: [.posixPermissions: 0o600]) else {
            throw OIDCError(.configuration, "cannot write the OIDC signing key to \(path)")
        }
        return key
    }

    /// Loads the 32-byte secret at `path` (the pairwise-subject key), or creates one there
    /// (mode 0600). Keep it: a new key changes every `sub` the clients know.
    public static func secret(at path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else { throw OIDCError(.configuration, "\(path) must hold exactly 32 bytes") }
            return Array(data)
        }
        let secret = SecureRandom.bytes(32)
        guard FileManager.default.createFile(atPath: path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
            throw OIDCError(.configuration, "cannot write the secret to \(path)")
        }
        return secret
    }

    /// Reads registered clients from a JSON array of ``OIDCClient``.
    /// - Throws: ``OIDCError`` `configuration` naming the client and URI when a URI is not an
    ///   absolute `https` URL (or `http` on loopback) without a fragment.
    public static func clients(at path: String) throws -> [OIDCClient] {
        let clients = try JSONDecoder().decode([OIDCClient].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        for client in clients {
            for uri in client.redirectUris + (client.postLogoutRedirectUris ?? []) + (client.backchannelLogoutUri.map { [$0] } ?? [])
            where !isRegistrableURI(uri) {
                throw OIDCError(.configuration, "client \(client.clientId): \(uri) is not an https URL (http only on loopback) without a fragment")
            }
        }
        return clients
    }

    /// Whether `uri` may be registered: absolute, https (http on 127.0.0.1, [::1] or localhost), no fragment.
    static func isRegistrableURI(_ uri: String) -> Bool {
        guard let url = URLComponents(string: uri), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty,
              url.fragment == nil
        else { return false }
        return scheme == "https" || (scheme == "http" && ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host))
    }
}
