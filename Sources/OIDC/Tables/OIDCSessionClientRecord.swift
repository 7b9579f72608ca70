import Foundation
import Storage

/// One row of `oidc_session_client`: a client with a back-channel logout URI that received a
/// code for a session. When the session ends, the client gets a logout token; the row is the
/// delivery's state (attempts, when to try next) and goes once the client acknowledged it or
/// the attempts ran out.
struct OIDCSessionClientRecord: Equatable {
    enum Column: String, SQLColumnList {
        case sessionID = "session_id"
        case clientID = "client_id"
        case subject
        case createdAt = "created_at"
        case attempts
        case nextAttemptAt = "next_attempt_at"
    }

    var sessionID: String
    var clientID: String
    /// The pairwise `sub` the client knows the person by.
    var subject: String
    var createdAt: Date
    /// Logout deliveries tried so far (0 while the session lives).
    var attempts: Int
    /// When the row is looked at next: the session's liveness check, or the next delivery.
    var nextAttemptAt: Date

    init(sessionID: String, clientID: String, subject: String, createdAt: Date, attempts: Int = 0, nextAttemptAt: Date) {
        self.sessionID = sessionID
        self.clientID = clientID
        self.subject = subject
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
    }

    init(row: SQLRow) throws(StorageError) {
        sessionID = try row.value(Column.sessionID)
        clientID = try row.value(Column.clientID)
        subject = try row.value(Column.subject)
        createdAt = try row.value(Column.createdAt)
        attempts = try row.value(Column.attempts)
        nextAttemptAt = try row.value(Column.nextAttemptAt)
    }

    var arguments: SQLArguments { [sessionID, clientID, subject, createdAt, attempts, nextAttemptAt] }

    // MARK: - Statements

    private static let selectSQL = Column.select(from: "oidc_session_client")

    /// Records the client's login for the session once (a second code for the pair changes nothing).
    static func insert(_ record: OIDCSessionClientRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(Column.insert(into: "oidc_session_client") + " ON CONFLICT (session_id, client_id) DO NOTHING", record.arguments)
    }

    /// Up to `limit` rows due at `now`, the longest waiting first.
    static func due(at now: Date, limit: Int, in db: SQLConnection) throws(StorageError) -> [OIDCSessionClientRecord] {
        try db.rows(selectSQL + " WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?", [now, limit]).map {
            row throws(StorageError) in try OIDCSessionClientRecord(row: row)
        }
    }

    /// Moves the row's next look to `next` if no other instance moved it since it was read
    /// (compare and set on `next_attempt_at`): true when this caller now owns the step.
    static func claim(_ record: OIDCSessionClientRecord, next: Date, attempts: Int, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.execute("""
            UPDATE oidc_session_client SET next_attempt_at = ?, attempts = ?
            WHERE session_id = ? AND client_id = ? AND next_attempt_at = ? AND attempts = ?
            """, [next, attempts, record.sessionID, record.clientID, record.nextAttemptAt, record.attempts]) == 1
    }

    /// Removes the row (delivered, or given up).
    static func delete(sessionID: String, clientID: String, in db: SQLConnection) throws(StorageError) {
        _ = try db.execute("DELETE FROM oidc_session_client WHERE session_id = ? AND client_id = ?", [sessionID, clientID])
    }

    /// The rows of one session (tests and the audit).
    static func all(sessionID: String, in db: SQLConnection) throws(StorageError) -> [OIDCSessionClientRecord] {
        try db.rows(selectSQL + " WHERE session_id = ? ORDER BY client_id", [sessionID]).map { row throws(StorageError) in
            try OIDCSessionClientRecord(row: row)
        }
    }
}
