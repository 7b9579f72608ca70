import Foundation
import Storage

/// One row of the `otp_challenge` table (a code sent by SMS or e-mail), and every statement on
/// it. The store keeps an HMAC of the code; a sealed copy only during the resend cool-down.
struct ChallengeRecord {
    enum Column: String, SQLColumnList {
        case id
        case credentialID = "credential_id"
        case person, channel, purpose
        case codeHash = "code_hash"
        case codeSealed = "code_sealed"
        case keyID = "key_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case resendUntil = "resend_until"
        case used
    }

    var id: String
    var credentialID: String
    var person: String
    var channel: String
    /// `confirm` (a new destination) or `login`.
    var purpose: String
    /// HMAC-SHA256(key, `id:code`).
    var codeHash: Data
    var codeSealed: Data?
    /// The key of `codeHash` and `codeSealed`.
    var keyID: String
    var createdAt: Date
    var expiresAt: Date
    var resendUntil: Date
    var used: Bool

    init(id: String, credentialID: String, person: String, channel: String, purpose: String, codeHash: Data, codeSealed: Data?, keyID: String,
         createdAt: Date, expiresAt: Date, resendUntil: Date) {
        self.id = id
        self.credentialID = credentialID
        self.person = person
        self.channel = channel
        self.purpose = purpose
        self.codeHash = codeHash
        self.codeSealed = codeSealed
        self.keyID = keyID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.resendUntil = resendUntil
        self.used = false
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id)
        credentialID = try row.value(Column.credentialID)
        person = try row.value(Column.person)
        channel = try row.value(Column.channel)
        purpose = try row.value(Column.purpose)
        codeHash = try row.value(Column.codeHash)
        codeSealed = try row.optional(Column.codeSealed)
        keyID = try row.value(Column.keyID)
        createdAt = try row.value(Column.createdAt)
        expiresAt = try row.value(Column.expiresAt)
        resendUntil = try row.value(Column.resendUntil)
        used = try row.value(Column.used)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments {
        [id, credentialID, person, channel, purpose, codeHash, codeSealed, keyID, createdAt, expiresAt, resendUntil, used]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "otp_challenge")
    private static let selectSQL = Column.select(from: "otp_challenge")

    static func insert(_ record: ChallengeRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// A challenge with what its check needs of its credential.
    struct WithCredential {
        var challenge: ChallengeRecord
        var kind: String
        var enrolledAtLevel: Int
        var state: String
    }

    private static let withCredentialSQL = "SELECT " + Column.allCases.map { "c." + $0.rawValue }.joined(separator: ", ")
        + ", k.kind, k.enrolled_at_level, k.state FROM otp_challenge c JOIN otp_credential k ON k.id = c.credential_id WHERE c.id = ?"

    /// Challenge `id`, used or not, with the kind, level and state of its credential.
    static func withCredential(id: String, in db: SQLConnection) throws(StorageError) -> WithCredential? {
        guard let row = try db.row(withCredentialSQL, [id]) else { return nil }
        return WithCredential(challenge: try ChallengeRecord(row: row), kind: try row.value(CredentialRecord.Column.kind),
                              enrolledAtLevel: try row.value(CredentialRecord.Column.enrolledAtLevel),
                              state: try row.value(CredentialRecord.Column.state))
    }

    /// The newest unused, unexpired challenge of the credential for `purpose` still in its resend
    /// cool-down (its sealed code kept).
    static func resendable(credentialID: String, purpose: String, at now: Date, in db: SQLConnection) throws(StorageError) -> ChallengeRecord? {
        try db.row(selectSQL + """
             WHERE credential_id = ? AND purpose = ? AND used = 0 AND code_sealed IS NOT NULL AND resend_until >= ? AND expires_at > ?
            ORDER BY created_at DESC LIMIT 1
            """, [credentialID, purpose, now, now]).map { row throws(StorageError) in try ChallengeRecord(row: row) }
    }

    /// Marks the challenge used and drops its sealed code.
    static func markUsed(id: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_challenge SET used = 1, code_sealed = NULL WHERE id = ?", [id])
    }

    /// Drops the sealed codes of challenges whose cool-down ended before `now`.
    static func dropResendCopies(endedBefore now: Date, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_challenge SET code_sealed = NULL WHERE resend_until < ? AND code_sealed IS NOT NULL", [now])
    }

    /// Drops the sealed codes kept under a key other than `keyID` (the code hashes stay: a challenge lives minutes).
    static func dropResendCopies(notUnder keyID: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_challenge SET code_sealed = NULL WHERE key_id != ?", [keyID])
    }

    static func deleteAll(credentialID: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("DELETE FROM otp_challenge WHERE credential_id = ?", [credentialID])
    }

    /// Deletes challenges expired before `expiry` and those of pending credentials created before
    /// `pendingBefore`; returns how many.
    static func purge(expiredBefore expiry: Date, ofPendingCreatedBefore pendingBefore: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("""
            DELETE FROM otp_challenge WHERE expires_at < ?
               OR credential_id IN (SELECT id FROM otp_credential WHERE state = 'pending' AND created_at < ?)
            """, [expiry, pendingBefore])
    }
}
