import Foundation
import GRDB
import Storage

/// Counts of a KBO import.
public struct KBOImportReport: Sendable, Codable {
    public var extractNumber: Int?
    public var snapshotDate: String?
    public var extractType: KBOExtractType = .full
    /// Rows read per file (`enterprise.csv`, `enterprise_delete.csv`, `enterprise_insert.csv`, …).
    public var rows: [String: Int] = [:]
    /// Organisations marked inactive by this import (absent from a full extract, or deleted and
    /// not re-inserted by an update). They and everything local that refers to them are kept.
    public var deactivatedOrganisations = 0
    public var deactivatedEstablishments = 0
    public var totalRows: Int { rows.values.reduce(0, +) }
}

/// The two kinds of KBO Open Data extract (cookbook R018 §1.5): a monthly full file, and an
/// update file holding, per table, `<name>_delete.csv` (numbers whose rows go first) and
/// `<name>_insert.csv` (rows to add).
public enum KBOExtractType: String, Sendable, Codable {
    case full, update
}

/// Progress of an import: file name, rows done in that file, bytes read, file size.
public typealias ImportProgress = @Sendable (_ file: String, _ rows: Int, _ bytes: Int, _ size: Int) -> Void

/// One KBO child table: names, addresses, contacts, activities, branches. Their rows belong to
/// the KBO, so a full import replaces them and an update deletes by entity number and re-inserts.
private struct KBOChildTable: Sendable {
    let file: String
    let table: String
    let key: String
    let deleteColumn: String
    let columns: [String]
    let insert: String
    let indexes: [String]
    /// Converts the CSV values (in `columns` order) into the statement arguments.
    let bind: @Sendable ([String], KBOImportRow) throws -> StatementArguments

    static let all: [KBOChildTable] = [
        KBOChildTable(file: "denomination", table: "kbo_denomination", key: "entity", deleteColumn: "EntityNumber",
                      columns: ["EntityNumber", "Language", "TypeOfDenomination", "Denomination"],
                      insert: "INSERT INTO kbo_denomination (entity, language, type, name) VALUES (?, ?, ?, ?)",
                      indexes: [KBOImportIndexes.denomination]) { v, row in
            [try row.entity(v[0]), v[1], v[2], v[3]]
        },
        KBOChildTable(file: "address", table: "kbo_address", key: "entity", deleteColumn: "EntityNumber",
                      columns: ["EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL", "MunicipalityFR",
                                "StreetNL", "StreetFR", "HouseNumber", "Box", "ExtraAddressInfo", "DateStrikingOff"],
                      insert: """
                          INSERT INTO kbo_address (entity, type, country_nl, country_fr, zipcode, municipality_nl, municipality_fr, street_nl,
                            street_fr, house_number, box, extra, date_striking_off) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                          """,
                      indexes: ["CREATE INDEX kbo_address_entity ON kbo_address(entity)"]) { v, row in
            let e = KBOImportRow.empty
            return [try row.entity(v[0]), v[1], e(v[2]), e(v[3]), e(v[4]), e(v[5]), e(v[6]), e(v[7]), e(v[8]), e(v[9]), e(v[10]), e(v[11]),
                    try row.date(v[12])]
        },
        KBOChildTable(file: "contact", table: "kbo_contact", key: "entity", deleteColumn: "EntityNumber",
                      columns: ["EntityNumber", "EntityContact", "ContactType", "Value"],
                      insert: "INSERT INTO kbo_contact (entity, entity_contact, contact_type, value) VALUES (?, ?, ?, ?)",
                      indexes: ["CREATE INDEX kbo_contact_entity ON kbo_contact(entity)"]) { v, row in
            [try row.entity(v[0]), v[1], v[2], v[3]]
        },
        KBOChildTable(file: "activity", table: "kbo_activity", key: "entity", deleteColumn: "EntityNumber",
                      columns: ["EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"],
                      insert: "INSERT INTO kbo_activity (entity, activity_group, nace_version, nace_code, classification) VALUES (?, ?, ?, ?, ?)",
                      indexes: ["CREATE INDEX kbo_activity_entity ON kbo_activity(entity)"]) { v, row in
            [try row.entity(v[0]), v[1], v[2], v[3], v[4]]
        },
        // Branch IDs are not official numbers: kept only inside the KBO tables (§12.2).
        KBOChildTable(file: "branch", table: "kbo_branch", key: "id", deleteColumn: "Id",
                      columns: ["Id", "StartDate", "EnterpriseNumber"],
                      insert: "INSERT OR REPLACE INTO kbo_branch (id, start_date, enterprise) VALUES (?, ?, ?)",
                      indexes: []) { v, row in
            [KBOImportRow.branch(v[0]), try row.date(v[1]), try row.entity(v[2])]
        },
    ]
}

