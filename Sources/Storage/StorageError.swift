import GRDB

/// Why the Storage module refused or failed something. The code names the failure; `reason`
/// never contains statement arguments (they may carry national numbers or other personal
/// data): GRDB leaves them out of its descriptions unless `publicStatementArguments` is set,
/// and `Database` never sets it.
public struct StorageError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case open, migration, constraint, busy, query, decoding, readOnly, corrupt, io
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The database file could not be opened or configured.
        public static let open = Code(.open)
        /// A migration failed; the schema is left as it was before that migration.
        public static let migration = Code(.migration)
        /// A constraint (unique, foreign key, check, trigger) refused a write.
        public static let constraint = Code(.constraint)
        /// The database stayed locked by another connection past the busy timeout.
        public static let busy = Code(.busy)
        /// Any other SQL error.
        public static let query = Code(.query)
        /// A row did not have the column or the type its reader expected (a schema and its
        /// record type disagree).
        public static let decoding = Code(.decoding)
        /// A write was attempted on a read-only connection.
        public static let readOnly = Code(.readOnly)
        /// The file is not a database or is damaged.
        public static let corrupt = Code(.corrupt)
        /// Disk full or an I/O error.
        public static let io = Code(.io)

        public var description: String { "storage.\(value.rawValue)" }
    }

    public let code: Code
    /// What failed, without statement arguments.
    public let reason: String
    /// For constraint failures raised by a trigger (`RAISE(ABORT, 'name')`): the trigger's message.
    public let constraintMessage: String?
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, constraintMessage: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.constraintMessage = constraintMessage
        self.file = file
        self.line = line
    }

    public static func == (lhs: StorageError, rhs: StorageError) -> Bool { lhs.code == rhs.code }

    public var description: String { "StorageError.\(code): \(reason)" }

    /// Maps a GRDB error to a `StorageError`. The SQL text is kept (it holds no values: all
    /// values are bound as arguments); the arguments are dropped.
    public static func from(_ error: DatabaseError, file: String = #fileID, line: Int = #line) -> StorageError {
        let code: Code
        switch error.resultCode {
        case .SQLITE_CONSTRAINT: code = .constraint
        case .SQLITE_BUSY, .SQLITE_LOCKED: code = .busy
        case .SQLITE_READONLY: code = .readOnly
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: code = .corrupt
        case .SQLITE_IOERR, .SQLITE_FULL: code = .io
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH: code = .open
        default: code = .query
        }
        let message = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        let sql = error.sql.map { " in `\($0)`" } ?? ""
        return StorageError(code, message + sql, constraintMessage: code == .constraint ? error.message : nil,
                            file: file, line: line)
    }
}
