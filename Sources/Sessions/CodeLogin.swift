import CryptoCore
import Foundation
import OneTimeCodes

/// The second step of a security-code login (spec §10.1): a code from the authenticator app,
/// a code sent by SMS or e-mail, or nothing (the password alone gives a low-level session).
public enum CodeFactor: String, Sendable, Codable, CaseIterable {
    case totp, sms, email, password

    /// The authentication method a session opened with this factor records.
    public var method: AuthMethod {
        switch self {
        case .totp: .totpApp
        case .sms: .smsCode
        case .email: .emailCode
        case .password: .password
        }
    }

    var channel: OutgoingCode.Channel? {
        switch self {
        case .sms: .sms
        case .email: .email
        case .totp, .password: nil
        }
    }
}

/// A security-code login after the password was accepted: the transaction to complete and the
/// factors the account has, each with the level a session opened with it would carry.
public struct CodeLoginStart: Sendable {
    public struct Offer: Sendable, Equatable {
        public let factor: CodeFactor
        public let level: AssuranceLevel
    }

    /// The transaction identifier (32 hex characters).
    public let transactionID: String
    public let application: String
    /// When the transaction stops being accepted.
    public let expiresAt: Date
    /// The factors of the account, strongest first; `password` is always among them.
    public let factors: [Offer]
}

extension SessionService {
    /// Starts a security-code login with username and password.
    /// - Parameters:
    ///   - application: the application id the session is for.
    ///   - source: the client address, for OneTimeCodes' rate limits.
    /// - Returns: the transaction and the factors the account offers.
    /// - Throws: ``SessionsError`` `credentialsRejected` (unknown username and wrong password
    ///   answer alike), `invalidInput`, `storage`.
    public func beginCodeLogin(application: String, username: String, password: String,
                               source: String) throws(SessionsError) -> CodeLoginStart {
        try Self.checkIdentifier(application, what: "application id")
        let codes = try codesService()
        guard (1...256).contains(username.utf8.count), (1...1024).contains(password.utf8.count) else {
            throw SessionsError(.credentialsRejected, "username or password not accepted")
        }
        let person = try Self.mapCodes { () throws(OneTimeCodesError) in
            try codes.verifyPassword(username: username, password: password, source: source)
        }
        let keys = try Self.mapCodes { () throws(OneTimeCodesError) in try codes.credentials(person: person) }
        let active = keys.filter { $0.state == .active }
        guard let passwordKey = active.first(where: { $0.kind == .password }) else {
            throw SessionsError(.credentialsRejected, "username or password not accepted")
        }
        let passwordLevel = AssuranceLevel(passwordKey.enrolledAtLevel)
        var offers = [CodeLoginStart.Offer]()
        for factor in [CodeFactor.totp, .sms, .email] {
            let enrolled = active.filter { $0.kind.rawValue == factor.rawValue }.map(\.enrolledAtLevel).max()
            if let enrolled {
                offers.append(.init(factor: factor, level: min(configuration.level(of: factor.method), passwordLevel, AssuranceLevel(enrolled))))
            }
        }
        offers.append(.init(factor: .password, level: min(configuration.level(of: .password), passwordLevel)))
        offers.sort { $0.level > $1.level }

        let now = clock.now()
        let id = Hex.encode(SecureRandom.bytes(16))
        let expires = now.addingTimeInterval(configuration.codeLoginLifetime)
        try store { db in
            try LoginTransactionRecord.insert(LoginTransactionRecord(id: id, kind: "code", application: application, challenge: Data(),
                                                                     createdAt: now, expiresAt: expires, person: person,
                                                                     passwordLevel: passwordLevel.fasLevel), in: db)
        }
        return CodeLoginStart(transactionID: id, application: application, expiresAt: expires, factors: offers)
    }

    /// Sends the login code of a security-code login by SMS or e-mail. Asking again within the
    /// cool-down sends the same code again.
    /// - Returns: the challenge (masked destination, expiry); the code itself goes only to the person.
    /// - Throws: `challengeInvalid` (unknown, expired or used transaction), `invalidInput` (no such
    ///   key on the account, or a factor that is not sent), `quotaExceeded`, `deliveryFailed`.
    public func sendLoginCode(transactionID: String, factor: CodeFactor) async throws(SessionsError) -> ChallengeTicket {
        guard let channel = factor.channel else { throw SessionsError(.invalidInput, "only sms and email codes are sent") }
        let codes = try codesService()
        let transaction = try codeTransaction(transactionID, at: clock.now())
        let ticket: ChallengeTicket
        do {
            ticket = try await codes.startChallenge(person: transaction.person, channel: channel)
        } catch {
            throw Self.sessionsError(error)
        }
        try store { db in try LoginTransactionRecord.setCodeChallenge(id: transactionID, challenge: ticket.id, channel: factor.rawValue, in: db) }
        return ticket
    }

