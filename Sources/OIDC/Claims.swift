import CryptoCore
import Foundation
import Rights
import Sessions

/// The claims of ID tokens and userinfo: pairwise subject, level and methods, the person and the
/// chosen organisation with its rights, each client receiving only the claims it is registered for.
extension OIDCProvider {
    struct OrganisationClaims {
        let number: String
        let name: String?
        let rights: [EffectiveRight]
    }

    func organisationName(_ number: KBONumber) -> String? {
        try? rights?.organisationName(number)
    }

    /// The application's registered name, or its id.
    func applicationName(_ id: String) -> String {
        (try? rights?.application(id))??.name ?? id
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
    /// The ID token's binding to its access token (OpenID Connect Core §3.1.3.6): base64url of the
    /// left half of the SHA-256 of the token.
    public var at_hash: String?
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

    /// Encodes the snapshot stored with a code and an access token (sorted keys, slashes as they are).
    static let snapshotEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Decodes that snapshot at the token and userinfo endpoints.
    static let snapshotDecoder = JSONDecoder()

    /// Userinfo carries the person's claims, not the token's protocol claims.
    mutating func stripProtocolClaims() {
        iss = nil
        aud = nil
        nonce = nil
        auth_time = nil
        at_hash = nil
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let fixed = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "acr", "amr", "sid", "rrn", "given_name",
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
        try container.encodeIfPresent(at_hash, forKey: Key("at_hash"))
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
        at_hash = try container.decodeIfPresent(String.self, forKey: Key("at_hash"))
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
