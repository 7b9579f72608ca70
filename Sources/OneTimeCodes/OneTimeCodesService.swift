import CryptoCore
import Foundation
import GRDB
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
    private let database: Storage.Database
    private let keyring: SecretKeyring
    let configuration: OneTimeCodesConfiguration
    private let senders: [OutgoingCode.Channel: any CodeSender]
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

    private func checkActivation(_ authority: ActivationAuthority) throws(OneTimeCodesError) {
        let age = clock().timeIntervalSince(authority.authenticatedAt)
        guard authority.fasLevel >= configuration.minimumActivationLevel else {
            throw OneTimeCodesError(.activationNotAllowed, "activation needs level \(configuration.minimumActivationLevel)")
        }
        guard age <= configuration.activationFreshness, age >= -60 else {
            throw OneTimeCodesError(.activationNotAllowed, "authentication is not fresh")
        }
    }

    // MARK: passwords

    /// Sets (or replaces) the password of `authority.person` under `username`.
    public func setPassword(username: String, password: String, authority: ActivationAuthority) throws(OneTimeCodesError) {
        try checkActivation(authority)
        try PasswordPolicy.check(password, username: username)
        let salt = SecureRandom.bytes(16)
        let params = currentScrypt
        let hash = try scrypt(password, salt: salt, params: params)
        let now = clock().timeIntervalSince1970
        try write { db in
            if let owner = try String.fetchOne(db, sql: "SELECT person FROM otp_credential WHERE username = ?", arguments: [username]),
               owner != authority.person {
                throw OneTimeCodesError(.alreadyExists, "username is taken")
            }
            let old = try String.fetchOne(db, sql: "SELECT id FROM otp_credential WHERE username = ?", arguments: [username])
            let id = old ?? Self.newID()
            try db.execute(sql: """
                INSERT INTO otp_credential (id, person, kind, state, enrolled_at_level, created_at, username, secret, salt, params)
                VALUES (?, ?, 'password', 'active', ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET secret = excluded.secret, salt = excluded.salt, params = excluded.params,
                    state = 'active', enrolled_at_level = excluded.enrolled_at_level, failures = 0, lock_count = 0, locked_until = NULL
                """, arguments: [id, authority.person, authority.fasLevel, now, username, Data(hash), Data(salt), params.text])
            // A new password starts without the old one's locks (the owner just proved themselves with the card).
            try db.execute(sql: "DELETE FROM otp_lock WHERE account = ?", arguments: [Self.passwordAccount(username)])
            try audit(db, at: now, person: authority.person, credential: id, event: old == nil ? "password.set" : "password.replaced", source: "")
        }
    }

    /// Checks a password; returns the person. Rehashes when the stored scrypt cost is below the current one.
    ///
    /// A source or key under a lock or rate limit is refused before any scrypt work, the same for
    /// known and unknown usernames (their locks are kept by username), so a flood of guesses costs
    /// the server a lookup each (see ``OneTimeCodesConfiguration/failuresBeforeLock``).
    public func verifyPassword(username: String, password: String, source: String) throws(OneTimeCodesError) -> String {
        let now = clock().timeIntervalSince1970
        let account = Self.passwordAccount(username)
        let (row, refusal) = try read { db -> (Row?, Refusal?) in
            let row = try Row.fetchOne(db, sql: "SELECT id, person, secret, salt, params FROM otp_credential WHERE username = ? AND kind = 'password' AND state = 'active'",
                                       arguments: [username])
            return (row, try admits(db, account: account, person: nil, source: source, now: now))
        }
        if let refusal {
            try write { db in try auditRefusal(db, refusal, credential: row?["id"], person: row?["person"], source: source, now: now) }
            throw OneTimeCodesError(.rejected, "password rejected")
        }
        guard let row, let params = ScryptParameters(text: row["params"]) else {
            // The same scrypt work as for a known username, so timing does not tell which usernames exist.
            _ = try scrypt(password, salt: SecureRandom.bytes(16), params: currentScrypt)
            try write { db in
                try audit(db, at: now, person: nil, credential: nil, event: "password.unknown", source: source)
                try fail(db, credential: nil, account: account, person: nil, source: source, now: now)
            }
            throw OneTimeCodesError(.rejected, "password rejected")
        }
        let id: String = row["id"]
        let person: String = row["person"]
        let salt = [UInt8](row["salt"] as Data)
        let stored = [UInt8](row["secret"] as Data)
        // scrypt runs outside the write transaction; the lock/rate state is checked again inside it.
        let matches = constantTimeEquals(try scrypt(password, salt: salt, params: params), stored)
        var newHash: (hash: [UInt8], salt: [UInt8], params: ScryptParameters)?
        if matches && params.isBelow(currentScrypt) {
            let salt = SecureRandom.bytes(16)
            newHash = (try scrypt(password, salt: salt, params: currentScrypt), salt, currentScrypt)
        }
        let accepted: Bool = try write { db in
            guard try admit(db, credential: id, account: account, person: person, source: source, now: now, limitPerson: false) else { return false }
            guard matches else {
                try fail(db, credential: id, account: account, person: person, source: source, now: now)
                return false
            }
            try succeed(db, credential: id, account: account, person: person, source: source, now: now, event: "password.used")
            if let newHash {
                try db.execute(sql: "UPDATE otp_credential SET secret = ?, salt = ?, params = ? WHERE id = ?",
                               arguments: [Data(newHash.hash), Data(newHash.salt), newHash.params.text, id])
                try audit(db, at: now, person: person, credential: id, event: "password.rehashed", source: source)
            }
            return true
        }
        guard accepted else { throw OneTimeCodesError(.rejected, "password rejected") }
        return person
    }

    /// The person of the active password credential under `username`, or nil when there is none.
    public func person(username: String) throws(OneTimeCodesError) -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT person FROM otp_credential WHERE username = ? AND kind = 'password' AND state = 'active'",
                                arguments: [username])
        }
    }

    private var currentScrypt: ScryptParameters {
        ScryptParameters(logN: configuration.scryptLogN, r: configuration.scryptR, p: configuration.scryptP)
    }

    private func scrypt(_ password: String, salt: [UInt8], params: ScryptParameters) throws(OneTimeCodesError) -> [UInt8] {
        do {
            return try Scrypt.derive(password: Array(password.utf8), salt: salt, n: UInt64(1) << UInt64(params.logN),
                                     r: UInt64(params.r), p: UInt64(params.p))
        } catch {
            throw OneTimeCodesError(.crypto, "scrypt failed: \(error.code)")
        }
    }

    // MARK: TOTP

    /// Creates a pending TOTP credential with a random 160-bit seed (256/512 bits for SHA-256/512).
    public func enrollTOTP(authority: ActivationAuthority, parameters: TOTPParameters = .init(), issuer: String = "Sleutel",
                           account: String) throws(OneTimeCodesError) -> TOTPEnrollment {
        try checkActivation(authority)
        try parameters.validate()
        let seed = SecureRandom.bytes(parameters.algorithm.digest.length)
        let uri = OTPAuthURI(issuer: issuer, account: account, secret: seed, parameters: parameters).string
        let qr = try QRCode(encoding: uri, errorCorrection: .medium)
        let png = try qr.png(scale: 8, quietZone: 4)
        let id = Self.newID()
        let sealed = try keyring.seal(seed, context: "totp:\(id)")
        let now = clock().timeIntervalSince1970
        try write { db in
            try db.execute(sql: """
                INSERT INTO otp_credential (id, person, kind, state, enrolled_at_level, created_at, secret, key_id, params)
                VALUES (?, ?, 'totp', 'pending', ?, ?, ?, ?, ?)
                """, arguments: [id, authority.person, authority.fasLevel, now, Data(sealed.sealed), sealed.keyID,
                                 Self.totpParams(parameters)])
            try audit(db, at: now, person: authority.person, credential: id, event: "totp.enrolled", source: "")
        }
        return TOTPEnrollment(credentialID: id, secret: Base32.encode(seed), uri: uri, qrPNG: png, qrTerminal: qr.terminalText(quietZone: 4))
    }

    /// Activates a pending TOTP credential with its first valid code.
    public func confirmTOTP(person: String, credentialID: String, code: String) throws(OneTimeCodesError) {
        let accepted = try totpCheck(person: person, credentialID: credentialID, code: code, source: "", confirming: true)
        guard accepted != nil else { throw OneTimeCodesError(.rejected, "code rejected") }
    }

    /// Checks a TOTP code against the person's active TOTP credentials (window ±``OneTimeCodesConfiguration/totpWindow``,
    /// each time step accepted once).
    public func verifyTOTP(person: String, code: String, source: String) throws(OneTimeCodesError) -> VerifiedCode {
        guard let verified = try totpCheck(person: person, credentialID: nil, code: code, source: source, confirming: false) else {
            throw OneTimeCodesError(.rejected, "code rejected")
        }
        return verified
    }

    /// Checks a TOTP code of one credential (a relying service that knows the token's serial, as
    /// privacyIDEA's `serial` parameter). Same window, replay guard, lockout and rate limits.
    public func verifyTOTP(credentialID: String, code: String, source: String) throws(OneTimeCodesError) -> VerifiedCode {
        // The person comes from the credential row, inside the one write transaction of the check.
        guard let verified = try totpCheck(person: nil, credentialID: credentialID, code: code, source: source, confirming: false) else {
            throw OneTimeCodesError(.rejected, "code rejected")
        }
        return verified
    }

    /// Imports existing TOTP tokens (migration from another system, OATH CSV), all or none: each
    /// is active at once under its serial as credential id. An operator act, audited; the keys are
    /// recorded as enrolled at level 400, so they never yield more than substantial.
    /// - Returns: the number imported.
    /// - Throws: `invalidInput` (seed shorter than 80 bits, bad serial or parameters, empty person),
    ///   `alreadyExists` (a serial in use); nothing is imported then.
    @discardableResult
    public func importTOTP(_ tokens: [ImportedTOTP]) throws(OneTimeCodesError) -> Int {
        var sealed: [(token: ImportedTOTP, keyID: String, bytes: [UInt8])] = []
        for (index, token) in tokens.enumerated() {
            try token.parameters.validate()
            guard token.seed.count >= 10, token.seed.count <= 128 else {
                throw OneTimeCodesError(.invalidInput, "token \(index + 1): seed must be 10 to 128 bytes")
            }
            guard (1...64).contains(token.serial.utf8.count),
                  token.serial.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }) else {
                throw OneTimeCodesError(.invalidInput, "token \(index + 1): serial must be 1 to 64 printable characters")
            }
            guard !token.person.isEmpty else { throw OneTimeCodesError(.invalidInput, "token \(index + 1): person is empty") }
            let seal = try keyring.seal(token.seed, context: "totp:\(token.serial)")
            sealed.append((token, seal.keyID, seal.sealed))
        }
        let now = clock().timeIntervalSince1970
        try write { db in
            for (index, item) in sealed.enumerated() {
                guard try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM otp_credential WHERE id = ?)", arguments: [item.token.serial])! else {
                    throw OneTimeCodesError(.alreadyExists, "token \(index + 1): a credential with this serial exists")
                }
                try db.execute(sql: """
                    INSERT INTO otp_credential (id, person, kind, state, enrolled_at_level, created_at, secret, key_id, params)
                    VALUES (?, ?, 'totp', 'active', 400, ?, ?, ?, ?)
                    """, arguments: [item.token.serial, item.token.person, now, Data(item.bytes), item.keyID, Self.totpParams(item.token.parameters)])
                try audit(db, at: now, person: item.token.person, credential: item.token.serial, event: "totp.imported", source: "")
            }
        }
        return sealed.count
    }

    /// Re-aligns a drifted token from two consecutive codes (searches ±``OneTimeCodesConfiguration/resyncWindow`` steps).
    public func resyncTOTP(person: String, credentialID: String, first: String, second: String,
                           source: String) throws(OneTimeCodesError) {
        let now = clock()
        let ok: Bool = try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM otp_credential WHERE id = ? AND person = ? AND kind = 'totp' AND state = 'active'",
                                             arguments: [credentialID, person]),
                  try admit(db, credential: credentialID, person: person, source: source, now: now.timeIntervalSince1970)
            else { return false }
            let (seed, parameters) = try openTOTP(row)
            let step = OTP.timeStep(now, period: parameters.period)
            let lastStep: Int64? = row["last_step"]
            for offset in -Int64(configuration.resyncWindow)...Int64(configuration.resyncWindow) {
                let s = step + offset
                if let lastStep, s <= lastStep { continue }
                if codeMatches(seed, step: s, parameters, first), codeMatches(seed, step: s + 1, parameters, second) {
                    try db.execute(sql: "UPDATE otp_credential SET drift = ?, last_step = ?, failures = 0 WHERE id = ?",
                                   arguments: [offset + 1, s + 1, credentialID])
                    try audit(db, at: now.timeIntervalSince1970, person: person, credential: credentialID, event: "totp.resync", source: source)
                    return true
                }
            }
            try fail(db, credential: credentialID, person: person, source: source, now: now.timeIntervalSince1970)
            return false
        }
        guard ok else { throw OneTimeCodesError(.rejected, "codes rejected") }
    }

    private func codeMatches(_ seed: [UInt8], step: Int64, _ parameters: TOTPParameters, _ code: String) -> Bool {
        guard step >= 0 else { return false }
        let expected = OTP.hotp(secret: seed, counter: UInt64(step), digits: parameters.digits, algorithm: parameters.algorithm)
        return constantTimeEquals(Array(expected.utf8), Array(code.utf8))
    }

    private func openTOTP(_ row: Row) throws(OneTimeCodesError) -> ([UInt8], TOTPParameters) {
        let id: String = row["id"]
        let seed = try keyring.open([UInt8](row["secret"] as Data), keyID: row["key_id"], context: "totp:\(id)")
        guard let parameters = Self.totpParams(row["params"]) else { throw OneTimeCodesError(.storage, "bad TOTP parameters") }
        return (seed, parameters)
    }

    /// - Parameter person: the credential's owner; nil with a `credentialID` to take it from the
    ///   credential (an unknown credential is then rejected without an audit row: there is no person).
    private func totpCheck(person: String?, credentialID: String?, code: String, source: String,
                           confirming: Bool) throws(OneTimeCodesError) -> VerifiedCode? {
        let now = clock()
        let nowSeconds = now.timeIntervalSince1970
        let wellFormed = code.count <= 8 && code.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
        let given = person
        return try write { db -> VerifiedCode? in
            let rows: [Row]
            let person: String
            if let credentialID, given == nil {
                rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM otp_credential WHERE id = ? AND kind = 'totp' AND state = 'active'"),
                                        arguments: [credentialID])
                guard let owner = rows.first?["person"] as String? else { return nil }
                person = owner
            } else if let credentialID, let owner = given {
                person = owner
                rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM otp_credential WHERE id = ? AND person = ? AND kind = 'totp' AND state = ?"),
                                        arguments: [credentialID, person, confirming ? "pending" : "active"])
            } else {
                guard let owner = given else { return nil }
                person = owner
                rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM otp_credential WHERE person = ? AND kind = 'totp' AND state = 'active'"),
                                        arguments: [person])
            }
            guard !rows.isEmpty else {
                try audit(db, at: nowSeconds, person: person, credential: credentialID, event: "totp.unknown", source: source)
                try audit(db, at: nowSeconds, person: person, credential: credentialID, event: "rejected", source: source)  // counts for the rates
                return nil
            }
            for row in rows {
                let id: String = row["id"]
                guard try admit(db, credential: id, person: person, source: source, now: nowSeconds) else { return nil }
                let (seed, parameters) = try openTOTP(row)
                let drift: Int64 = row["drift"]
                let lastStep: Int64? = row["last_step"]
                let step = OTP.timeStep(now, period: parameters.period) + drift
                let window = Int64(configuration.totpWindow)
                guard wellFormed, code.count == parameters.digits else { continue }
                for s in (step - window)...(step + window) where codeMatches(seed, step: s, parameters, code) {
                    if let lastStep, s <= lastStep {
                        try audit(db, at: nowSeconds, person: person, credential: id, event: "totp.replay", source: source)
                        try fail(db, credential: id, person: person, source: source, now: nowSeconds, audited: true)
                        return nil
                    }
                    try db.cachedStatement(sql: "UPDATE otp_credential SET last_step = ?, state = 'active' WHERE id = ?").execute(arguments: [s, id])
                    try succeed(db, credential: id, person: person, source: source, now: nowSeconds,
                                event: confirming ? "totp.confirmed" : "totp.used")
                    return VerifiedCode(person: person, credentialID: id, kind: .totp, enrolledAtLevel: row["enrolled_at_level"])
                }
            }
            for row in rows {
                try fail(db, credential: row["id"], person: person, source: source, now: nowSeconds)
            }
            return nil
        }
    }

    static func totpParams(_ p: TOTPParameters) -> String { "\(p.algorithm.rawValue):\(p.digits):\(p.period)" }

    static func totpParams(_ text: String) -> TOTPParameters? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let algorithm = OTPAlgorithm(rawValue: String(parts[0])), let digits = Int(parts[1]),
              let period = Int(parts[2]) else { return nil }
        return TOTPParameters(algorithm: algorithm, digits: digits, period: period)
    }

    // MARK: SMS / e-mail

    /// Registers a destination (pending) and sends it a confirmation code.
    public func enrollDestination(authority: ActivationAuthority, channel: OutgoingCode.Channel,
                                  destination: String) async throws(OneTimeCodesError) -> ChallengeTicket {
        try checkActivation(authority)
        let destination = try Self.normalise(destination, channel: channel)
        let id = Self.newID()
        let sealed = try keyring.seal(Array(destination.utf8), context: "destination:\(id)")
        let destinationHash = try keyring.mac("destination:" + destination, keyID: sealed.keyID)
        let now = clock().timeIntervalSince1970
        try write { db in
            try db.execute(sql: """
                INSERT INTO otp_credential (id, person, kind, state, enrolled_at_level, created_at, destination_sealed, destination_hash, key_id)
                VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?)
                """, arguments: [id, authority.person, channel.rawValue, authority.fasLevel, now, Data(sealed.sealed),
                                 Data(destinationHash), sealed.keyID])
            try audit(db, at: now, person: authority.person, credential: id, event: "\(channel.rawValue).enrolled", source: "")
        }
        do {
            return try await sendChallenge(person: authority.person, credentialID: id, channel: channel, purpose: "confirm")
        } catch {
            // Nothing half-done: a destination whose confirmation code never left is not kept (the
            // send still counts for the quotas).
            try? write { db in
                try db.execute(sql: "DELETE FROM otp_challenge WHERE credential_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM otp_credential WHERE id = ? AND state = 'pending'", arguments: [id])
                try audit(db, at: clock().timeIntervalSince1970, person: authority.person, credential: id,
                          event: "\(channel.rawValue).abandoned", source: "")
            }
            throw error
        }
    }

    /// Activates a pending destination with the code sent to it.
    public func confirmDestination(person: String, challengeID: String, code: String) throws(OneTimeCodesError) {
        _ = try checkChallenge(id: challengeID, person: person, code: code, source: "", purpose: "confirm")
    }

    /// Sends a login code to the person's active destination of `channel`; within the cool-down of the
    /// previous code, sends that same code again.
    public func startChallenge(person: String, channel: OutgoingCode.Channel) async throws(OneTimeCodesError) -> ChallengeTicket {
        let id = try read { db in
            try String.fetchOne(db, sql: "SELECT id FROM otp_credential WHERE person = ? AND kind = ? AND state = 'active' ORDER BY created_at DESC LIMIT 1",
                                arguments: [person, channel.rawValue])
        }
        guard let id else { throw OneTimeCodesError(.notFound, "no active \(channel.rawValue) destination") }
        return try await sendChallenge(person: person, credentialID: id, channel: channel, purpose: "login")
    }

    /// Checks a code sent by SMS or e-mail; single use.
    public func verifyChallenge(id: String, code: String, source: String) throws(OneTimeCodesError) -> VerifiedCode {
        try checkChallenge(id: id, person: nil, code: code, source: source, purpose: "login")
    }

    /// Checks a code sent by SMS or e-mail to `person`; single use. A challenge of another person is
    /// rejected without using it up.
    public func verifyChallenge(id: String, person: String, code: String, source: String) throws(OneTimeCodesError) -> VerifiedCode {
        try checkChallenge(id: id, person: person, code: code, source: source, purpose: "login")
    }

    private func sendChallenge(person: String, credentialID: String, channel: OutgoingCode.Channel,
                               purpose: String) async throws(OneTimeCodesError) -> ChallengeTicket {
        guard let sender = senders[channel] else { throw OneTimeCodesError(.delivery, "no sender for \(channel.rawValue)") }
        let now = clock().timeIntervalSince1970
        let fresh = Self.randomDigits(configuration.challengeDigits)
        let challengeID = Self.newID()
        let prepared: (ticket: ChallengeTicket, code: String, destination: String, send: Bool) = try write { db in
            try db.execute(sql: "UPDATE otp_challenge SET code_sealed = NULL WHERE resend_until < ? AND code_sealed IS NOT NULL", arguments: [now])
            guard let cred = try Row.fetchOne(db, sql: "SELECT * FROM otp_credential WHERE id = ?", arguments: [credentialID]) else {
                throw OneTimeCodesError(.notFound, "no such credential")
            }
            let destination = String(decoding: try keyring.open([UInt8](cred["destination_sealed"] as Data), keyID: cred["key_id"],
                                                                context: "destination:\(credentialID)"), as: UTF8.self)
            let destinationHash: Data = cred["destination_hash"]
            let masked = Self.mask(destination, channel: channel)
            let refused = (ChallengeTicket(id: "", channel: channel, maskedDestination: masked, expiresAt: .distantPast), "", "", false)
            // A live challenge of the cool-down: the same challenge and code (sent again, or not at all just after a message).
            if let old = try Row.fetchOne(db, sql: """
                SELECT id, code_sealed, key_id, expires_at FROM otp_challenge
                WHERE credential_id = ? AND purpose = ? AND used = 0 AND code_sealed IS NOT NULL AND resend_until >= ? AND expires_at > ?
                ORDER BY created_at DESC LIMIT 1
                """, arguments: [credentialID, purpose, now, now]) {
                let oldID: String = old["id"]
                let ticket = ChallengeTicket(id: oldID, channel: channel, maskedDestination: masked, expiresAt: Date(timeIntervalSince1970: old["expires_at"]))
                let lastSent = try Double.fetchOne(db, sql: "SELECT MAX(sent_at) FROM otp_send WHERE destination_hash = ?", arguments: [destinationHash]) ?? nil
                if let lastSent, now - lastSent < configuration.minimumResendInterval {
                    try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).resend.skipped", source: "")
                    return (ticket, "", "", false)
                }
                guard try withinQuota(db, person: person, destinationHash: destinationHash, now: now) else {
                    try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).quota", source: "")
                    return refused
                }
                let code = String(decoding: try keyring.open([UInt8](old["code_sealed"] as Data), keyID: old["key_id"],
                                                             context: "challenge:\(oldID)"), as: UTF8.self)
                try db.execute(sql: "INSERT INTO otp_send (person, destination_hash, sent_at) VALUES (?, ?, ?)", arguments: [person, destinationHash, now])
                try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).resent", source: "")
                return (ticket, code, destination, true)
            }
            guard try withinQuota(db, person: person, destinationHash: destinationHash, now: now) else {
                try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).quota", source: "")
                return refused
            }
            let sealed = try keyring.seal(Array(fresh.utf8), context: "challenge:\(challengeID)")
            let hash = try keyring.mac("\(challengeID):\(fresh)", keyID: sealed.keyID)
            let expires = now + configuration.challengeValidity
            try db.execute(sql: """
                INSERT INTO otp_challenge (id, credential_id, person, channel, purpose, code_hash, code_sealed, key_id, created_at, expires_at, resend_until)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [challengeID, credentialID, person, channel.rawValue, purpose, Data(hash), Data(sealed.sealed), sealed.keyID,
                                 now, expires, now + configuration.resendCoolDown])
            try db.execute(sql: "INSERT INTO otp_send (person, destination_hash, sent_at) VALUES (?, ?, ?)", arguments: [person, destinationHash, now])
            try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).sent", source: "")
            return (ChallengeTicket(id: challengeID, channel: channel, maskedDestination: masked,
                                    expiresAt: Date(timeIntervalSince1970: expires)), fresh, destination, true)
        }
        guard !prepared.ticket.id.isEmpty else { throw OneTimeCodesError(.quotaExceeded, "sending quota used up") }
        guard prepared.send else { return prepared.ticket }
        let minutes = max(1, Int((configuration.challengeValidity / 60).rounded(.up)))
        try await sender.send(OutgoingCode(channel: channel, destination: prepared.destination, code: prepared.code, validMinutes: minutes))
        return prepared.ticket
    }

    /// Whether one more message stays within the hourly and daily quotas of the person and of the destination.
    private func withinQuota(_ db: GRDB.Database, person: String, destinationHash: Data, now: Double) throws -> Bool {
        let count = { (column: String, value: any DatabaseValueConvertible, period: TimeInterval) throws -> Int in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM otp_send WHERE \(column) = ? AND sent_at > ?"),
                             arguments: [value, now - period]) ?? 0
        }
        return try count("person", person, configuration.quotaPeriod) < configuration.quotaPerPerson
            && count("destination_hash", destinationHash, configuration.quotaPeriod) < configuration.quotaPerDestination
            && count("person", person, 86_400) < configuration.dailyQuotaPerPerson
            && count("destination_hash", destinationHash, 86_400) < configuration.dailyQuotaPerDestination
    }

    private func checkChallenge(id: String, person expectedPerson: String?, code: String, source: String,
                                purpose: String) throws(OneTimeCodesError) -> VerifiedCode {
        let now = clock().timeIntervalSince1970
        let verified: VerifiedCode? = try write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.*, k.kind, k.enrolled_at_level, k.state FROM otp_challenge c JOIN otp_credential k ON k.id = c.credential_id WHERE c.id = ?
                """, arguments: [id]) else {
                try audit(db, at: now, person: nil, credential: nil, event: "challenge.unknown", source: source)
                return nil
            }
            let person: String = row["person"]
            let credentialID: String = row["credential_id"]
            if let expectedPerson, expectedPerson != person {
                try audit(db, at: now, person: expectedPerson, credential: nil, event: "challenge.wrongperson", source: source)
                try audit(db, at: now, person: expectedPerson, credential: nil, event: "rejected", source: source)
                return nil
            }
            guard try admit(db, credential: credentialID, person: person, source: source, now: now) else { return nil }
            let expected = [UInt8](row["code_hash"] as Data)
            let actual = try keyring.mac("\(id):\(code)", keyID: row["key_id"])
            let state: String = row["state"]
            guard constantTimeEquals(expected, actual) else {
                try fail(db, credential: credentialID, person: person, source: source, now: now)
                return nil
            }
            let expires: Double = row["expires_at"]
            let used: Bool = row["used"]
            let rowPurpose: String = row["purpose"]
            guard !used, expires > now, rowPurpose == purpose, state == (purpose == "confirm" ? "pending" : "active") else {
                try audit(db, at: now, person: person, credential: credentialID, event: used ? "challenge.replay" : "challenge.expired", source: source)
                try fail(db, credential: credentialID, person: person, source: source, now: now, audited: true)
                return nil
            }
            try db.execute(sql: "UPDATE otp_challenge SET used = 1, code_sealed = NULL WHERE id = ?", arguments: [id])
            if purpose == "confirm" {
                try db.execute(sql: "UPDATE otp_credential SET state = 'active' WHERE id = ?", arguments: [credentialID])
            }
            let kind = CredentialKind(rawValue: row["kind"]) ?? .sms
            try succeed(db, credential: credentialID, person: person, source: source, now: now,
                        event: "\(kind.rawValue).\(purpose == "confirm" ? "confirmed" : "used")")
            return VerifiedCode(person: person, credentialID: credentialID, kind: kind, enrolledAtLevel: row["enrolled_at_level"])
        }
        guard let verified else { throw OneTimeCodesError(.rejected, "code rejected") }
        return verified
    }

    // MARK: keys of a person

    public func credentials(person: String) throws(OneTimeCodesError) -> [CredentialSummary] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, kind, state, enrolled_at_level, created_at, last_used_at FROM otp_credential WHERE person = ? ORDER BY created_at",
                             arguments: [person]).map { row in
                let lastUsed: Double? = row["last_used_at"]
                return CredentialSummary(id: row["id"], kind: CredentialKind(rawValue: row["kind"]) ?? .totp,
                                         state: CredentialSummary.State(rawValue: row["state"]) ?? .disabled,
                                         enrolledAtLevel: row["enrolled_at_level"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                                         lastUsedAt: lastUsed.map { Date(timeIntervalSince1970: $0) })
            }
        }
    }

    /// Disables one of the authority's own keys.
    public func disable(credentialID: String, authority: ActivationAuthority) throws(OneTimeCodesError) {
        try checkActivation(authority)
        let now = clock().timeIntervalSince1970
        try write { db in
            try db.execute(sql: "UPDATE otp_credential SET state = 'disabled' WHERE id = ? AND person = ? AND state != 'disabled'",
                           arguments: [credentialID, authority.person])
            guard db.changesCount == 1 else { throw OneTimeCodesError(.notFound, "no such credential of this person") }
            try audit(db, at: now, person: authority.person, credential: credentialID, event: "credential.disabled", source: "")
        }
    }

    /// Re-encrypts every sealed row under the newest key; returns the number of rows changed.
    @discardableResult
    public func rekey() throws(OneTimeCodesError) -> Int {
        let newest = keyring.newest.id
        return try write { db in
            var count = 0
            for row in try Row.fetchAll(db, sql: "SELECT id, kind, secret, destination_sealed, destination_hash, key_id FROM otp_credential WHERE key_id IS NOT NULL AND key_id != ?",
                                        arguments: [newest]) {
                let id: String = row["id"]
                let keyID: String = row["key_id"]
                var secret: Data? = row["secret"]
                var destination: Data? = row["destination_sealed"]
                if let s = secret {
                    secret = Data(try keyring.seal(try keyring.open([UInt8](s), keyID: keyID, context: "totp:\(id)"), context: "totp:\(id)").sealed)
                }
                var destinationHash: Data? = row["destination_hash"]
                if let d = destination {
                    let plain = try keyring.open([UInt8](d), keyID: keyID, context: "destination:\(id)")
                    destination = Data(try keyring.seal(plain, context: "destination:\(id)").sealed)
                    destinationHash = Data(try keyring.mac("destination:" + String(decoding: plain, as: UTF8.self), keyID: newest))
                }
                try db.execute(sql: "UPDATE otp_credential SET secret = ?, destination_sealed = ?, destination_hash = ?, key_id = ? WHERE id = ?",
                               arguments: [secret, destination, destinationHash, newest, id])
                count += 1
            }
            // A challenge's code hash stays under its key (it lives minutes); only the resend copy is dropped.
            try db.execute(sql: "UPDATE otp_challenge SET code_sealed = NULL WHERE key_id != ?", arguments: [newest])
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
        let now = clock().timeIntervalSince1970
        return try write { db in
            var removed = 0
            let pendingBefore = now - 86_400
            try db.execute(sql: """
                DELETE FROM otp_challenge WHERE expires_at < ?
                   OR credential_id IN (SELECT id FROM otp_credential WHERE state = 'pending' AND created_at < ?)
                """, arguments: [now - 3600, pendingBefore])
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM otp_credential WHERE state = 'pending' AND created_at < ?", arguments: [pendingBefore])
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM otp_send WHERE sent_at < ?", arguments: [now - max(configuration.quotaPeriod, 86_400)])
            removed += db.changesCount
            removed += try purgeLocks(db, now: now)
            return removed
        }
    }

    // MARK: lockout, rate limits, audit

    func audit(_ db: GRDB.Database, at: Double, person: String?, credential: String?, event: String, source: String) throws {
        try db.cachedStatement(sql: "INSERT INTO otp_audit (at, person, credential_id, event, source) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [at, person, credential, event, source])
    }

    // MARK: helpers

    func write<T>(_ body: (GRDB.Database) throws -> T) throws(OneTimeCodesError) -> T {
        do { return try database.write(body) } catch let error as OneTimeCodesError { throw error } catch let error as StorageError {
            throw OneTimeCodesError(.storage, error.reason)
        } catch { throw OneTimeCodesError(.storage, "\(error)") }
    }

    func read<T>(_ body: (GRDB.Database) throws -> T) throws(OneTimeCodesError) -> T {
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
            guard digits.hasPrefix("+"), digits.count >= 8, digits.count <= 16, digits.dropFirst().allSatisfy(\.isASCII), digits.dropFirst().allSatisfy(\.isNumber) else {
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

/// A TOTP token brought over from another system (see ``OneTimeCodesService/importTOTP(_:)``).
public struct ImportedTOTP: Sendable {
    public let person: String
    /// The token's serial; it becomes the credential id.
    public let serial: String
    public let seed: [UInt8]
    public let parameters: TOTPParameters

    public init(person: String, serial: String, seed: [UInt8], parameters: TOTPParameters = .init()) {
        self.person = person
        self.serial = serial
        self.seed = seed
        self.parameters = parameters
    }
}

/// scrypt cost stored next to a password hash: `scrypt:logN:r:p`.
struct ScryptParameters: Sendable, Equatable {
    let logN: Int, r: Int, p: Int

    init(logN: Int, r: Int, p: Int) { self.logN = logN; self.r = r; self.p = p }

    init?(text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 4, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]) else { return nil }
        self.init(logN: logN, r: r, p: p)
    }

    var text: String { "scrypt:\(logN):\(r):\(p)" }

    func isBelow(_ other: ScryptParameters) -> Bool { logN < other.logN || r < other.r || p < other.p }
}

/// Password rules after NIST SP 800-63B: length 12…128, not one repeated character, not the
/// username, not a common password; no composition rules.
public enum PasswordPolicy {
    static let common: Set<String> = [
        "123456789012", "password1234", "passwordpassword", "qwertyuiopas", "111111111111", "123123123123",
        "iloveyou1234", "welcome12345", "letmein12345", "adminadmin12", "qwerty123456", "azertyuiop12",
        "password123!", "changeme1234", "wachtwoord12", "wachtwoord123", "motdepasse12", "1q2w3e4r5t6y",
        "abc123abc123", "sleutelsleutel", "passw0rd1234", "welkom123456", "bienvenue123",
    ]

    public static func check(_ password: String, username: String) throws(OneTimeCodesError) {
        guard password.count >= 12 else { throw OneTimeCodesError(.passwordPolicy, "password shorter than 12 characters") }
        guard password.count <= 128 else { throw OneTimeCodesError(.passwordPolicy, "password longer than 128 characters") }
        guard Set(password).count > 1 else { throw OneTimeCodesError(.passwordPolicy, "password is one repeated character") }
        guard password.lowercased() != username.lowercased() else { throw OneTimeCodesError(.passwordPolicy, "password equals the username") }
        guard !common.contains(password.lowercased()) else { throw OneTimeCodesError(.passwordPolicy, "password is a common password") }
    }
}