    /// Completes a security-code login.
    /// - Parameters:
    ///   - factor: which code `code` is; `.password` takes no code and yields a low-level session.
    ///   - source: the client address, for rate limits.
    ///   - stepUpToken: the token of an existing session of the same person to raise instead.
    /// - Returns: the session, at the lowest of the method's level and the levels the password and
    ///   the code's key were enrolled at (§10.4: a key enrolled at L never yields more than L).
    /// - Throws: `credentialsRejected` for a wrong, replayed or expired code (after
    ///   ``SessionsConfiguration/codeAttempts`` of them the transaction is spent),
    ///   `challengeInvalid` for an unknown, expired or used transaction or an SMS/e-mail factor
    ///   without a code sent, `personMismatch` for a step-up of someone else's session.
    public func completeCodeLogin(transactionID: String, factor: CodeFactor, code: String?, source: String,
                                  stepUpToken: String? = nil) throws(SessionsError) -> IssuedSession {
        let codes = try codesService()
        let now = clock.now()
        let transaction = try codeTransaction(transactionID, at: now)
        var level = min(configuration.level(of: factor.method), transaction.passwordLevel)
        let code = code ?? ""
        switch factor {
        case .password:
            guard code.isEmpty else { throw SessionsError(.invalidInput, "the password factor takes no code") }
        case .totp, .sms, .email:
            guard !code.isEmpty, code.utf8.count <= 16 else {
                throw SessionsError(.invalidInput, "give the code (digits) for factor \(factor.rawValue)")
            }
            let verified: VerifiedCode
            do {
                if factor == .totp {
                    verified = try codes.verifyTOTP(person: transaction.person, code: code, source: source)
                } else {
                    guard let challenge = transaction.challenge, transaction.channel == factor.rawValue else {
                        throw SessionsError(.challengeInvalid, "no \(factor.rawValue) code was sent for this login")
                    }
                    verified = try codes.verifyChallenge(id: challenge, code: code, source: source)
                }
            } catch let error as SessionsError {
                throw error
            } catch let error as OneTimeCodesError where error.code == .rejected {
                try recordWrongCode(transactionID, at: now)
                throw SessionsError(.credentialsRejected, "code not accepted")
            } catch let error as OneTimeCodesError {
                throw Self.sessionsError(error)
            } catch {
                throw SessionsError(.storage, "code check failed")
            }
            guard verified.person == transaction.person else {
                try recordWrongCode(transactionID, at: now)
                throw SessionsError(.credentialsRejected, "code not accepted")
            }
            level = min(level, AssuranceLevel(verified.enrolledAtLevel))
        }
        guard try store({ db in try LoginTransactionRecord.spend(id: transactionID, kind: "code", at: now, in: db) }) else {
            throw SessionsError(.challengeInvalid, "the login transaction is unknown, expired or already used")
        }
        if let stepUpToken {
            return try stepUp(token: stepUpToken, person: transaction.person, method: factor.method, level: level, at: now)
        }
        return try open(person: transaction.person, method: factor.method, level: level, cardBinding: nil, at: now)
    }

    // MARK: - Helpers

    private struct CodeTransaction {
        let person: String
        let passwordLevel: AssuranceLevel
        let challenge: String?
        let channel: String?
    }

    private func codesService() throws(SessionsError) -> OneTimeCodesService {
        guard let codes else { throw SessionsError(.methodNotAccepted, "this server offers no security-code login") }
        return codes
    }

    private func codeTransaction(_ id: String, at now: Date) throws(SessionsError) -> CodeTransaction {
        guard id.utf8.count == 32, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw SessionsError(.challengeInvalid, "the transaction id is not 32 lowercase hex characters")
        }
        let found = try store { db -> CodeTransaction? in
            guard let record = try LoginTransactionRecord.pending(id: id, kind: "code", at: now, in: db),
                  let person = record.person, let level = record.passwordLevel
            else { return nil }
            return CodeTransaction(person: person, passwordLevel: AssuranceLevel(level), challenge: record.codeChallenge, channel: record.codeChannel)
        }
        guard let found else { throw SessionsError(.challengeInvalid, "the login transaction is unknown, expired or already used") }
        return found
    }

    /// Counts a wrong code; the transaction is spent after ``SessionsConfiguration/codeAttempts`` of them.
    private func recordWrongCode(_ id: String, at now: Date) throws(SessionsError) {
        try store { db in try LoginTransactionRecord.countWrongCode(id: id, limit: configuration.codeAttempts, at: now, in: db) }
    }

    static func mapCodes<T>(_ work: () throws(OneTimeCodesError) -> T) throws(SessionsError) -> T {
        do { return try work() } catch { throw sessionsError(error) }
    }

    static func sessionsError(_ error: OneTimeCodesError) -> SessionsError {
        switch error.code {
        case .rejected: SessionsError(.credentialsRejected, "username, password or code not accepted")
        case .notFound, .invalidInput: SessionsError(.invalidInput, error.reason)
        case .quotaExceeded: SessionsError(.quotaExceeded, error.reason)
        case .delivery: SessionsError(.deliveryFailed, error.reason)
        default: SessionsError(.storage, "one-time codes: \(error.code)")
        }
    }
}
