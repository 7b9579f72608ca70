import Foundation
import Storage

/// One row of the `otp_credential` table (a TOTP key, an SMS or e-mail destination or a
/// password of a person), and every statement on it. Secrets and destinations are sealed under
/// `key_id`; a password's `secret` is its scrypt hash.
struct CredentialRecord {
    enum Column: String, SQLColumnList {
        case id, person, kind, state
        case enrolledAtLevel = "enrolled_at_level"
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
        case username
        case destinationSealed = "destination_sealed"
        case destinationHash = "destination_hash"
        case secret, salt
        case keyID = "key_id"
        case params
        case lastStep = "last_step"
        case drift, failures
        case lockCount = "lock_count"
        case lockedUntil = "locked_until"
    }

    var id: String
    var person: String
    /// `totp`, `sms`, `email` or `password`.
    var kind: String
    /// `pending`, `active` or `disabled`.
    var state: String
    var enrolledAtLevel: Int
    var createdAt: Date
    var lastUsedAt: Date?
    /// Password credentials only.
    var username: String?
    /// The SMS or e-mail destination, AES-256-GCM.
    var destinationSealed: Data?
    /// The HMAC of the destination, for the sending quotas.
    var destinationHash: Data?
    /// The sealed TOTP seed, or the scrypt hash.
    var secret: Data?
    var salt: Data?
    /// The key of `secret` or `destinationSealed`.
    var keyID: String?
    /// `SHA1:6:30` or `scrypt:N:r:p`.
    var params: String
    /// The last accepted TOTP time step.
    var lastStep: Int64?
    /// The TOTP resync offset in steps.
    var drift: Int64
    /// Per-credential lock columns of otp.v1, replaced by `otp_lock` (otp.v2); a new password resets them.
    var failures: Int
    var lockCount: Int
    var lockedUntil: Date?

    init(id: String, person: String, kind: String, state: String, enrolledAtLevel: Int, createdAt: Date, username: String? = nil,
         destinationSealed: Data? = nil, destinationHash: Data? = nil, secret: Data? = nil, salt: Data? = nil, keyID: String? = nil,
         params: String = "") {
        self.id = id
        self.person = person
        self.kind = kind
        self.state = state
        self.enrolledAtLevel = enrolledAtLevel
        self.createdAt = createdAt
        self.lastUsedAt = nil
        self.username = username
        self.destinationSealed = destinationSealed
        self.destinationHash = destinationHash
        self.secret = secret
        self.salt = salt
        self.keyID = keyID
        self.params = params
        self.lastStep = nil
        self.drift = 0
        self.failures = 0
        self.lockCount = 0
        self.lockedUntil = nil
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id)
        person = try row.value(Column.person)
        kind = try row.value(Column.kind)
        state = try row.value(Column.state)
        enrolledAtLevel = try row.value(Column.enrolledAtLevel)
        createdAt = try row.value(Column.createdAt)
        lastUsedAt = try row.optional(Column.lastUsedAt)
        username = try row.optional(Column.username)
        destinationSealed = try row.optional(Column.destinationSealed)
        destinationHash = try row.optional(Column.destinationHash)
        secret = try row.optional(Column.secret)
        salt = try row.optional(Column.salt)
        keyID = try row.optional(Column.keyID)
        params = try row.value(Column.params)
        lastStep = try row.optional(Column.lastStep)
        drift = try row.value(Column.drift)
        failures = try row.value(Column.failures)
        lockCount = try row.value(Column.lockCount)
        lockedUntil = try row.optional(Column.lockedUntil)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments {
        [id, person, kind, state, enrolledAtLevel, createdAt, lastUsedAt, username, destinationSealed, destinationHash, secret, salt, keyID,
         params, lastStep, drift, failures, lockCount, lockedUntil]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "otp_credential")
    private static let selectSQL = Column.select(from: "otp_credential")

    private static func records(_ rows: [SQLRow]) throws(StorageError) -> [CredentialRecord] {
        try rows.map { row throws(StorageError) in try CredentialRecord(row: row) }
    }

    private static func record(_ row: SQLRow?) throws(StorageError) -> CredentialRecord? {
        try row.map { row throws(StorageError) in try CredentialRecord(row: row) }
    }

    static func insert(_ record: CredentialRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// Inserts a password credential, or gives the existing row `record.id` its new hash, salt,
    /// cost and level, active again and without the old per-credential lock.
    static func upsertPassword(_ record: CredentialRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL + """
             ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, salt = excluded.salt, params = excluded.params,
                state = 'active', enrolled_at_level = excluded.enrolled_at_level, failures = 0, lock_count = 0, locked_until = NULL
            """, record.arguments)
    }

