import CryptoCore
import Foundation
import OneTimeCodes
import Rights
import Storage
import Trust

/// Turns a proof of identity into a session with a level of assurance, and guards what a session
/// may reach (spec §10–§11, issue 6).
///
/// eID login is a challenge-response: ``beginEIDLogin(application:cardBinding:)`` hands out a
/// random challenge bound to a transaction; the card signs ``EIDChallenge/toBeSigned`` with its
/// authentication key after PIN verification; ``completeEIDLogin(transactionID:signature:certificate:intermediates:stepUpToken:)``
/// consumes the transaction (single use, even when the proof then fails), verifies the signature
/// with the certificate's key, has Trust validate the chain, revocation and key strength, and
/// opens a session at FAS level 500 for the national register number in the certificate.
///
/// Tokens are 256-bit random bearer tokens; the store keeps only their SHA-256. Sessions end at
/// an absolute expiry, after an idle timeout, on revocation, or — for kiosks — when the card they
/// are bound to is removed (``endSessions(cardBinding:reason:)``).
public final class SessionService: Sendable {
    public let database: Storage.Database
    public let configuration: SessionsConfiguration
    public let clock: SessionsClock
    /// Resolves organisations and rights for organisation choice; nil when rights are not used.
    public let rights: RightsService?
    /// Checks passwords and security codes for the security-code login; nil when only eID is offered.
    public let codes: OneTimeCodesService?
    let verifier: EIDProofVerifier

    /// - Parameters:
    ///   - database: a database with ``SessionsSchema/migrations`` registered.
    ///   - trust: validates the authentication certificate's chain, revocation and key strength.
    ///   - rights: the Rights service for organisation choice (nil: no organisation context).
    ///   - codes: the OneTimeCodes service for password + security-code logins (nil: eID only).
    ///   - configuration: lifetimes and per-application access rules.
    ///   - clock: the clock every operation reads once.
    public init(database: Storage.Database, trust: EIDProofVerifier, rights: RightsService? = nil, codes: OneTimeCodesService? = nil,
                configuration: SessionsConfiguration = SessionsConfiguration(), clock: SessionsClock = .system) {
        self.database = database
        self.verifier = trust
        self.rights = rights
        self.codes = codes
        self.configuration = configuration
        self.clock = clock
    }

    // MARK: - eID login

    /// Starts an eID login for `application`.
    /// - Parameters:
    ///   - application: the application id (1–128 printable characters, no line breaks).
    ///   - cardBinding: for a kiosk, an identifier of the card in the local reader; the session
    ///     then ends when that card is removed.
    /// - Returns: the challenge the card must sign, valid for ``SessionsConfiguration/challengeLifetime``.
    public func beginEIDLogin(application: String, cardBinding: String? = nil) throws(SessionsError) -> EIDChallenge {
        try Self.checkIdentifier(application, what: "application id")
        if let cardBinding { try Self.checkIdentifier(cardBinding, what: "card binding") }
        let now = clock.now()
        let challenge = EIDChallenge(
            transactionID: Hex.encode(SecureRandom.bytes(16)),
            application: application,
            challenge: SecureRandom.bytes(32),
            expiresAt: now.addingTimeInterval(configuration.challengeLifetime)
        )
        try store { db in
            try LoginTransactionRecord.insert(LoginTransactionRecord(id: challenge.transactionID, kind: "eid", application: application,
                                                                     challenge: Data(challenge.challenge), cardBinding: cardBinding,
                                                                     createdAt: now, expiresAt: challenge.expiresAt), in: db)
        }
        return challenge
    }

