import CryptoCore
import Foundation
import Storage

/// Passwords: set under a fresh card login, checked with scrypt under the lockout rules.
extension OneTimeCodesService {

    /// Sets (or replaces) the password of `authority.person` under `username`.
    public func setPassword(username: String, password: String, authority: ActivationAuthority) throws(OneTimeCodesError) {
        try checkActivation(authority)
        try PasswordPolicy.check(password, username: username)
        let salt = SecureRandom.bytes(16)
        let params = currentScrypt
        let hash = try scrypt(password, salt: salt, params: params)
        let now = clock()
        try write { db in
            let existing = try CredentialRecord.find(username: username, in: db)
            if let existing, existing.person != authority.person { throw OneTimeCodesError(.alreadyExists, "username is taken") }
            let old = existing?.id
            let id = old ?? Self.newID()
            try CredentialRecord.upsertPassword(CredentialRecord(id: id, person: authority.person, kind: "password", state: "active",
                                                                 enrolledAtLevel: authority.fasLevel, createdAt: now, username: username,
                                                                 secret: Data(hash), salt: Data(salt), params: params.text), in: db)
            // A new password starts without the old one's locks (the owner just proved themselves with the card).
            try LockRecord.delete(account: Self.passwordAccount(username), in: db)
            try audit(db, at: now, person: authority.person, credential: id, event: old == nil ? "password.set" : "password.replaced", source: "")
        }
    }

    /// Checks a password; returns the person. Rehashes when the stored scrypt cost is below the current one.
    ///
    /// A source or key under a lock or rate limit is refused before any scrypt work, the same for
    /// known and unknown usernames (their locks are kept by username), so a flood of guesses costs
    /// the server a lookup each (see ``OneTimeCodesConfiguration/failuresBeforeLock``).
    public func verifyPassword(username: String, password: String, source: String) throws(OneTimeCodesError) -> String {
        let now = clock()
        let account = Self.passwordAccount(username)
        let (record, refusal) = try read { db -> (CredentialRecord?, Refusal?) in
            (try CredentialRecord.activePassword(username: username, in: db), try admits(db, account: account, person: nil, source: source, now: now))
        }
        if let refusal {
            try write { db in try auditRefusal(db, refusal, credential: record?.id, person: record?.person, source: source, now: now) }
            throw OneTimeCodesError(.rejected, "password rejected")
        }
        guard let record, let params = ScryptParameters(text: record.params), let salt = record.salt, let stored = record.secret else {
            // The same scrypt work as for a known username, so timing does not tell which usernames exist.
            _ = try scrypt(password, salt: SecureRandom.bytes(16), params: currentScrypt)
            try write { db in
                try audit(db, at: now, person: nil, credential: nil, event: "password.unknown", source: source)
                try fail(db, credential: nil, account: account, person: nil, source: source, now: now)
            }
            throw OneTimeCodesError(.rejected, "password rejected")
        }
        let id = record.id
        let person = record.person
        // scrypt runs outside the write transaction; the lock/rate state is checked again inside it.
        let matches = constantTimeEquals(try scrypt(password, salt: [UInt8](salt), params: params), [UInt8](stored))
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
                try CredentialRecord.rehash(id: id, secret: Data(newHash.hash), salt: Data(newHash.salt), params: newHash.params.text, in: db)
                try audit(db, at: now, person: person, credential: id, event: "password.rehashed", source: source)
            }
            return true
        }
        guard accepted else { throw OneTimeCodesError(.rejected, "password rejected") }
        return person
    }

    /// The person of the active password credential under `username`, or nil when there is none.
    public func person(username: String) throws(OneTimeCodesError) -> String? {
        try read { db in try CredentialRecord.activePassword(username: username, in: db)?.person }
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
