import CryptoCore
import Foundation
import Storage

/// Proof that the person has just authenticated at a level that may activate keys (§10.4).
public struct ActivationAuthority: Sendable {
    public let person: String
    public let fasLevel: Int
    public let authenticatedAt: Date

    public init(person: String, fasLevel: Int, authenticatedAt: Date) {
        self.person = person
        self.fasLevel = fasLevel
        self.authenticatedAt = authenticatedAt
    }
}

/// The kind of a non-eID key.
public enum CredentialKind: String, Sendable, Codable { case totp, sms, email, password }

/// A code or password that was accepted.
public struct VerifiedCode: Sendable {
    public let person: String
    public let credentialID: String
    public let kind: CredentialKind
    /// The level of the authority the credential was enrolled under; sessions from it stay at or below it.
    public let enrolledAtLevel: Int
}

/// A new TOTP credential, pending until ``OneTimeCodesService/confirmTOTP(person:credentialID:code:)``.
public struct TOTPEnrollment: Sendable {
    public let credentialID: String
    /// The seed in base32, for manual entry.
    public let secret: String
    public let uri: String
    /// The URI as a QR code (error correction M): an 8-bit grayscale PNG, 8 pixels per module, quiet zone of 4 modules.
    public let qrPNG: [UInt8]
    /// The URI as a QR code in Unicode half blocks for a terminal with a dark background (quiet zone of 4 modules).
    public let qrTerminal: String
}

/// A code sent by SMS or e-mail.
public struct ChallengeTicket: Sendable {
    public let id: String
    public let channel: OutgoingCode.Channel
    /// The destination with most characters hidden (`+32******567`, `a***@example.be`).
    public let maskedDestination: String
    public let expiresAt: Date
}

/// One key of a person, without secrets.
public struct CredentialSummary: Sendable {
    public enum State: String, Sendable { case pending, active, disabled }
    public let id: String
    public let kind: CredentialKind
    public let state: State
    public let enrolledAtLevel: Int
    public let createdAt: Date
    public let lastUsedAt: Date?
}

/// Tunables; production defaults.
public struct OneTimeCodesConfiguration: Sendable {
    public var minimumActivationLevel = 450
    public var activationFreshness: TimeInterval = 600
    /// TOTP steps accepted either side of now.
    public var totpWindow = 1
    /// Steps searched either side by a resync.
    public var resyncWindow = 50
    public var challengeValidity: TimeInterval = 300
    /// Seconds after a code is sent within which asking again sends that same code again (it
    /// still counts toward the quotas).
    public var resendCoolDown: TimeInterval = 60
    /// Seconds after a message within which asking again sends nothing and answers the same
    /// challenge (a double click, an impatient person): no message, nothing counted.
    public var minimumResendInterval: TimeInterval = 30
    public var challengeDigits = 6
    /// Messages sent per person / per destination within ``quotaPeriod`` (an hour); every
    /// message counts, a resend of the same code too.
    public var quotaPerPerson = 10
    public var quotaPerDestination = 5
    public var quotaPeriod: TimeInterval = 3600
    /// Messages sent per person / per destination within a day.
    public var dailyQuotaPerPerson = 20
    public var dailyQuotaPerDestination = 10
    /// Failures of one key from one source address before that source is locked out of the key;
    /// the first lock lasts ``lockDuration``, each next one twice as long, at most ``lockCeiling``.
    /// Other sources are not affected: an attacker cannot lock the owner out.
    public var failuresBeforeLock = 5
    public var lockDuration: TimeInterval = 60
    public var lockCeiling: TimeInterval = 3600
    /// Failures of one key from unfamiliar sources (addresses without a success on the key within
    /// ``familiarSourceLifetime``) within ``unfamiliarFailureWindow``, after which unfamiliar sources
    /// are refused until the window ends or an eID login clears the locks (NIST SP 800-63B §5.2.2:
    /// at most 100 consecutive failures). Familiar sources keep their own per-source limits.
    public var unfamiliarFailureLimit = 100
    public var unfamiliarFailureWindow: TimeInterval = 86_400
    public var familiarSourceLifetime: TimeInterval = 90 * 86_400
    /// Rejections per minute per source address, and per person from unfamiliar sources, before
    /// every answer is a rejection without a check.
    public var rateLimitPerSource = 30
    public var rateLimitPerPerson = 15
    /// scrypt cost for new hashes (N = 2^scryptLogN).
    public var scryptLogN = 15
    public var scryptR = 8
    public var scryptP = 1