    static func find(id: String, in db: SQLConnection) throws(StorageError) -> CredentialRecord? {
        try record(db.row(selectSQL + " WHERE id = ?", [id]))
    }

    static func exists(id: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT 1 FROM otp_credential WHERE id = ?", [id], as: Int.self) != nil
    }

    /// The credential under `username`, whatever its person, kind or state.
    static func find(username: String, in db: SQLConnection) throws(StorageError) -> CredentialRecord? {
        try record(db.row(selectSQL + " WHERE username = ?", [username]))
    }

    /// The active password credential under `username`.
    static func activePassword(username: String, in db: SQLConnection) throws(StorageError) -> CredentialRecord? {
        try record(db.row(selectSQL + " WHERE username = ? AND kind = 'password' AND state = 'active'", [username]))
    }

    /// Every credential of `person`, oldest first.
    static func all(person: String, in db: SQLConnection) throws(StorageError) -> [CredentialRecord] {
        try records(db.rows(selectSQL + " WHERE person = ? ORDER BY created_at", [person]))
    }

    /// The id of the person's newest active credential of `kind`.
    static func newestActiveID(person: String, kind: String, in db: SQLConnection) throws(StorageError) -> String? {
        try db.value("SELECT id FROM otp_credential WHERE person = ? AND kind = ? AND state = 'active' ORDER BY created_at DESC LIMIT 1",
                     [person, kind])
    }

    /// The active TOTP credential `id`, whoever its person.
    static func activeTOTP(id: String, in db: SQLConnection) throws(StorageError) -> CredentialRecord? {
        try record(db.row(selectSQL + " WHERE id = ? AND kind = 'totp' AND state = 'active'", [id]))
    }

    /// The TOTP credential `id` of `person` in `state`.
    static func totp(id: String, person: String, state: String, in db: SQLConnection) throws(StorageError) -> CredentialRecord? {
        try record(db.row(selectSQL + " WHERE id = ? AND person = ? AND kind = 'totp' AND state = ?", [id, person, state]))
    }

    /// The active TOTP credentials of `person`.
    static func activeTOTPs(person: String, in db: SQLConnection) throws(StorageError) -> [CredentialRecord] {
        try records(db.rows(selectSQL + " WHERE person = ? AND kind = 'totp' AND state = 'active'", [person]))
    }

    /// The credentials with a secret or destination sealed under a key other than `keyID`.
    static func sealed(notUnder keyID: String, in db: SQLConnection) throws(StorageError) -> [CredentialRecord] {
        try records(db.rows(selectSQL + " WHERE key_id IS NOT NULL AND key_id != ?", [keyID]))
    }

    /// Stores a credential's secret and destination sealed anew under `keyID`.
    static func reseal(id: String, secret: Data?, destinationSealed: Data?, destinationHash: Data?, keyID: String,
                       in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_credential SET secret = ?, destination_sealed = ?, destination_hash = ?, key_id = ? WHERE id = ?",
                       [secret, destinationSealed, destinationHash, keyID, id])
    }

    /// Stores a password's new scrypt hash, salt and cost.
    static func rehash(id: String, secret: Data, salt: Data, params: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_credential SET secret = ?, salt = ?, params = ? WHERE id = ?", [secret, salt, params, id])
    }

    /// Records an accepted TOTP time step (and activates a pending key confirmed by it).
    static func acceptStep(id: String, step: Int64, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_credential SET last_step = ?, state = 'active' WHERE id = ?", [step, id])
    }

    /// Records a TOTP resync: the new drift and the last step it accepted.
    static func resync(id: String, drift: Int64, lastStep: Int64, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_credential SET drift = ?, last_step = ?, failures = 0 WHERE id = ?", [drift, lastStep, id])
    }

    static func activate(id: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_credential SET state = 'active' WHERE id = ?", [id])
    }

    static func touch(id: String, at now: Date, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_credential SET last_used_at = ? WHERE id = ?", [now, id])
    }

    /// Disables a credential of `person` that is not disabled yet; false when there is none.
    static func disable(id: String, person: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.execute("UPDATE otp_credential SET state = 'disabled' WHERE id = ? AND person = ? AND state != 'disabled'", [id, person]) == 1
    }

    /// Deletes credential `id` if it is still pending.
    static func deletePending(id: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("DELETE FROM otp_credential WHERE id = ? AND state = 'pending'", [id])
    }

    /// Deletes pending credentials created before `cutoff`; returns how many.
    static func purgePending(createdBefore cutoff: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM otp_credential WHERE state = 'pending' AND created_at < ?", [cutoff])
    }
}
