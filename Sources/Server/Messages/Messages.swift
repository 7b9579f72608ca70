import CardBinding
import Foundation
import Hummingbird
import Rights
import Sessions
import Trust

// Request and reply bodies of the HTTP API. Binary values travel as base64 strings, dates as
// ISO 8601; the shapes are documented in openapi.json.

struct ChallengeRequest: Decodable {
    let application: String
    let cardBinding: String?
}

struct ChallengeReply: Encodable {
    let transactionId: String
    let application: String
    let challenge: Data
    /// Exactly the bytes the card must sign.
    let toBeSigned: Data
    let expiresAt: Date

    init(_ challenge: EIDChallenge) {
        transactionId = challenge.transactionID
        application = challenge.application
        self.challenge = Data(challenge.challenge)
        toBeSigned = Data(challenge.toBeSigned)
        expiresAt = challenge.expiresAt
    }
}

struct EIDLoginRequest: Decodable {
    let transactionId: String
    let signature: Data
    let certificate: Data
    let intermediates: [Data]?
}

struct SessionReply: Encodable {
    let id: String
    let method: String
    let level: Int
    let acr: String
    let authenticatedAt: Date
    /// The session's last eID card login (key activation needs one within 10 minutes).
    let cardAuthenticatedAt: Date?
    let expiresAt: Date
    let idleTimeoutSeconds: Int
    let cardBound: Bool
    let organisation: String?
    let application: String?
    /// Whether the session carries a national register number (the number itself is not returned).
    let linkedIdentity: Bool

    init(_ session: Session) {
        id = session.id
        method = session.method.rawValue
        level = session.level.fasLevel
        acr = session.level.acr
        authenticatedAt = session.authenticatedAt
        cardAuthenticatedAt = session.cardAuthenticatedAt
        expiresAt = session.expiresAt
        idleTimeoutSeconds = Int(session.idleTimeout)
        cardBound = session.cardBinding != nil
        organisation = session.organisation
        application = session.application
        linkedIdentity = session.person != nil
    }
}

struct IssuedReply: Encodable {
    let token: String
    let session: SessionReply

    init(_ issued: IssuedSession) {
        token = issued.token
        session = SessionReply(issued.session)
    }
}

struct OrganisationRequest: Decodable {
    let application: String
    let organisation: String?
}

struct DecisionReply: Encodable {
    /// allowed, chooseOrganisation, stepUpRequired or refused.
    let decision: String
    let organisation: String?
    let rights: [EffectiveRight]?
    let organisations: [String]?
    /// Display names of the organisation(s) above, by number, where the KBO data has one.
    let organisationNames: [String: String]?
    let minimumLevel: Int?
    let reason: String?
    let message: String?

    /// - Parameter names: display names of the decision's organisations.
    init(_ decision: LoginDecision, names: [KBONumber: String] = [:]) {
        let named = names.isEmpty ? nil : Dictionary(uniqueKeysWithValues: names.map { ($0.key.digits, $0.value) })
        switch decision {
        case .allowed(let organisation, let rights):
            self.init(decision: "allowed", organisation: organisation.digits, rights: rights, organisationNames: named)
        case .chooseOrganisation(let organisations):
            self.init(decision: "chooseOrganisation", organisations: organisations.map(\.digits), organisationNames: named)
        case .stepUpRequired(let minimum):
            self.init(decision: "stepUpRequired", minimumLevel: minimum)
        case .refused(let reason, let message):
            self.init(decision: "refused", reason: "rights.\(reason)", message: message)
        }
    }

    private init(decision: String, organisation: String? = nil, rights: [EffectiveRight]? = nil, organisations: [String]? = nil,
                 organisationNames: [String: String]? = nil, minimumLevel: Int? = nil, reason: String? = nil, message: String? = nil) {
        self.decision = decision
        self.organisation = organisation
        self.rights = rights
        self.organisations = organisations
        self.organisationNames = organisationNames
        self.minimumLevel = minimumLevel
        self.reason = reason
        self.message = message
    }

    /// The organisations a decision names (the chosen one, or those to choose from).
    static func organisations(of decision: LoginDecision) -> [KBONumber] {
        switch decision {
        case .allowed(let organisation, _): [organisation]
        case .chooseOrganisation(let organisations): organisations
        case .stepUpRequired, .refused: []
        }
    }

    static func status(of decision: LoginDecision) -> HTTPResponse.Status {
        switch decision {
        case .allowed, .chooseOrganisation: .ok
        case .stepUpRequired, .refused: .forbidden
        }
    }
}

struct RightsReply: Encodable {
    let at: Date
    let organisations: [OrganisationRights]
}

struct KeyCheckRequest: Decodable {
    /// PEM text (SPKI, PKCS#1, certificate) or an OpenSSH public key line.
    let pem: String?
    /// DER bytes in base64.
    let der: Data?
    /// nist (default), bsi or anssi.
    let policy: String?
}

struct KeyCheckReply: Encodable {
    let acceptable: Bool
    let verdicts: [KeyVerdict]
    /// Why no key could be read, when none could.
    let problem: String?
}

struct HealthReply: Encodable {
    let status: String
    let database: Bool
    let reader: ReaderHealth?
}