    /// Completes an eID login with the card's answer.
    /// - Parameters:
    ///   - transactionID: from ``EIDChallenge/transactionID``.
    ///   - signature: the card's signature over ``EIDChallenge/toBeSigned`` (raw RSA PKCS#1 v1.5
    ///     SHA-256, or DER ECDSA SHA-384).
    ///   - certificate: the card's authentication certificate (DER).
    ///   - intermediates: the issuing CA certificates from the card (DER).
    ///   - stepUpToken: the token of an existing session of the same person to raise instead of
    ///     opening a new one; its token is replaced (the old one stops working).
    /// - Returns: the session at level 500 and its new token.
    /// - Throws: ``SessionsError`` `challengeInvalid` (unknown, expired, used), `invalidInput`,
    ///   `signatureInvalid`, `certificateRefused` (with the Trust rule), `sessionInvalid` or
    ///   `personMismatch` for a step-up.
    public func completeEIDLogin(transactionID: String, signature: [UInt8], certificate: [UInt8], intermediates: [[UInt8]] = [],
                                 stepUpToken: String? = nil) throws(SessionsError) -> IssuedSession {
        let now = clock.now()
        let transaction = try pendingTransaction(transactionID, kind: "eid", at: now)
        let message = EIDChallenge.message(transactionID: transactionID, application: transaction.application, challenge: transaction.challenge)
        let proof: EIDProof
        do {
            proof = try verifier.verify(signature: signature, over: message, certificate: certificate, intermediates: intermediates, at: now)
        } catch {
            _ = try? spendTransaction(transactionID, kind: "eid", at: now)  // a failed answer spends the challenge too
            throw error
        }
        let issued: IssuedSession
        if let stepUpToken {
            guard try spendTransaction(transactionID, kind: "eid", at: now) else {
                throw SessionsError(.challengeInvalid, "the login transaction is unknown, expired or already used")
            }
            issued = try stepUp(token: stepUpToken, person: proof.nationalNumber, method: .eidPin, at: now)
        } else {
            issued = try open(person: proof.nationalNumber, method: .eidPin, cardBinding: transaction.cardBinding, at: now,
                              givenName: proof.givenName, familyName: proof.familyName, consuming: (transactionID, "eid"))
        }
        // The card proves the owner: whatever locks an attacker caused on their password and codes end.
        _ = try? codes?.clearLocks(person: proof.nationalNumber)
        return issued
    }

    // MARK: - Sessions