/// Indexes shared by the schema and the bulk load (which drops and rebuilds them).
enum KBOImportIndexes {
    /// Covers the display-name lookup of resolution (entity, type, language → name).
    static let denomination = "CREATE INDEX kbo_denomination_entity ON kbo_denomination(entity, type, language, name)"
}

/// Index names of `CREATE INDEX <name> ON …` statements.
private enum KBOImportIndex {
    static func name(_ statement: String) -> String {
        String(statement.split(separator: " ")[2])
    }
}

/// Value checks for one CSV row; errors name the file and row, never the value.
private struct KBOImportRow {
    let reader: CSVReader

    func entity(_ text: String, enterpriseOnly: Bool = false) throws -> String {
        if let number = KBONumber.fastKBOForm(text), !enterpriseOnly || number.kind == .enterprise { return number.digits }
        do {
            let number = try KBONumber(text)
            if enterpriseOnly, number.kind != .enterprise {
                throw RightsError(.kboNotAnEnterprise, "an establishment unit number where an enterprise number is required")
            }
            return number.digits
        } catch let error as RightsError {
            throw RightsError(.importMalformedRow, "invalid entity number: \(error.reason)", source: reader.name, row: reader.row)
        }
    }

    func date(_ text: String) throws -> String? {
        if text.isEmpty { return nil }
        guard let value = LocalDate(text) else {
            throw RightsError(.importMalformedRow, "invalid date (expected dd-mm-yyyy)", source: reader.name, row: reader.row)
        }
        return value.iso
    }

    static func empty(_ text: String) -> String? { text.isEmpty ? nil : text }

    static func branch(_ text: String) -> String { text.filter { $0 != "." } }
}

extension RightsService {
    /// Imports a KBO Open Data extract from an unzipped directory: a full extract (`meta.csv`,
    /// `code.csv`, `enterprise.csv`, `establishment.csv`, `denomination.csv`, `address.csv`,
    /// `contact.csv`, `activity.csv`, `branch.csv`; only `enterprise.csv` is required) or an
    /// update extract (`meta.csv` with `ExtractType` update, `code.csv`, and per table
    /// `<name>_delete.csv` / `<name>_insert.csv`).
    ///
    /// - Streaming: one CSV record in memory at a time; SQLite spills to disk, so memory stays
    ///   bounded whatever the extract size.
    /// - One transaction: a malformed row aborts the whole import with its file and row number,
    ///   and nothing is written.
    /// - Full: KBO child tables (names, addresses, contacts, activities, branches, codes) are
    ///   replaced; organisations and establishments are upserted, and those seen in an earlier
    ///   extract but absent from this one are marked inactive, never deleted (§13.4).
    /// - Update: must carry the extract number right after the last one applied (the cookbook
    ///   raises it by one per file); otherwise `import.outOfOrder` and a full reload is needed.
    ///   Per table, rows of the numbers in `_delete` go first, then `_insert` rows are added
    ///   (an entity's names, addresses… are always re-sent whole). An enterprise or
    ///   establishment in `_delete` and not re-inserted is marked inactive, never deleted.
    /// - Local data (persons, mandates, appointments, werkrelaties, grants, approvals, audit)
    ///   is never touched: it refers to organisations by number, and an inactive organisation
    ///   simply yields no rights (INV-10). Organisations registered by hand (never seen in an
    ///   extract) are left alone by full imports.
    @discardableResult
    public func importKBO(directory: String, skipActivities: Bool = false, progress: ImportProgress? = nil) throws -> KBOImportReport {
        let fileManager = FileManager.default
        func path(_ name: String) -> String? {
            let full = (directory as NSString).appendingPathComponent(name)
            return fileManager.fileExists(atPath: full) ? full : nil
        }
        var meta: [String: String] = [:]
        if let metaPath = path("meta.csv") {
            let reader = try CSVReader(path: metaPath)
            let columns = try reader.header(requiring: ["Variable", "Value"])
            while let record = try reader.next() {
                guard record.count > max(columns[0], columns[1]) else { continue }
                meta[record[columns[0]]] = record[columns[1]]
            }
        }
        let hasUpdateFiles = path("enterprise_delete.csv") != nil || path("enterprise_insert.csv") != nil
        let type: KBOExtractType = meta["ExtractType"]?.lowercased() == "update" || hasUpdateFiles ? .update : .full
        if type == .full, path("enterprise.csv") == nil {
            throw RightsError(.importMissingFile, "enterprise.csv not found in the directory", source: "enterprise.csv")
        }
        if type == .update, meta["ExtractNumber"] == nil {
            throw RightsError(.importMissingFile, "an update extract needs meta.csv with ExtractNumber", source: "meta.csv")
        }
        var report = KBOImportReport()
        report.extractType = type
        let now = clock.now()
        try database.write { db in
            let previous = try Int.fetchOne(db, sql: "SELECT max(extract_number) FROM kbo_extract")
            let extract: Int
            if let text = meta["ExtractNumber"] {
                guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    throw RightsError(.importMalformedRow, "ExtractNumber is not a number", source: "meta.csv")
                }
                extract = number
            } else {
                extract = (previous ?? 0) + 1
            }
            switch type {
            case .full:
                if let previous, extract < previous {
                    throw RightsError(.importOutOfOrder, "extract \(extract) is older than the last imported extract \(previous)")
                }
            case .update:
                guard let previous else {
                    throw RightsError(.importOutOfOrder, "no extract imported yet: import a full extract first")
                }
                guard extract == previous + 1 else {
                    throw RightsError(.importOutOfOrder,
                                      "update \(extract) does not follow the last applied extract \(previous); import a full extract")
                }
            }
            report.extractNumber = extract
            report.snapshotDate = meta["SnapshotDate"]
            // Bigger page cache for the bulk load (bounded: 64 MiB), restored afterwards.
            let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
            try db.execute(sql: "PRAGMA cache_size = -65536")
            defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }

