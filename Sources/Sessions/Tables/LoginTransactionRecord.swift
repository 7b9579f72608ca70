import Foundation
import Storage

/// One row of the `login_transaction` table (an eID challenge or a security-code login in
/// progress), and every statement on it. A transaction is single use: ``spend(id:kind:at:in:)``
/// checks and marks it in one statement.
struct LoginTransactionRecord {
    enum Column: String, SQLColumnList {
        case id, kind, application, challenge
        case cardBinding = "card_binding"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case usedAt = "used_at"
        case person
        case passwordLevel = "password_level"
        case codeChallenge = "code_challenge"
        case codeChannel = "code_channel"
        case attempts, origin
    }

    var id: String
    /// `eid` (card challenge), `webeid` (Web eID token) or `code` (security-code login).
    var kind: String
    var application: String
    var challenge: Data
    var cardBinding: String?
    var createdAt: Date
    var expiresAt: Date
    var usedAt: Date?
    var person: String?
    var passwordLevel: Int?
    var codeChallenge: String?
    var codeChannel: String?
    var attempts: Int
    /// The web origin a Web eID token must be made for.
    var origin: String?

    init(id: String, kind: String, application: String, challenge: Data, cardBinding: String? = nil, createdAt: Date, expiresAt: Date,
         person: String? = nil, passwordLevel: Int? = nil, origin: String? = nil) {
        self.id = id
        self.kind = kind
        self.application = application
        self.challenge = challenge
        self.cardBinding = cardBinding
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = nil
        self.person = person
        self.passwordLevel = passwordLevel
        self.codeChallenge = nil
        self.codeChannel = nil
        self.attempts = 0
        self.origin = origin
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id)
        kind = try row.value(Column.kind)
        application = try row.value(Column.application)
        challenge = try row.value(Column.challenge)
        cardBinding = try row.optional(Column.cardBinding)
        createdAt = try row.value(Column.createdAt)
        expiresAt = try row.value(Column.expiresAt)
        usedAt = try row.optional(Column.usedAt)
        person = try row.optional(Column.person)
        passwordLevel = try row.optional(Column.passwordLevel)
        codeChallenge = try row.optional(Column.codeChallenge)
        codeChannel = try row.optional(Column.codeChannel)
        attempts = try row.value(Column.attempts)
        origin = try row.optional(Column.origin)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments {
        [id, kind, application, challenge, cardBinding, createdAt, expiresAt, usedAt, person, passwordLevel, codeChallenge, codeChannel, attempts, origin]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "login_transaction")
    private static let selectSQL = Column.select(from: "login_transaction")

    static func insert(_ record: LoginTransactionRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// The unused, unexpired transaction `id` of `kind`, without spending it.
    static func pending(id: String, kind: String, at now: Date, in db: SQLConnection) throws(StorageError) -> LoginTransactionRecord? {
        try db.row(selectSQL + " WHERE id = ? AND kind = ? AND used_at IS NULL AND expires_at > ?", [id, kind, now]).map {
            row throws(StorageError) in try LoginTransactionRecord(row: row)
        }
    }

    /// Marks the transaction used in the same statement that checks it is unused and unexpired,
    /// so two answers to one challenge cannot both pass; false when it was used, expired or unknown.
    static func spend(id: String, kind: String, at now: Date, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.execute("UPDATE login_transaction SET used_at = ? WHERE id = ? AND kind = ? AND used_at IS NULL AND expires_at > ?",
                       [now, id, kind, now]) == 1
    }

    /// Records the SMS or e-mail challenge sent for an unused code login.
    static func setCodeChallenge(id: String, challenge: String, channel: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE login_transaction SET code_challenge = ?, code_channel = ? WHERE id = ? AND used_at IS NULL",
                       [challenge, channel, id])
    }

    /// Counts a wrong code; the transaction is spent at the `limit`-th.
    static func countWrongCode(id: String, limit: Int, at now: Date, in db: SQLConnection) throws(StorageError) {
        try db.execute("""
            UPDATE login_transaction SET attempts = attempts + 1,
                used_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE used_at END
            WHERE id = ? AND used_at IS NULL
            """, [limit, now, id])
    }

    /// Deletes transactions that expired before `now`; returns how many.
    static func purge(expiredBefore now: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM login_transaction WHERE expires_at < ?", [now])
    }
}
