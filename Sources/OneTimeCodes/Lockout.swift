import Foundation
import Storage

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
    func admits(_ db: SQLConnection, account: String, person: String?, source: String, now: Date) throws(StorageError) -> Refusal? {
        let minuteAgo = now.addingTimeInterval(-60)
        if !source.isEmpty, try AuditRecord.rejections(source: source, since: minuteAgo, in: db) >= configuration.rateLimitPerSource {
            return .rateLimited
        }
        if let lockedUntil = try LockRecord.find(account: account, source: source, in: db)?.lockedUntil, lockedUntil > now { return .locked }
        guard try !isFamiliar(db, account: account, source: source, now: now) else { return nil }
        if let unfamiliar = try LockRecord.find(account: account, source: LockRecord.unfamiliar, in: db),
           unfamiliar.windowStart > now.addingTimeInterval(-configuration.unfamiliarFailureWindow),
           unfamiliar.failures >= configuration.unfamiliarFailureLimit {
            return .lockedForUnfamiliar
        }
        if let person, try AuditRecord.rejections(person: person, since: minuteAgo, in: db) >= configuration.rateLimitPerPerson {
            return .rateLimited
        }
        return nil
    }

    /// Why a check was refused without being made.
    enum Refusal: String {
        case rateLimited = "ratelimited", locked = "locked.refused", lockedForUnfamiliar = "locked.unfamiliar.refused"
    }

    /// ``admits(_:account:person:source:now:)`` inside a write: a refusal is audited (at most once a
    /// minute per key and source, so a flood of refused guesses does not grow the audit trail).
    func admit(_ db: SQLConnection, credential: String?, account: String? = nil, person: String?, source: String, now: Date,
               limitPerson: Bool = true) throws(StorageError) -> Bool {
        let account = account ?? credential ?? ""
        guard let refusal = try admits(db, account: account, person: limitPerson ? person : nil, source: source, now: now) else { return true }
        try auditRefusal(db, refusal, credential: credential, person: person, source: source, now: now)
        return false
    }

    func auditRefusal(_ db: SQLConnection, _ refusal: Refusal, credential: String?, person: String?, source: String,
                      now: Date) throws(StorageError) {
        let recent = try AuditRecord.contains(event: refusal.rawValue, source: source, credential: credential, since: now.addingTimeInterval(-60),
                                              in: db)
        if !recent { try audit(db, at: now, person: person, credential: credential, event: refusal.rawValue, source: source) }
    }

    /// Counts a failed check of `account` from `source`.
    func fail(_ db: SQLConnection, credential: String?, account: String? = nil, person: String?, source: String, now: Date,
              audited: Bool = false) throws(StorageError) {
        let account = account ?? credential ?? ""
        try audit(db, at: now, person: person, credential: credential, event: "rejected", source: source)
        try LockRecord.countFailure(account: account, source: source, person: person, at: now, in: db)
        if let lock = try LockRecord.find(account: account, source: source, in: db), lock.failures >= configuration.failuresBeforeLock {
            let duration = min(configuration.lockDuration * Double(1 << min(lock.lockCount, 20)), configuration.lockCeiling)
            try LockRecord.lock(account: account, source: source, until: now.addingTimeInterval(duration), in: db)
            try audit(db, at: now, person: person, credential: credential, event: "locked", source: source)
        }
        guard try !isFamiliar(db, account: account, source: source, now: now) else { return }
        // The key's failures from unfamiliar sources, in a window that restarts once it has run out.
        try LockRecord.countUnfamiliarFailure(account: account, person: person, at: now,
                                              restartingWindowsStartedBy: now.addingTimeInterval(-configuration.unfamiliarFailureWindow), in: db)
        let failures = try LockRecord.find(account: account, source: LockRecord.unfamiliar, in: db)?.failures ?? 0
        if failures == configuration.unfamiliarFailureLimit {
            try audit(db, at: now, person: person, credential: credential, event: "locked.unfamiliar", source: source)
        }
    }

    /// Records a successful check: the source's lock on the key ends and the source becomes familiar.
    func succeed(_ db: SQLConnection, credential: String, account: String? = nil, person: String, source: String, now: Date,
                 event: String) throws(StorageError) {
        let account = account ?? credential
        if try LockRecord.delete(account: account, source: source, in: db) > 0 {
            try audit(db, at: now, person: person, credential: credential, event: "unlocked", source: source)
        }
        if !source.isEmpty {
            try FamiliarSourceRecord.upsert(FamiliarSourceRecord(account: account, source: source, person: person, lastSuccess: now), in: db)
        }
        try CredentialRecord.touch(id: credential, at: now, in: db)
        try audit(db, at: now, person: person, credential: credential, event: event, source: source)
    }

    /// Whether `source` has had a success on `account` within the familiar-source lifetime (the
    /// person's own session acts count as familiar).
    func isFamiliar(_ db: SQLConnection, account: String, source: String, now: Date) throws(StorageError) -> Bool {
        if source == Self.ownSession { return true }
        return try FamiliarSourceRecord.contains(account: account, source: source, since: now.addingTimeInterval(-configuration.familiarSourceLifetime),
                                                 in: db)
    }

    /// Ends every lock on the person's passwords and codes, from every source: a correct eID login
    /// proves the owner, whatever an attacker did meanwhile.
    /// - Returns: whether there was a lock to clear.
    @discardableResult
    public func clearLocks(person: String) throws(OneTimeCodesError) -> Bool {
        let now = clock()
        guard try read({ db in try LockRecord.exists(person: person, in: db) }) else { return false }
        return try write { db in
            guard try LockRecord.delete(person: person, in: db) > 0 else { return false }
            try audit(db, at: now, person: person, credential: nil, event: "unlocked.eid", source: "")
            return true
        }
    }

    /// Deletes lock rows that no longer hold anything and familiar sources past their lifetime.
    func purgeLocks(_ db: SQLConnection, now: Date) throws(StorageError) -> Int {
        try LockRecord.purge(lockedBefore: now.addingTimeInterval(-configuration.lockCeiling),
                             windowBefore: now.addingTimeInterval(-configuration.unfamiliarFailureWindow), in: db)
            + FamiliarSourceRecord.purge(before: now.addingTimeInterval(-configuration.familiarSourceLifetime), in: db)
    }
}
