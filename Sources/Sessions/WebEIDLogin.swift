import CryptoCore
import Foundation
import OneTimeCodes
import Storage
import WebEID

/// The challenge of a Web eID login: the nonce the card signs, for one origin.
public struct WebEIDChallenge: Sendable, Equatable, Codable {
    /// The transaction identifier (32 hex characters).
    public let transactionID: String
    /// The application the login is for.
    public let application: String
    /// The challenge nonce: base64 of 32 random bytes (44 characters), as the Web eID protocol asks.
    public let nonce: String
    /// The origin (`https://host[:port]`) the token must be made for.
    public let origin: String
    /// When the nonce stops being accepted.
    public let expiresAt: Date
}


extension SessionService {
    // MARK: - eID login with a Web eID token (browser pages)

    /// Starts an eID login from a web page served on `origin`: the page hands the nonce to the Web
    /// eID extension or Sleutel's card agent, which sign it for that origin.
    /// - Parameters:
    ///   - origin: the page's own origin (the server's, never one the browser names), e.g. `https://login.example.be`.
    ///   - cardBinding: for a kiosk, the card in the local reader (the session ends when it leaves).
    /// - Throws: `invalidInput` for a malformed application id or origin.
    public func beginWebEIDLogin(application: String, origin: String, cardBinding: String? = nil) throws(SessionsError) -> WebEIDChallenge {
        try Self.checkIdentifier(application, what: "application id")
        if let cardBinding { try Self.checkIdentifier(cardBinding, what: "card binding") }
        guard let origin = WebEID.checkedOrigin(origin) else {
            throw SessionsError(.invalidInput, "the origin must be https://host[:port] (http only on loopback), lowercase, without a path")
        }
        let now = clock.now()
        let challenge = WebEIDChallenge(transactionID: Hex.encode(SecureRandom.bytes(16)), application: application,
                                        nonce: Data(SecureRandom.bytes(32)).base64EncodedString(), origin: origin,
                                        expiresAt: now.addingTimeInterval(configuration.challengeLifetime))
        let record = LoginTransactionRecord(id: challenge.transactionID, kind: "webeid", application: application,
                                            challenge: Data(challenge.nonce.utf8), cardBinding: cardBinding, createdAt: now,
                                            expiresAt: challenge.expiresAt, origin: origin)
        try store { db in try LoginTransactionRecord.insert(record, in: db) }
        return challenge
    }

    /// Completes a Web eID login: the token must be made for the transaction's origin and nonce
    /// (single use, even when the proof then fails), its signature must verify with the
    /// certificate's key under the token's algorithm, and Trust must accept the certificate (path
    /// to the roots, key strength, revocation). Opens a session at level 500 for the national
    /// register number in the certificate, or raises `stepUpToken`'s session.
    /// - Parameter origin: the origin the completing request came to (the server's own); it must
    ///   equal the one the login was started for.
    /// - Throws: ``SessionsError`` `challengeInvalid` (unknown, expired, used, or another origin),
    ///   `invalidInput` (malformed token), `signatureInvalid`, `certificateRefused`, `sessionInvalid`
    ///   or `personMismatch` for a step-up.
    public func completeWebEIDLogin(transactionID: String, token: WebEIDToken, origin: String,
                                    stepUpToken: String? = nil) throws(SessionsError) -> IssuedSession {
        let now = clock.now()
        guard transactionID.utf8.count == 32 else { throw SessionsError(.challengeInvalid, "the transaction id is not 32 lowercase hex characters") }
        let pending: LoginTransactionRecord?
        do {
            pending = try database.read { db in try LoginTransactionRecord.pending(id: transactionID, kind: "webeid", at: now, in: db) }
        } catch {
            throw SessionsError(.storage, "session store: \(error)")
        }
        guard let pending, let boundOrigin = pending.origin else {
            throw SessionsError(.challengeInvalid, "the login transaction is unknown, expired or already used")
        }
        let proof: EIDProof
        do throws(SessionsError) {
            guard boundOrigin == origin else { throw SessionsError(.challengeInvalid, "the login was started for another origin") }
            let parsed = try Self.parse(token)
            let message = WebEID.signedData(origin: boundOrigin, nonce: String(decoding: pending.challenge, as: UTF8.self), digest: parsed.algorithm.digest)
            proof = try verifier.verify(signature: parsed.signature, over: message, certificate: parsed.certificate,
                                        intermediates: parsed.intermediates.isEmpty ? configuration.knownIntermediates : parsed.intermediates,
                                        at: now, scheme: parsed.algorithm)
        } catch {
            _ = try? spendTransaction(transactionID, kind: "webeid", at: now)  // a failed answer spends the nonce too
            throw error
        }
        let issued: IssuedSession
        if let stepUpToken {
            guard try spendTransaction(transactionID, kind: "webeid", at: now) else {
                throw SessionsError(.challengeInvalid, "the login transaction is unknown, expired or already used")
            }
            issued = try stepUp(token: stepUpToken, person: proof.nationalNumber, method: .eidPin, at: now)
        } else {
            issued = try open(person: proof.nationalNumber, method: .eidPin, cardBinding: pending.cardBinding, at: now,
                              givenName: proof.givenName, familyName: proof.familyName, consuming: (transactionID, "webeid"))
        }
        _ = try? codes?.clearLocks(person: proof.nationalNumber)
        return issued
    }

    private struct ParsedToken {
        let algorithm: WebEID.Algorithm
        let certificate: [UInt8]
        let intermediates: [[UInt8]]
        let signature: [UInt8]
    }

    /// The token's parts, or `invalidInput` saying which is wrong. Sizes are bounded before decoding.
    private static func parse(_ token: WebEIDToken) throws(SessionsError) -> ParsedToken {
        guard token.format == "web-eid:1" || token.format.hasPrefix("web-eid:1.") else {
            throw SessionsError(.invalidInput, "the token format must be web-eid:1.0")
        }
        guard let algorithm = WebEID.Algorithm(token.algorithm) else {
            throw SessionsError(.invalidInput, "the token algorithm must be one of ES256/384/512, RS256/384/512, PS256/384/512")
        }
        func base64(_ text: String, _ what: String, limit: Int) throws(SessionsError) -> [UInt8] {
            guard text.utf8.count <= limit * 4 / 3 + 4, let data = Data(base64Encoded: text), !data.isEmpty else {
                throw SessionsError(.invalidInput, "the token's \(what) is not base64 of at most \(limit) bytes")
            }
            return Array(data)
        }
        let intermediates = token.unverifiedIntermediateCertificates ?? []
        guard intermediates.count <= 4 else { throw SessionsError(.invalidInput, "the token carries more than 4 intermediate certificates") }
        return ParsedToken(algorithm: algorithm, certificate: try base64(token.unverifiedCertificate, "certificate", limit: 8192),
                           intermediates: try intermediates.map { text throws(SessionsError) in try base64(text, "intermediate certificate", limit: 8192) },
                           signature: try base64(token.signature, "signature", limit: 1024))
    }
}