            /// Streams one CSV file through `body`, checking the header and the row width.
            func run(_ name: String, _ columns: [String], _ body: ([String], KBOImportRow) throws -> Void) throws {
                guard let filePath = path(name) else { return }
                let size = ((try? fileManager.attributesOfItem(atPath: filePath)[.size]) as? Int) ?? 0
                let reader = try CSVReader(path: filePath)
                let positions = try reader.header(requiring: columns)
                let width = positions.max()! + 1
                let row = KBOImportRow(reader: reader)
                var count = 0
                var values = [String](repeating: "", count: positions.count)
                while let record = try reader.next() {
                    if record.count == 1, record[0].isEmpty { continue }
                    guard record.count >= width else {
                        throw RightsError(.importMalformedRow, "expected at least \(width) columns, got \(record.count)", source: name,
                                          row: reader.row)
                    }
                    for (index, position) in positions.enumerated() { values[index] = record[position] }
                    try body(values, row)
                    count += 1
                    if count % 100_000 == 0 { progress?(name, count, reader.bytesRead, size) }
                }
                progress?(name, count, reader.bytesRead, size)
                report.rows[name] = count
            }

            // code.csv: always the full table.
            if path("code.csv") != nil {
                try db.execute(sql: "DELETE FROM kbo_code")
                let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO kbo_code (category, code, language, description) VALUES (?, ?, ?, ?)")
                try run("code.csv", ["Category", "Code", "Language", "Description"]) { v, _ in
                    try insert.execute(arguments: [v[0], v[1], v[2], v[3]])
                }
            }
            let upsertEnterprise = try db.makeStatement(sql: """
                INSERT INTO organisation (kbo, status, juridical_situation, type_of_enterprise, juridical_form, juridical_form_cac,
                  start_date, imported_from_extract, last_seen_extract, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                ON CONFLICT(kbo) DO UPDATE SET status = excluded.status, juridical_situation = excluded.juridical_situation,
                  type_of_enterprise = excluded.type_of_enterprise, juridical_form = excluded.juridical_form,
                  juridical_form_cac = excluded.juridical_form_cac, start_date = excluded.start_date,
                  imported_from_extract = coalesce(organisation.imported_from_extract, excluded.imported_from_extract),
                  last_seen_extract = excluded.last_seen_extract, active = 1
                """)
            let enterpriseColumns = ["EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise", "JuridicalForm",
                                     "JuridicalFormCAC", "StartDate"]
            let enterprise: ([String], KBOImportRow) throws -> Void = { v, row in
                try upsertEnterprise.execute(arguments: [try row.entity(v[0], enterpriseOnly: true), v[1], v[2], v[3],
                                                         KBOImportRow.empty(v[4]), KBOImportRow.empty(v[5]), try row.date(v[6]),
                                                         extract, extract])
            }
            let upsertEstablishment = try db.makeStatement(sql: """
                INSERT INTO establishment (number, enterprise, start_date, last_seen_extract, active) VALUES (?, ?, ?, ?, 1)
                ON CONFLICT(number) DO UPDATE SET enterprise = excluded.enterprise, start_date = excluded.start_date,
                  last_seen_extract = excluded.last_seen_extract, active = 1
                """)
            let establishmentColumns = ["EstablishmentNumber", "StartDate", "EnterpriseNumber"]
            let establishment: ([String], KBOImportRow) throws -> Void = { v, row in
                try upsertEstablishment.execute(arguments: [try row.entity(v[0]), try row.entity(v[2], enterpriseOnly: true),
                                                            try row.date(v[1]), extract])
            }
            let children = KBOChildTable.all.filter { !(skipActivities && $0.file == "activity") }