    /// The live session of `token`, after marking it used (which restarts the idle timer).
    /// - Throws: ``SessionsError`` `sessionInvalid` for an unknown, expired, idle, ended or malformed token.
    public func authenticate(token: String) throws(SessionsError) -> Session {
        let now = clock.now()
        let hash = Data(try Self.tokenHash(token))
        // Most requests find a live session used less than `touchInterval` ago: a read, no write.
        let seen: Session?
        do {
            seen = try database.read { db in try SessionRecord.findUnended(tokenHash: hash, in: db).map(Self.session) }
        } catch {
            throw SessionsError(.storage, "session store: \(error)")
        }
        guard let seen else { throw SessionsError(.sessionInvalid, "no live session for this token") }
        if now < seen.expiresAt, now.timeIntervalSince(seen.lastUsedAt) <= seen.idleTimeout,
           now.timeIntervalSince(seen.lastUsedAt) < Self.touchInterval {
            return try withCurrentOrganisation(seen, at: now)
        }
        let live = try store { db -> Session? in
            guard var record = try SessionRecord.find(tokenHash: hash, in: db), record.endedAt == nil else { return nil }
            if now >= record.expiresAt {
                try SessionRecord.end(.id(record.id), at: now, reason: "expired", in: db)
                return nil
            }
            if now.timeIntervalSince(record.lastUsedAt) > record.idleTimeout {
                try SessionRecord.end(.id(record.id), at: now, reason: "idle", in: db)
                return nil
            }
            try SessionRecord.touch(id: record.id, at: now, in: db)
            record.lastUsedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970)  // as the store now holds it
            return try Self.session(record)
        }
        guard let live else { throw SessionsError(.sessionInvalid, "no live session for this token") }
        return try withCurrentOrganisation(live, at: now)
    }

    /// `session` with its organisation checked again against Rights: when the person may no longer
    /// act for it in the application (the right ended or was revoked, the level no longer suffices),
    /// the organisation is cleared here and in the store, so it is neither reported nor used.
    private func withCurrentOrganisation(_ session: Session, at now: Date) throws(SessionsError) -> Session {
        guard let organisation = session.organisation, let application = session.application, let rights else { return session }
        let decision: LoginDecision
        do {
            let person = try session.person.map { text throws(RightsError) in try INSZ(text, origin: .certificate, today: LocalDate(now)) }
            decision = try rights.loginDecision(person: person, application: application, organisation: KBONumber(organisation),
                                                sessionLevel: session.level.fasLevel, at: now)
        } catch is RightsError {
            // A number or organisation Rights cannot read can hold no right.
            decision = .refused(reason: .noLinkedIdentity, message: RightsError.refusalText)
        } catch {
            throw SessionsError(.storage, "rights resolution failed: \(error)")
        }
        if case .allowed(let chosen, _) = decision, chosen.digits == organisation { return session }
        try store { db in try SessionRecord.clearOrganisation(id: session.id, ifStill: organisation, in: db) }
        return session.withoutOrganisation()
    }

    /// How stale `last_used_at` may be before ``authenticate(token:)`` writes it again: the idle
    /// timer is exact to this interval, and a burst of requests on one session costs one write.
    static let touchInterval: TimeInterval = 1

    /// Whether the session with public identifier `sessionID` is still live (not ended, not
    /// expired, not idle too long), without marking it used. Tokens derived from a session (OIDC
    /// access tokens) stop working with it.
    public func isLive(sessionID: String) -> Bool {
        let now = clock.now()
        return (try? database.read { db in try SessionRecord.isLive(id: sessionID, at: now, in: db) }) == true
    }

    /// Which of the sessions `sessionIDs` are still live (like ``isLive(sessionID:)``, for a batch:
    /// the back-channel logout asks which sessions its clients' logins have lost).
    public func liveSessions(among sessionIDs: [String]) throws(SessionsError) -> Set<String> {
        let now = clock.now()
        do {
            return try database.read { db in try SessionRecord.live(ids: sessionIDs, at: now, in: db) }
        } catch {
            throw SessionsError(.storage, "the sessions could not be read: \(error)")
        }
    }

    /// The live session of `token` if it may be used for `application` (spec §11.2).
    /// - Throws: `sessionInvalid`; `stepUpRequired` with the needed level when the session is too
    ///   weak (not a rights failure); `methodNotAccepted` when the application refuses the method.
    public func requireAccess(token: String, application: String) throws(SessionsError) -> Session {
        try Self.checkIdentifier(application, what: "application id")
        let rule = try rule(for: application)
        let session = try authenticate(token: token)
        try Self.check(session, against: rule, application: application)
        return session
    }

    /// The access rule of `application` (spec §11.2): the minimum level and accepted keys of its
    /// definition in Rights (`sleutel rights define-application`), else the configuration's rule
    /// for it, else ``SessionsConfiguration/defaultRule``.
    public func rule(for application: String) throws(SessionsError) -> AccessRule {
        if let rights {
            let definition: ApplicationDefinition?
            do { definition = try rights.application(application) } catch {
                throw SessionsError(.storage, "application policy: \(error)")
            }
            if let definition {
                return AccessRule(minimumLevel: AssuranceLevel(definition.minimumAssurance),
                                  acceptedMethods: definition.acceptedKeys.map { Set($0.flatMap(AuthMethod.methods(forKey:))) })
            }
        }
        return configuration.rule(for: application)
    }

    /// Chooses the organisation the person acts for in `application` ("act on behalf of").
    /// - Parameters:
    ///   - organisation: the enterprise number chosen, or nil to let Rights pick the only one.
    /// - Returns: Rights' decision. On `.allowed` the session now carries the organisation and application.
    /// - Throws: `sessionInvalid`, `stepUpRequired`, `methodNotAccepted`, `invalidInput` for a bad
    ///   enterprise number, `organisationRefused` when Rights is not configured.
    public func chooseOrganisation(token: String, application: String, organisation: String?) throws(SessionsError) -> LoginDecision {
        let session = try requireAccess(token: token, application: application)
        guard let rights else { throw SessionsError(.organisationRefused, "no rights service is configured") }
        let now = clock.now()
        var hint: KBONumber?
        if let organisation {
            do { hint = try KBONumber(organisation) } catch {
                throw SessionsError(.invalidInput, "organisation: \(error.reason)")
            }
        }
        let person: INSZ?
        do {
            person = try session.person.map { text throws(RightsError) in try INSZ(text, origin: .certificate, today: LocalDate(now)) }
        } catch {
            // A certificate number Rights cannot read (e.g. the specimen card's month 71) can hold no rights.
            return .refused(reason: .noLinkedIdentity, message: RightsError.refusalText)
        }
        let decision: LoginDecision
        do {
            decision = try rights.loginDecision(person: person, application: application, organisation: hint,
                                                sessionLevel: session.level.fasLevel, at: now)
        } catch {
            throw SessionsError(.storage, "rights resolution failed: \(error)")
        }
        if case .allowed(let chosen, _) = decision {
            try store { db in try SessionRecord.setOrganisation(id: session.id, organisation: chosen.digits, application: application, in: db) }
        }
        return decision
    }

    /// Ends the session of `token` (logout). Ending an already ended session is not an error.
    /// - Returns: whether a live session ended.
    @discardableResult
    public func revoke(token: String, reason: String = "logout") throws(SessionsError) -> Bool {
        let now = clock.now()
        let hash = try Self.tokenHash(token)
        return try store { db in try SessionRecord.end(.tokenHash(Data(hash)), at: now, reason: reason, in: db) == 1 }
    }

    /// Ends every live session bound to the card `cardBinding` (the kiosk calls this the moment
    /// the card leaves the reader).
    /// - Returns: how many sessions ended.
    @discardableResult
    public func endSessions(cardBinding: String, reason: String = "card removed") throws(SessionsError) -> Int {
        let now = clock.now()
        return try store { db in try SessionRecord.end(.cardBinding(cardBinding), at: now, reason: reason, in: db) }
    }

    /// Ends every live session bound to a card in `reader` (bindings `READER/…`): the kiosk's card
    /// watcher calls this when the reader reports the card gone, whichever card it was.
    @discardableResult
    public func endSessions(reader: String, reason: String = "card removed") throws(SessionsError) -> Int {
        let now = clock.now()
        let prefix = reader + "/"
        return try store { db in try SessionRecord.end(.cardBindingPrefix(prefix), at: now, reason: reason, in: db) }
    }

    /// Ends every live session of a person (e.g. after a card is reported stolen).
    @discardableResult
    public func endSessions(person: String, reason: String) throws(SessionsError) -> Int {
        let now = clock.now()
        return try store { db in try SessionRecord.end(.person(person), at: now, reason: reason, in: db) }
    }

    /// Deletes login transactions past their expiry and sessions ended or expired more than
    /// `retention` seconds ago.
    /// - Returns: the number of rows removed.
    @discardableResult
    public func purge(retention: TimeInterval = 86_400) throws(SessionsError) -> Int {
        let now = clock.now()
        return try store { db in
            try LoginTransactionRecord.purge(expiredBefore: now, in: db)
                + SessionRecord.purge(before: now.addingTimeInterval(-retention), in: db)
        }
    }

    // MARK: - Opening and raising sessions

    /// Opens a session for a person proven by `method` (the security-code login calls this after
    /// OneTimeCodes accepted the password and code).
    /// - Parameter consuming: a login transaction (id, kind) to mark used in the same write, so the
    ///   session exists exactly when the challenge is spent; `challengeInvalid` when it was already used.
    func open(person: String?, method: AuthMethod, level: AssuranceLevel? = nil, cardBinding: String?, at now: Date,
              givenName: String? = nil, familyName: String? = nil, consuming: (id: String, kind: String)? = nil) throws(SessionsError) -> IssuedSession {
        let level = level ?? configuration.level(of: method)
        let token = Self.newToken()
        let id = Hex.encode(SecureRandom.bytes(16))
        let idle = cardBinding == nil ? configuration.idleTimeout : configuration.kioskIdleTimeout
        let stamp = Date(timeIntervalSince1970: now.timeIntervalSince1970)  // as the store holds it
        let record = SessionRecord(id: id, tokenHash: Data(try Self.tokenHash(token)), person: person, givenName: givenName,
                                   familyName: familyName, method: method.rawValue, level: level.fasLevel, authenticatedAt: stamp,
                                   createdAt: stamp, lastUsedAt: stamp,
                                   expiresAt: Date(timeIntervalSince1970: stamp.timeIntervalSince1970 + configuration.absoluteLifetime),
                                   idleTimeout: idle, cardBinding: cardBinding, cardAuthenticatedAt: method == .eidPin ? stamp : nil)
        let session = try store { db -> Session? in
            if let consuming, try !LoginTransactionRecord.spend(id: consuming.id, kind: consuming.kind, at: now, in: db) { return nil }
            try SessionRecord.insert(record, in: db)
            return try Self.session(record)
        }
        guard let session else { throw SessionsError(.challengeInvalid, "the login transaction is unknown, expired or already used") }
        return IssuedSession(session: session, token: token)
    }

    /// Raises the session of `token` after a new authentication of the same person; the token is
    /// replaced (no fixation).
    ///
    /// A step-up never refreshes what it did not prove: only a stronger authentication, or the
    /// same method again at the same level, sets the level, method and ``Session/authenticatedAt``;
    /// a weaker factor, or an equal one of another method, leaves them as they were. A card login
    /// always sets ``Session/cardAuthenticatedAt``.
    func stepUp(token: String, person: String?, method: AuthMethod, level: AssuranceLevel? = nil, at now: Date) throws(SessionsError) -> IssuedSession {
        let level = level ?? configuration.level(of: method)
        let current = try authenticate(token: token)
        guard let person, current.person == person else {
            throw SessionsError(.personMismatch, "the step-up authenticated another person than the session's")
        }
        let newToken = Self.newToken()
        let proves = level > current.level || (level == current.level && method == current.method)
        let newHash = Data(try Self.tokenHash(newToken))
        let session = try store { db -> Session? in
            guard try SessionRecord.raise(id: current.id, tokenHash: newHash, at: now, authenticatedAt: proves ? now : current.authenticatedAt,
                                          level: proves ? level.fasLevel : current.level.fasLevel,
                                          method: proves ? method.rawValue : current.method.rawValue,
                                          cardAuthenticatedAt: method == .eidPin ? now : current.cardAuthenticatedAt, in: db),
                  let record = try SessionRecord.find(id: current.id, in: db)
            else { return nil }
            return try Self.session(record)
        }
        guard let session else { throw SessionsError(.sessionInvalid, "the session ended during the step-up") }
        return IssuedSession(session: session, token: newToken)
    }

    private struct Transaction {
        let application: String
        let challenge: [UInt8]
        let cardBinding: String?
    }

    /// The unused, unexpired transaction `id` of `kind`, read without spending it.
    private func pendingTransaction(_ id: String, kind: String, at now: Date) throws(SessionsError) -> Transaction {
        try Self.checkTransactionID(id)
        let found: Transaction?
        do {
            found = try database.read { db in
                try LoginTransactionRecord.pending(id: id, kind: kind, at: now, in: db).map { record in
                    Transaction(application: record.application, challenge: Array(record.challenge), cardBinding: record.cardBinding)
                }
            }
        } catch {
            throw SessionsError(.storage, "session store: \(error)")
        }
        guard let found else { throw SessionsError(.challengeInvalid, "the login transaction is unknown, expired or already used") }
        return found
    }

    /// Marks the transaction used in its own write; false when it was already used, expired or unknown.
    func spendTransaction(_ id: String, kind: String, at now: Date) throws(SessionsError) -> Bool {
        try store { db in try LoginTransactionRecord.spend(id: id, kind: kind, at: now, in: db) }
    }

    private static func checkTransactionID(_ id: String) throws(SessionsError) {
        guard id.utf8.count == 32, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw SessionsError(.challengeInvalid, "the transaction id is not 32 lowercase hex characters")
        }
    }

    // MARK: - Helpers

    static func check(_ session: Session, against rule: AccessRule, application: String) throws(SessionsError) {
        guard session.level >= rule.minimumLevel else {
            throw SessionsError(.stepUpRequired, "application \(application) needs \(rule.minimumLevel), the session has \(session.level)",
                                requiredLevel: rule.minimumLevel)
        }
        if let accepted = rule.acceptedMethods, !accepted.contains(session.method) {
            throw SessionsError(.methodNotAccepted, "application \(application) does not accept \(session.method.rawValue)",
                                requiredLevel: rule.minimumLevel)
        }
    }

    func store<T>(_ body: (SQLConnection) throws -> T) throws(SessionsError) -> T {
        do {
            return try database.write(body)
        } catch let error as SessionsError {
            throw error
        } catch {
            throw SessionsError(.storage, "session store: \(error)")
        }
    }

    private static func session(_ record: SessionRecord) throws(SessionsError) -> Session {
        guard let method = AuthMethod(rawValue: record.method) else {
            throw SessionsError(.storage, "unknown authentication method in the session store")
        }
        return Session(
            id: record.id, person: record.person, givenName: record.givenName, familyName: record.familyName, method: method,
            level: AssuranceLevel(record.level), authenticatedAt: record.authenticatedAt, cardAuthenticatedAt: record.cardAuthenticatedAt,
            createdAt: record.createdAt, lastUsedAt: record.lastUsedAt, expiresAt: record.expiresAt, idleTimeout: record.idleTimeout,
            cardBinding: record.cardBinding, organisation: record.organisation, application: record.application
        )
    }

    /// A new bearer token: 32 random bytes in base64url without padding.
    static func newToken() -> String { Base64URL.encode(SecureRandom.bytes(32)) }

    /// SHA-256 of a well-formed token; a malformed token is `sessionInvalid` without a lookup.
    static func tokenHash(_ token: String) throws(SessionsError) -> [UInt8] {
        guard token.utf8.count == 43, token.utf8.allSatisfy({ byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x5F
        }) else {
            throw SessionsError(.sessionInvalid, "no live session for this token")
        }
        return DigestAlgorithm.sha256.hash(Array(token.utf8))
    }

    static func checkIdentifier(_ value: String, what: String) throws(SessionsError) {
        guard (1...128).contains(value.utf8.count), value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw SessionsError(.invalidInput, "\(what) must be 1–128 printable characters without line breaks")
        }
    }
}