    public init() {}
}

/// HOTP/TOTP, SMS/e-mail codes and passwords for a person, stored in SQLite (see
/// ``OneTimeCodesSchema``). Every check and its state change run in one immediate write
/// transaction, so one code is accepted once even under concurrent requests.
public final class OneTimeCodesService: Sendable {
    let database: Storage.Database
    let keyring: SecretKeyring
    let configuration: OneTimeCodesConfiguration
    let senders: [OutgoingCode.Channel: any CodeSender]
    let clock: @Sendable () -> Date

    public init(database: Storage.Database, keyring: SecretKeyring, configuration: OneTimeCodesConfiguration = .init(),
                senders: [OutgoingCode.Channel: any CodeSender] = [:], clock: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.keyring = keyring
        self.configuration = configuration
        self.senders = senders
        self.clock = clock
    }

    // MARK: activation

    func checkActivation(_ authority: ActivationAuthority) throws(OneTimeCodesError) {
        let age = clock().timeIntervalSince(authority.authenticatedAt)
        guard authority.fasLevel >= configuration.minimumActivationLevel else {
            throw OneTimeCodesError(.activationNotAllowed, "activation needs level \(configuration.minimumActivationLevel)")
        }
        guard age <= configuration.activationFreshness, age >= -60 else {
            throw OneTimeCodesError(.activationNotAllowed, "authentication is not fresh")
        }
    }

    // MARK: keys of a person

    public func credentials(person: String) throws(OneTimeCodesError) -> [CredentialSummary] {
        try read { db in
            try CredentialRecord.all(person: person, in: db).map { record in
                CredentialSummary(id: record.id, kind: CredentialKind(rawValue: record.kind) ?? .totp,
                                  state: CredentialSummary.State(rawValue: record.state) ?? .disabled,
                                  enrolledAtLevel: record.enrolledAtLevel, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt)
            }
        }
    }

    /// Disables one of the authority's own keys.
    public func disable(credentialID: String, authority: ActivationAuthority) throws(OneTimeCodesError) {
        try checkActivation(authority)
        let now = clock()
        try write { db in
            guard try CredentialRecord.disable(id: credentialID, person: authority.person, in: db) else {
                throw OneTimeCodesError(.notFound, "no such credential of this person")
            }
            try audit(db, at: now, person: authority.person, credential: credentialID, event: "credential.disabled", source: "")
        }
    }

    /// Re-encrypts every sealed row under the newest key; returns the number of rows changed.
    @discardableResult
    public func rekey() throws(OneTimeCodesError) -> Int {
        let newest = keyring.newest.id
        return try write { db in
            var count = 0
            for record in try CredentialRecord.sealed(notUnder: newest, in: db) {
                let id = record.id
                guard let keyID = record.keyID else { continue }
                var secret = record.secret
                var destination = record.destinationSealed
                if let s = secret {
                    secret = Data(try keyring.seal(try keyring.open([UInt8](s), keyID: keyID, context: "totp:\(id)"), context: "totp:\(id)").sealed)
                }
                var destinationHash = record.destinationHash
                if let d = destination {
                    let plain = try keyring.open([UInt8](d), keyID: keyID, context: "destination:\(id)")
                    destination = Data(try keyring.seal(plain, context: "destination:\(id)").sealed)
                    destinationHash = Data(try keyring.mac("destination:" + String(decoding: plain, as: UTF8.self), keyID: newest))
                }
                try CredentialRecord.reseal(id: id, secret: secret, destinationSealed: destination, destinationHash: destinationHash, keyID: newest, in: db)
                count += 1
            }
            // A challenge's code hash stays under its key (it lives minutes); only the resend copy is dropped.
            try ChallengeRecord.dropResendCopies(notUnder: newest, in: db)
            return count
        }
    }

