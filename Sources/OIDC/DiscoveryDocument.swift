import Sessions

/// The provider's metadata (OpenID Connect Discovery 1.0 §3), served at
/// `/.well-known/openid-configuration`: the endpoints under the issuer, the one flow (code with
/// PKCE S256), pairwise subjects, ES256 ID tokens, and the claims the registered clients receive.
public struct DiscoveryDocument: Sendable, Encodable, Equatable {
    public let issuer: String
    public let authorizationEndpoint: String
    public let tokenEndpoint: String
    public let userinfoEndpoint: String
    public let jwksURI: String
    public let endSessionEndpoint: String
    public let backchannelLogoutSupported = true
    public let backchannelLogoutSessionSupported = true
    public let frontchannelLogoutSupported = false
    public let claimsParameterSupported = false
    public let requestParameterSupported = false
    public let uiLocalesSupported = ["nl", "en"]
    public let promptValuesSupported = ["none", "login", "consent", "select_account"]
    public let responseTypesSupported = ["code"]
    public let grantTypesSupported = ["authorization_code", "refresh_token"]
    public let subjectTypesSupported = ["pairwise"]
    public let idTokenSigningAlgValuesSupported = ["ES256"]
    public let tokenEndpointAuthMethodsSupported = ["none", "client_secret_basic", "client_secret_post"]
    public let codeChallengeMethodsSupported = ["S256"]
    public let scopesSupported = ["openid", "profile"]
    public let claimsSupported: [String]
    public let acrValuesSupported: [String]

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case userinfoEndpoint = "userinfo_endpoint"
        case jwksURI = "jwks_uri"
        case endSessionEndpoint = "end_session_endpoint"
        case backchannelLogoutSupported = "backchannel_logout_supported"
        case backchannelLogoutSessionSupported = "backchannel_logout_session_supported"
        case frontchannelLogoutSupported = "frontchannel_logout_supported"
        case claimsParameterSupported = "claims_parameter_supported"
        case requestParameterSupported = "request_parameter_supported"
        case uiLocalesSupported = "ui_locales_supported"
        case promptValuesSupported = "prompt_values_supported"
        case responseTypesSupported = "response_types_supported"
        case grantTypesSupported = "grant_types_supported"
        case subjectTypesSupported = "subject_types_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case scopesSupported = "scopes_supported"
        case claimsSupported = "claims_supported"
        case acrValuesSupported = "acr_values_supported"
    }

    init(_ configuration: OIDCConfiguration, clients: [OIDCClient]) {
        let issuer = configuration.issuer
        self.issuer = issuer
        authorizationEndpoint = "\(issuer)/oidc/authorize"
        tokenEndpoint = "\(issuer)/oidc/token"
        userinfoEndpoint = "\(issuer)/oidc/userinfo"
        jwksURI = "\(issuer)/oidc/jwks"
        endSessionEndpoint = "\(issuer)/oidc/logout"
        let extraClaims = Set(clients.flatMap { $0.claims })
        var claims = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"]
        if extraClaims.contains(.rrn) { claims.append("rrn") }
        if extraClaims.contains(.name) { claims += ["given_name", "family_name"] }
        if extraClaims.contains(.organisation) { claims += ["vo_orgcode", "vo_orgnaam"] }
        if extraClaims.contains(.rights) { claims.append("sleutel_rights") }
        if extraClaims.contains(.roles) { claims += Set(clients.map { "\($0.application)_rol_3d" }).sorted() }
        claimsSupported = claims
        acrValuesSupported = [500, 400, 350, 200, 100].map { AssuranceLevel($0).acr }
    }
}
