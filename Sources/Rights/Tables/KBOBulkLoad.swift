import Storage

/// Engine-specific tuning of the KBO bulk load. On SQLite: a bigger page cache for the load, and
/// the child tables loaded without their indexes, rebuilt once at the end. Elsewhere nothing.
enum KBOBulkLoad {
    /// Sets a 64 MiB page cache; returns the previous setting, for ``restoreCache(_:in:)``.
    static func enlargeCache(in db: SQLConnection) throws(StorageError) -> Int? {
        guard db.engine == .sqlite else { return nil }
        let previous = try db.value("PRAGMA cache_size", as: Int.self) ?? -2000
        try db.executeScript("PRAGMA cache_size = -65536")
        return previous
    }

    static func restoreCache(_ previous: Int?, in db: SQLConnection) {
        guard let previous, db.engine == .sqlite else { return }
        try? db.executeScript("PRAGMA cache_size = \(previous)")
    }

    /// Drops these indexes (`CREATE INDEX` statements of ``KBOChildRecord/indexes``) before a load.
    static func dropIndexes(_ indexes: [String], in db: SQLConnection) throws(StorageError) {
        guard db.engine == .sqlite else { return }
        for index in indexes { try db.executeScript("DROP INDEX IF EXISTS \(KBOImportIndexes.name(index))") }
    }

    /// Rebuilds the indexes dropped by ``dropIndexes(_:in:)``.
    static func createIndexes(_ indexes: [String], in db: SQLConnection) throws(StorageError) {
        guard db.engine == .sqlite else { return }
        for index in indexes { try db.executeScript(index) }
    }
}