    // MARK: housekeeping

    /// Deletes what no check needs any more: challenges an hour past their expiry, sending
    /// records older than the longest quota period, pending keys not confirmed within a day
    /// (with their challenges), locks that have run out and familiar sources past their
    /// lifetime. The audit trail is kept.
    /// - Returns: the number of rows removed.
    @discardableResult
    public func purge() throws(OneTimeCodesError) -> Int {
        let now = clock()
        return try write { db in
            let pendingBefore = now.addingTimeInterval(-86_400)
            return try ChallengeRecord.purge(expiredBefore: now.addingTimeInterval(-3600), ofPendingCreatedBefore: pendingBefore, in: db)
                + CredentialRecord.purgePending(createdBefore: pendingBefore, in: db)
                + SendRecord.purge(before: now.addingTimeInterval(-max(configuration.quotaPeriod, 86_400)), in: db)
                + purgeLocks(db, now: now)
        }
    }

    // MARK: lockout, rate limits, audit

    func audit(_ db: SQLConnection, at: Date, person: String?, credential: String?, event: String, source: String) throws(StorageError) {
        try AuditRecord.insert(AuditRecord(at: at, person: person, credentialID: credential, event: event, source: source), in: db)
    }

    // MARK: helpers

    func write<T>(_ body: (SQLConnection) throws -> T) throws(OneTimeCodesError) -> T {
        do { return try database.write(body) } catch let error as OneTimeCodesError { throw error } catch let error as StorageError {
            throw OneTimeCodesError(.storage, error.reason)
        } catch { throw OneTimeCodesError(.storage, "\(error)") }
    }

    func read<T>(_ body: (SQLConnection) throws -> T) throws(OneTimeCodesError) -> T {
        do { return try database.read(body) } catch let error as OneTimeCodesError { throw error } catch let error as StorageError {
            throw OneTimeCodesError(.storage, error.reason)
        } catch { throw OneTimeCodesError(.storage, "\(error)") }
    }

    static func newID() -> String { Base32.encode(SecureRandom.bytes(10)).lowercased() }

    static func randomDigits(_ count: Int) -> String {
        var out = ""
        while out.count < count {
            let b = SecureRandom.bytes(1)[0]
            if b < 250 { out.append(Character(String(b % 10))) }  // rejection sampling: no modulo bias
        }
        return out
    }

    static func normalise(_ destination: String, channel: OutgoingCode.Channel) throws(OneTimeCodesError) -> String {
        let trimmed = destination.trimmingCharacters(in: .whitespaces)
        switch channel {
        case .sms:
            let digits = trimmed.filter { !" .-/".contains($0) }
            guard digits.hasPrefix("+"), digits.count >= 8, digits.count <= 16,
                digits.dropFirst().allSatisfy(\.isASCII), digits.dropFirst().allSatisfy(\.isNumber)
            else {
                throw OneTimeCodesError(.invalidInput, "phone number must be E.164")
            }
            return digits
        case .email:
            let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !trimmed.contains(" ") else {
                throw OneTimeCodesError(.invalidInput, "not an e-mail address")
            }
            return trimmed
        }
    }

    static func mask(_ destination: String, channel: OutgoingCode.Channel) -> String {
        switch channel {
        case .sms:
            return String(destination.prefix(3)) + String(repeating: "*", count: max(0, destination.count - 6)) + String(destination.suffix(3))
        case .email:
            let parts = destination.split(separator: "@")
            return String(parts[0].prefix(1)) + "***@" + String(parts.last ?? "")
        }
    }
}
