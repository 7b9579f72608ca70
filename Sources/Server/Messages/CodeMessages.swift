import Foundation
import OneTimeCodes
import Sessions

// Request and reply bodies of the security-code login, the key management of "Mijn digitale
// sleutels" and the service validation endpoint (openapi.json documents them).

struct CodeLoginRequest: Decodable {
    let application: String
    let username: String
    let password: String
}

struct CodeLoginReply: Encodable {
    struct Offer: Encodable {
        let factor: String
        let level: Int
    }

    let transactionId: String
    let application: String
    let expiresAt: Date
    let factors: [Offer]

    init(_ start: CodeLoginStart) {
        transactionId = start.transactionID
        application = start.application
        expiresAt = start.expiresAt
        factors = start.factors.map { Offer(factor: $0.factor.rawValue, level: $0.level.fasLevel) }
    }
}

struct CodeSendRequest: Decodable {
    let transactionId: String
    let factor: CodeFactor
}

struct CodeCompleteRequest: Decodable {
    let transactionId: String
    let factor: CodeFactor
    let code: String?
}

struct ChallengeTicketReply: Encodable {
    let challengeId: String?
    let channel: String
    /// The destination with most characters hidden (`+32******789`, `j***@example.be`).
    let maskedDestination: String
    let expiresAt: Date

    /// - Parameter exposeID: whether the client needs the challenge id (enrolment confirms by it;
    ///   a login keeps it on the transaction).
    init(_ ticket: ChallengeTicket, exposeID: Bool) {
        challengeId = exposeID ? ticket.id : nil
        channel = ticket.channel.rawValue
        maskedDestination = ticket.maskedDestination
        expiresAt = ticket.expiresAt
    }
}

struct KeySummaryReply: Encodable {
    let id: String
    let kind: String
    let state: String
    let enrolledAtLevel: Int
    let createdAt: Date
    let lastUsedAt: Date?

    init(_ summary: CredentialSummary) {
        id = summary.id
        kind = summary.kind.rawValue
        state = summary.state.rawValue
        enrolledAtLevel = summary.enrolledAtLevel
        createdAt = summary.createdAt
        lastUsedAt = summary.lastUsedAt
    }
}

struct KeysReply: Encodable {
    let keys: [KeySummaryReply]
}

struct TOTPEnrollRequest: Decodable {
    /// The account label shown in the authenticator app (default: the username, or "Sleutel").
    let account: String?
    /// SHA1 (default), SHA256 or SHA512.
    let algorithm: String?
    let digits: Int?
    let period: Int?
}

struct TOTPEnrollReply: Encodable {
    let credentialId: String
    /// The seed in base32, for manual entry.
    let secret: String
    let uri: String
    /// The URI as a QR code, PNG in base64 (empty when QR rendering is unavailable).
    let qrPng: Data

    init(_ enrollment: TOTPEnrollment) {
        credentialId = enrollment.credentialID
        secret = enrollment.secret
        uri = enrollment.uri
        qrPng = Data(enrollment.qrPNG)
    }
}

struct TOTPConfirmRequest: Decodable {
    let credentialId: String
    let code: String
}

struct DestinationRequest: Decodable {
    let channel: OutgoingCode.Channel
    /// E.164 phone number (+32…) or e-mail address.
    let destination: String
}

struct DestinationConfirmRequest: Decodable {
    let challengeId: String
    let code: String
}

struct PasswordRequest: Decodable {
    let username: String
    let password: String
}

struct ValidateRequest: Decodable {
    /// The account (its active TOTP keys are tried) …
    let username: String?
    /// … or one token by its serial (credential id).
    let serial: String?
    let code: String
    /// The end user's IP address as the relying service saw it. Rate limits then count per user
    /// address; without it they count per relying service (its own address), shared by all its users.
    let client: String?
}

struct ValidateReply: Encodable {
    let accepted: Bool
}
