import Foundation
import Storage

/// One row of the `session` table, and every statement on it. The store keeps the SHA-256 of
/// the bearer token, never the token.
struct SessionRecord {
    enum Column: String, SQLColumnList {
        case id
        case tokenHash = "token_hash"
        case person
        case givenName = "given_name"
        case familyName = "family_name"
        case method, level
        case authenticatedAt = "authenticated_at"
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
        case expiresAt = "expires_at"
        case idleTimeout = "idle_timeout"
        case cardBinding = "card_binding"
        case organisation, application
        case endedAt = "ended_at"
        case endReason = "end_reason"
        case cardAuthenticatedAt = "card_authenticated_at"
    }

    var id: String
    var tokenHash: Data
    var person: String?
    var givenName: String?
    var familyName: String?
    var method: String
    var level: Int
    var authenticatedAt: Date
    var createdAt: Date
    var lastUsedAt: Date
    var expiresAt: Date
    var idleTimeout: Double
    var cardBinding: String?
    var organisation: String?
    var application: String?
    var endedAt: Date?
    var endReason: String?
    var cardAuthenticatedAt: Date?

    init(id: String, tokenHash: Data, person: String?, givenName: String?, familyName: String?, method: String, level: Int,
         authenticatedAt: Date, createdAt: Date, lastUsedAt: Date, expiresAt: Date, idleTimeout: Double, cardBinding: String?,
         organisation: String? = nil, application: String? = nil, endedAt: Date? = nil, endReason: String? = nil,
         cardAuthenticatedAt: Date?) {
        self.id = id
        self.tokenHash = tokenHash
        self.person = person
        self.givenName = givenName
        self.familyName = familyName
        self.method = method
        self.level = level
        self.authenticatedAt = authenticatedAt
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.idleTimeout = idleTimeout
        self.cardBinding = cardBinding
        self.organisation = organisation
        self.application = application
        self.endedAt = endedAt
        self.endReason = endReason
        self.cardAuthenticatedAt = cardAuthenticatedAt
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id)
        tokenHash = try row.value(Column.tokenHash)
        person = try row.optional(Column.person)
        givenName = try row.optional(Column.givenName)
        familyName = try row.optional(Column.familyName)
        method = try row.value(Column.method)
        level = try row.value(Column.level)
        authenticatedAt = try row.value(Column.authenticatedAt)
        createdAt = try row.value(Column.createdAt)
        lastUsedAt = try row.value(Column.lastUsedAt)
        expiresAt = try row.value(Column.expiresAt)
        idleTimeout = try row.value(Column.idleTimeout)
        cardBinding = try row.optional(Column.cardBinding)
        organisation = try row.optional(Column.organisation)
        application = try row.optional(Column.application)
        endedAt = try row.optional(Column.endedAt)
        endReason = try row.optional(Column.endReason)
        cardAuthenticatedAt = try row.optional(Column.cardAuthenticatedAt)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments {
        [id, tokenHash, person, givenName, familyName, method, level, authenticatedAt, createdAt, lastUsedAt, expiresAt,
         idleTimeout, cardBinding, organisation, application, endedAt, endReason, cardAuthenticatedAt]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "session")
    private static let selectSQL = Column.select(from: "session")

    static func insert(_ record: SessionRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    static func find(id: String, in db: SQLConnection) throws(StorageError) -> SessionRecord? {
        try db.row(selectSQL + " WHERE id = ?", [id]).map { row throws(StorageError) in try SessionRecord(row: row) }
    }

    /// The session of a token hash, ended or not.
    static func find(tokenHash: Data, in db: SQLConnection) throws(StorageError) -> SessionRecord? {
        try db.row(selectSQL + " WHERE token_hash = ?", [tokenHash]).map { row throws(StorageError) in try SessionRecord(row: row) }
    }

    /// The session of a token hash if it has not ended (it may have expired).
    static func findUnended(tokenHash: Data, in db: SQLConnection) throws(StorageError) -> SessionRecord? {
        try db.row(selectSQL + " WHERE token_hash = ? AND ended_at IS NULL", [tokenHash]).map { row throws(StorageError) in
            try SessionRecord(row: row)
        }
    }

    /// Whether session `id` is unended, unexpired and used within its idle timeout at `now`.
    static func isLive(id: String, at now: Date, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("""
            SELECT 1 FROM session WHERE id = ? AND ended_at IS NULL AND expires_at > ? AND ? - last_used_at <= idle_timeout
            """, [id, now, now], as: Int.self) == 1
    }

    /// Which of `ids` name live sessions (one statement for the whole list).
    static func live(ids: [String], at now: Date, in db: SQLConnection) throws(StorageError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var arguments: SQLArguments = [now, now]
        for id in ids { arguments.append(id) }
        let list = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        return Set(try db.values("""
            SELECT id FROM session WHERE ended_at IS NULL AND expires_at > ? AND ? - last_used_at <= idle_timeout AND id IN (\(list))
            """, arguments, as: String.self))
    }

    static func touch(id: String, at now: Date, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE session SET last_used_at = ? WHERE id = ?", [now, id])
    }

    /// Sets the organisation and application of an unended session.
    static func setOrganisation(id: String, organisation: String, application: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE session SET organisation = ?, application = ? WHERE id = ? AND ended_at IS NULL", [organisation, application, id])
    }

    /// Clears the organisation and application of session `id` if it still acts for `organisation`.
    static func clearOrganisation(id: String, ifStill organisation: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE session SET organisation = NULL, application = NULL WHERE id = ? AND organisation = ?", [id, organisation])
    }

    /// Replaces the token and authentication of an unended session (step-up); false when it ended.
    static func raise(id: String, tokenHash: Data, at now: Date, authenticatedAt: Date, level: Int, method: String,
                      cardAuthenticatedAt: Date?, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.execute("""
            UPDATE session SET token_hash = ?, last_used_at = ?, authenticated_at = ?, level = ?, method = ?, card_authenticated_at = ?
            WHERE id = ? AND ended_at IS NULL
            """, [tokenHash, now, authenticatedAt, level, method, cardAuthenticatedAt, id]) == 1
    }

    /// Which unended sessions ``end(_:at:reason:in:)`` ends.
    enum Selection {
        case id(String)
        case tokenHash(Data)
        case cardBinding(String)
        /// Every binding that starts with this text (`READER/`).
        case cardBindingPrefix(String)
        case person(String)
    }

    /// Ends the unended sessions `selection` picks; returns how many ended.
    @discardableResult
    static func end(_ selection: Selection, at now: Date, reason: String, in db: SQLConnection) throws(StorageError) -> Int {
        let set = "UPDATE session SET ended_at = ?, end_reason = ? WHERE "
        switch selection {
        case .id(let id):
            return try db.execute(set + "id = ? AND ended_at IS NULL", [now, reason, id])
        case .tokenHash(let hash):
            return try db.execute(set + "token_hash = ? AND ended_at IS NULL", [now, reason, hash])
        case .cardBinding(let binding):
            return try db.execute(set + "card_binding = ? AND ended_at IS NULL", [now, reason, binding])
        case .cardBindingPrefix(let prefix):
            return try db.execute(set + "card_binding IS NOT NULL AND substr(card_binding, 1, ?) = ? AND ended_at IS NULL",
                                  [now, reason, prefix.unicodeScalars.count, prefix])
        case .person(let person):
            return try db.execute(set + "person = ? AND ended_at IS NULL", [now, reason, person])
        }
    }

    /// Deletes sessions ended, or expired, before `cutoff`; returns how many.
    static func purge(before cutoff: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM session WHERE COALESCE(ended_at, expires_at) < ?", [cutoff])
    }
}
