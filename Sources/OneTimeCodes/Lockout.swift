import Foundation
import GRDB

/// Lockout and rate limits of passwords and codes (issue 19), designed so that someone who knows
/// only a username cannot keep the owner out, while guessing stays bounded:
///
/// - failures are counted per key *and source address*: five from one address lock that address
///   out of the key (1 minute, doubling, at most ``OneTimeCodesConfiguration/lockCeiling``);
///   the owner at another address is not affected;
/// - failures from *unfamiliar* addresses (without a success on the key within
///   ``OneTimeCodesConfiguration/familiarSourceLifetime``) also count for the key as a whole: after
///   ``OneTimeCodesConfiguration/unfamiliarFailureLimit`` in a window, unfamiliar addresses are
///   refused until the window ends, so a botnet gets at most that many guesses; familiar
///   addresses go on;
/// - a correct eID login clears every lock of the person (``clearLocks(person:)``).
///
/// A password's key is its username, known or not, so that locks tell nothing about which
/// usernames exist; a code's key is its credential. Refusals answer like a wrong code.
extension OneTimeCodesService {
    /// The key a password check counts against: the username as given.
    static func passwordAccount(_ username: String) -> String { "password:" + username }

    /// The source of an authenticated person's own act (confirming a key): never unfamiliar.
    static let ownSession = ""

