import Storage

/// One row of `kbo_extract`: one applied KBO Open Data extract, full or update, in order.
struct KBOExtractRecord {
    enum Column: String, SQLColumnList {
        case seq
        case extractNumber = "extract_number"
        case snapshotDate = "snapshot_date"
        case extractTimestamp = "extract_timestamp"
        case extractType = "extract_type"
        case version
        case importedAt = "imported_at"
        case rows
    }

    /// Nil until inserted.
    var seq: Int64?
    var extractNumber: Int?
    var snapshotDate: String?
    var extractTimestamp: String?
    var extractType: String?
    var version: String?
    /// ISO instant.
    var importedAt: String
    var rows: Int

    init(extractNumber: Int?, snapshotDate: String?, extractTimestamp: String?, extractType: String?, version: String?,
         importedAt: String, rows: Int) {
        self.seq = nil
        self.extractNumber = extractNumber
        self.snapshotDate = snapshotDate
        self.extractTimestamp = extractTimestamp
        self.extractType = extractType
        self.version = version
        self.importedAt = importedAt
        self.rows = rows
    }

    init(row: SQLRow) throws(StorageError) {
        seq = try row.value(Column.seq, as: Int64.self)
        extractNumber = try row.optional(Column.extractNumber)
        snapshotDate = try row.optional(Column.snapshotDate)
        extractTimestamp = try row.optional(Column.extractTimestamp)
        extractType = try row.optional(Column.extractType)
        version = try row.optional(Column.version)
        importedAt = try row.value(Column.importedAt)
        rows = try row.value(Column.rows)
    }

    /// The values in ``Column`` order, without the generated `seq`.
    var arguments: SQLArguments { [extractNumber, snapshotDate, extractTimestamp, extractType, version, importedAt, rows] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "kbo_extract", returning: .seq)

    static func insert(_ record: KBOExtractRecord, in db: SQLConnection) throws(StorageError) {
        _ = try db.insertReturningID(insertSQL, record.arguments)
    }

    /// The highest extract number applied, nil before the first import.
    static func lastExtractNumber(in db: SQLConnection) throws(StorageError) -> Int? {
        try db.value("SELECT max(extract_number) FROM kbo_extract")
    }
}

/// `kbo_update_deleted`, a temporary table of the update import: the enterprise and unit
/// numbers an update deletes, to count those that stay inactive. Per connection, emptied after use.
enum KBOUpdateDeleted {
    /// Creates the table if needed and empties it.
    static func prepare(in db: SQLConnection) throws(StorageError) {
        let columns = "(kind TEXT NOT NULL, number TEXT NOT NULL, PRIMARY KEY (kind, number))"
        try db.executeScript("CREATE TEMP TABLE IF NOT EXISTS kbo_update_deleted \(columns)" + (db.engine == .sqlite ? " WITHOUT ROWID" : ""))
        try clear(in: db)
    }

    /// Remembers one number (arguments: kind `enterprise` or `establishment`, number).
    static let rememberSQL = "INSERT INTO kbo_update_deleted (kind, number) VALUES (?, ?) ON CONFLICT (kind, number) DO NOTHING"

    /// Deleted enterprises that are inactive after the update.
    static func inactiveOrganisations(in db: SQLConnection) throws(StorageError) -> Int {
        try db.value("""
            SELECT count(*) FROM organisation o JOIN kbo_update_deleted d ON d.kind = 'enterprise' AND d.number = o.kbo WHERE o.active = 0
            """) ?? 0
    }

    /// Deleted units that are inactive after the update.
    static func inactiveEstablishments(in db: SQLConnection) throws(StorageError) -> Int {
        try db.value("""
            SELECT count(*) FROM establishment e JOIN kbo_update_deleted d ON d.kind = 'establishment' AND d.number = e.number
            WHERE e.active = 0
            """) ?? 0
    }

    static func clear(in db: SQLConnection) throws(StorageError) {
        try db.execute("DELETE FROM kbo_update_deleted")
    }
}