            switch type {
            case .full:
                try run("enterprise.csv", enterpriseColumns, enterprise)
                try db.execute(sql: """
                    UPDATE organisation SET active = 0 WHERE active = 1 AND last_seen_extract IS NOT NULL AND last_seen_extract <> ?
                    """, arguments: [extract])
                report.deactivatedOrganisations = db.changesCount
                if path("establishment.csv") != nil {
                    try run("establishment.csv", establishmentColumns, establishment)
                    try db.execute(sql: """
                        UPDATE establishment SET active = 0 WHERE active = 1 AND last_seen_extract IS NOT NULL AND last_seen_extract <> ?
                        """, arguments: [extract])
                    report.deactivatedEstablishments = db.changesCount
                }
                for child in children where path(child.file + ".csv") != nil {
                    // Bulk load: empty the table, load without its index, rebuild the index once.
                    for index in child.indexes { try db.execute(sql: "DROP INDEX IF EXISTS \(KBOImportIndex.name(index))") }
                    try db.execute(sql: "DELETE FROM \(child.table)")
                    let insert = try db.makeStatement(sql: child.insert)
                    try run(child.file + ".csv", child.columns) { v, row in try insert.execute(arguments: try child.bind(v, row)) }
                    for index in child.indexes { try db.execute(sql: index) }
                }
            case .update:
                // Numbers deleted by this update, to count what stays inactive.
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS kbo_update_deleted (kind TEXT NOT NULL, number TEXT NOT NULL, PRIMARY KEY (kind, number)) WITHOUT ROWID")
                try db.execute(sql: "DELETE FROM temp.kbo_update_deleted")
                let remember = try db.makeStatement(sql: "INSERT OR IGNORE INTO temp.kbo_update_deleted (kind, number) VALUES (?, ?)")
                let deactivateEnterprise = try db.makeStatement(sql: "UPDATE organisation SET active = 0 WHERE kbo = ?")
                try run("enterprise_delete.csv", ["EnterpriseNumber"]) { v, row in
                    let number = try row.entity(v[0], enterpriseOnly: true)
                    try deactivateEnterprise.execute(arguments: [number])
                    try remember.execute(arguments: ["enterprise", number])
                }
                try run("enterprise_insert.csv", enterpriseColumns, enterprise)
                let deactivateEstablishment = try db.makeStatement(sql: "UPDATE establishment SET active = 0 WHERE number = ?")
                try run("establishment_delete.csv", ["EstablishmentNumber"]) { v, row in
                    let number = try row.entity(v[0])
                    try deactivateEstablishment.execute(arguments: [number])
                    try remember.execute(arguments: ["establishment", number])
                }
                try run("establishment_insert.csv", establishmentColumns, establishment)
                for child in children {
                    let delete = try db.makeStatement(sql: "DELETE FROM \(child.table) WHERE \(child.key) = ?")
                    try run(child.file + "_delete.csv", [child.deleteColumn]) { v, row in
                        try delete.execute(arguments: [child.key == "id" ? KBOImportRow.branch(v[0]) : try row.entity(v[0])])
                    }
                    let insert = try db.makeStatement(sql: child.insert)
                    try run(child.file + "_insert.csv", child.columns) { v, row in try insert.execute(arguments: try child.bind(v, row)) }
                }
                report.deactivatedOrganisations = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM organisation o JOIN temp.kbo_update_deleted d ON d.kind = 'enterprise' AND d.number = o.kbo
                    WHERE o.active = 0
                    """) ?? 0
                report.deactivatedEstablishments = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM establishment e JOIN temp.kbo_update_deleted d ON d.kind = 'establishment' AND d.number = e.number
                    WHERE e.active = 0
                    """) ?? 0
                try db.execute(sql: "DELETE FROM temp.kbo_update_deleted")
            }
            try db.execute(sql: """
                INSERT INTO kbo_extract (extract_number, snapshot_date, extract_timestamp, extract_type, version, imported_at, rows)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [extract, meta["SnapshotDate"], meta["ExtractTimestamp"], type.rawValue, meta["Version"],
                                 Audit.text(now), report.totalRows])
            try Audit.append(db, at: now, actor: nil, authority: "system:kbo-import", level: nil, action: "kbo.import", organisation: nil,
                             subject: nil, after: ["extract": "\(extract)", "type": type.rawValue, "rows": "\(report.totalRows)",
                                                   "deactivated": "\(report.deactivatedOrganisations)",
                                                   "deactivatedEstablishments": "\(report.deactivatedEstablishments)"])
        }
        return report
    }

    /// Imports the legal-representatives feed (CSV with header
    /// `EnterpriseNumber,INSZ,GivenName,FamilyName,Function,ValidFrom,ValidUntil`; dates
    /// `dd-mm-yyyy` or ISO, `ValidUntil` may be empty). The file is a full snapshot of the
    /// feed: open mandates from the same source missing from it end yesterday (E11).
    /// One transaction: a malformed row aborts with its row number and nothing is written.
    /// - Returns: the number of mandates read and the number ended.
    @discardableResult
    public func importRepresentatives(file: String, source: String = "feed") throws -> (read: Int, ended: Int) {
        let now = clock.now()
        let today = LocalDate(now)
        let reader = try CSVReader(path: file)
        let columns = try reader.header(requiring: ["EnterpriseNumber", "INSZ", "GivenName", "FamilyName", "Function", "ValidFrom", "ValidUntil"])
        let width = columns.max()! + 1
        return try database.write { db in
            var seen: Set<Int64> = []
            while let record = try reader.next() {
                if record.count == 1, record[0].isEmpty { continue }
                guard record.count >= width else {
                    throw RightsError(.importMalformedRow, "expected \(width) columns, got \(record.count)", source: reader.name, row: reader.row)
                }
                let v = columns.map { record[$0] }
                let organisation: KBONumber
                let person: INSZ
                do {
                    organisation = try KBONumber.enterprise(v[0])
                    person = try INSZ(v[1], origin: .manualEntry, today: today)
                } catch let error as RightsError {
                    throw RightsError(.importMalformedRow, "\(error.code): \(error.reason)", source: reader.name, row: reader.row)
                }
                guard let from = LocalDate(v[5]) else {
                    throw RightsError(.importMalformedRow, "invalid ValidFrom date", source: reader.name, row: reader.row)
                }
                var until: LocalDate?
                if !v[6].isEmpty {
                    guard let date = LocalDate(v[6]), date >= from else {
                        throw RightsError(.importMalformedRow, "invalid ValidUntil date", source: reader.name, row: reader.row)
                    }
                    until = date
                }
                let function = v[4].isEmpty ? "WV" : v[4]
                seen.insert(try Mandates.upsert(db, person: person, givenName: v[2].isEmpty ? nil : v[2], familyName: v[3].isEmpty ? nil : v[3],
                                                organisation: organisation.digits, function: function,
                                                validity: Validity(from: from, until: until), source: source, at: now))
            }
            let open = try Int64.fetchAll(db, sql: """
                SELECT id FROM legal_representative WHERE source = ? AND (valid_until IS NULL OR valid_until >= ?)
                """, arguments: [source, today.iso])
            var ended = 0
            let yesterday = today.adding(days: -1)
            for id in open where !seen.contains(id) {
                guard let row = try Row.fetchOne(db, sql: "SELECT person_id, organisation, valid_from FROM legal_representative WHERE id = ?",
                                                 arguments: [id]) else { continue }
                let from = LocalDate(row["valid_from"] as String)!
                try db.execute(sql: "UPDATE legal_representative SET valid_until = ? WHERE id = ?", arguments: [max(from, yesterday).iso, id])
                try Audit.append(db, at: now, actor: nil, authority: "system:\(source)", level: nil, action: "mandate.end",
                                 organisation: row["organisation"], subject: PersonID(row["person_id"]),
                                 after: ["mandate": "\(id)", "validUntil": max(from, yesterday).iso])
                ended += 1
            }
            return (seen.count, ended)
        }
    }
}