    /// Whether a check of `account` from `source` may proceed (without writing anything).
    /// - Parameter person: whose rejections from unfamiliar sources are rate-limited (nil: none;
    ///   passwords pass nil, so the answer does not depend on whether the username exists).
    func admits(_ db: GRDB.Database, account: String, person: String?, source: String, now: Double) throws -> Refusal? {
        if !source.isEmpty {
            let bySource = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM otp_audit WHERE source = ? AND event = 'rejected' AND at > ?"),
                                            arguments: [source, now - 60]) ?? 0
            if bySource >= configuration.rateLimitPerSource { return .rateLimited }
        }
        let lockedUntil = try Double.fetchOne(db.cachedStatement(sql: "SELECT locked_until FROM otp_lock WHERE account = ? AND source = ?"),
                                              arguments: [account, source]) ?? nil
        if let lockedUntil, lockedUntil > now { return .locked }
        guard try !isFamiliar(db, account: account, source: source, now: now) else { return nil }
        if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT failures, window_start FROM otp_lock WHERE account = ? AND source = '*'"),
                                      arguments: [account]),
           (row["window_start"] as Double) > now - configuration.unfamiliarFailureWindow,
           (row["failures"] as Int) >= configuration.unfamiliarFailureLimit {
            return .lockedForUnfamiliar
        }
        if let person {
            let byPerson = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM otp_audit WHERE person = ? AND event = 'rejected' AND at > ?"),
                                            arguments: [person, now - 60]) ?? 0
            if byPerson >= configuration.rateLimitPerPerson { return .rateLimited }
        }
        return nil
    }

    /// Why a check was refused without being made.
    enum Refusal: String {
        case rateLimited = "ratelimited", locked = "locked.refused", lockedForUnfamiliar = "locked.unfamiliar.refused"
    }

    /// ``admits(_:account:person:source:now:)`` inside a write: a refusal is audited (at most once a
    /// minute per key and source, so a flood of refused guesses does not grow the audit trail).
    func admit(_ db: GRDB.Database, credential: String?, account: String? = nil, person: String?, source: String, now: Double,
               limitPerson: Bool = true) throws -> Bool {
        let account = account ?? credential ?? ""
        guard let refusal = try admits(db, account: account, person: limitPerson ? person : nil, source: source, now: now) else { return true }
        try auditRefusal(db, refusal, credential: credential, person: person, source: source, now: now)
        return false
    }

    func auditRefusal(_ db: GRDB.Database, _ refusal: Refusal, credential: String?, person: String?, source: String, now: Double) throws {
        let recent = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM otp_audit WHERE source = ? AND event = ? AND at > ? AND credential_id IS ? LIMIT 1
            """), arguments: [source, refusal.rawValue, now - 60, credential]) ?? false
        if !recent { try audit(db, at: now, person: person, credential: credential, event: refusal.rawValue, source: source) }
    }

    /// Counts a failed check of `account` from `source`.
    func fail(_ db: GRDB.Database, credential: String?, account: String? = nil, person: String?, source: String, now: Double,
              audited: Bool = false) throws {
        let account = account ?? credential ?? ""
        try audit(db, at: now, person: person, credential: credential, event: "rejected", source: source)
        try db.cachedStatement(sql: """
            INSERT INTO otp_lock (account, source, person, failures, lock_count, window_start) VALUES (?, ?, ?, 1, 0, ?)
            ON CONFLICT(account, source) DO UPDATE SET failures = failures + 1
            """).execute(arguments: [account, source, person, now])
        if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT failures, lock_count FROM otp_lock WHERE account = ? AND source = ?"),
                                      arguments: [account, source]),
           (row["failures"] as Int) >= configuration.failuresBeforeLock {
            let lockCount: Int = row["lock_count"]
            let duration = min(configuration.lockDuration * Double(1 << min(lockCount, 20)), configuration.lockCeiling)
            try db.cachedStatement(sql: "UPDATE otp_lock SET failures = 0, lock_count = lock_count + 1, locked_until = ? WHERE account = ? AND source = ?")
                .execute(arguments: [now + duration, account, source])
            try audit(db, at: now, person: person, credential: credential, event: "locked", source: source)
        }
        guard try !isFamiliar(db, account: account, source: source, now: now) else { return }
        // The key's failures from unfamiliar sources, in a window that restarts once it has run out.
        try db.cachedStatement(sql: """
            INSERT INTO otp_lock (account, source, person, failures, lock_count, window_start) VALUES (?, '*', ?, 1, 0, ?)
            ON CONFLICT(account, source) DO UPDATE SET
                failures = CASE WHEN window_start <= ? THEN 1 ELSE failures + 1 END,
                window_start = CASE WHEN window_start <= ? THEN excluded.window_start ELSE window_start END
            """).execute(arguments: [account, person, now, now - configuration.unfamiliarFailureWindow, now - configuration.unfamiliarFailureWindow])
        let failures = try Int.fetchOne(db.cachedStatement(sql: "SELECT failures FROM otp_lock WHERE account = ? AND source = '*'"),
                                        arguments: [account]) ?? 0
        if failures == configuration.unfamiliarFailureLimit {
            try audit(db, at: now, person: person, credential: credential, event: "locked.unfamiliar", source: source)
        }
    }

    /// Records a successful check: the source's lock on the key ends and the source becomes familiar.
    func succeed(_ db: GRDB.Database, credential: String, account: String? = nil, person: String, source: String, now: Double,
                 event: String) throws {
        let account = account ?? credential
        try db.cachedStatement(sql: "DELETE FROM otp_lock WHERE account = ? AND source = ?").execute(arguments: [account, source])
        if db.changesCount > 0 { try audit(db, at: now, person: person, credential: credential, event: "unlocked", source: source) }
        if !source.isEmpty {
            try db.cachedStatement(sql: """
                INSERT INTO otp_familiar_source (account, source, person, last_success) VALUES (?, ?, ?, ?)
                ON CONFLICT(account, source) DO UPDATE SET last_success = excluded.last_success
                """).execute(arguments: [account, source, person, now])
        }
        try db.cachedStatement(sql: "UPDATE otp_credential SET last_used_at = ? WHERE id = ?").execute(arguments: [now, credential])
        try audit(db, at: now, person: person, credential: credential, event: event, source: source)
    }

    /// Whether `source` has had a success on `account` within the familiar-source lifetime (the
    /// person's own session acts count as familiar).
    func isFamiliar(_ db: GRDB.Database, account: String, source: String, now: Double) throws -> Bool {
        if source == Self.ownSession { return true }
        return try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM otp_familiar_source WHERE account = ? AND source = ? AND last_success > ?"),
                                 arguments: [account, source, now - configuration.familiarSourceLifetime]) ?? false
    }

    /// Ends every lock on the person's passwords and codes, from every source: a correct eID login
    /// proves the owner, whatever an attacker did meanwhile.
    /// - Returns: whether there was a lock to clear.
    @discardableResult
    public func clearLocks(person: String) throws(OneTimeCodesError) -> Bool {
        let now = clock().timeIntervalSince1970
        let any = try read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM otp_lock WHERE person = ? LIMIT 1"), arguments: [person]) ?? false
        }
        guard any else { return false }
        return try write { db in
            try db.execute(sql: "DELETE FROM otp_lock WHERE person = ?", arguments: [person])
            guard db.changesCount > 0 else { return false }
            try audit(db, at: now, person: person, credential: nil, event: "unlocked.eid", source: "")
            return true
        }
    }

    /// Deletes lock rows that no longer hold anything and familiar sources past their lifetime.
    func purgeLocks(_ db: GRDB.Database, now: Double) throws -> Int {
        try db.execute(sql: """
            DELETE FROM otp_lock WHERE (locked_until IS NULL OR locked_until < ?) AND window_start < ?
            """, arguments: [now - configuration.lockCeiling, now - configuration.unfamiliarFailureWindow])
        var removed = db.changesCount
        try db.execute(sql: "DELETE FROM otp_familiar_source WHERE last_success < ?", arguments: [now - configuration.familiarSourceLifetime])
        removed += db.changesCount
        return removed
    }
}
