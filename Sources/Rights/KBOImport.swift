import Foundation
import GRDB
import Storage

/// Counts of a KBO import.
public struct KBOImportReport: Sendable, Codable {
    public var extractNumber: Int?
    public var snapshotDate: String?
    public var rows: [String: Int] = [:]
    public var deactivatedOrganisations = 0
    public var deactivatedEstablishments = 0
    public var totalRows: Int { rows.values.reduce(0, +) }
}

/// Progress of an import: file name, rows done in that file, bytes read, file size.
public typealias ImportProgress = @Sendable (_ file: String, _ rows: Int, _ bytes: Int, _ size: Int) -> Void

extension RightsService {
    /// Imports a full KBO Open Data extract from an unzipped directory (`meta.csv`, `code.csv`,
    /// `enterprise.csv`, `establishment.csv`, `denomination.csv`, `address.csv`, `contact.csv`,
    /// `activity.csv`, `branch.csv`; only `enterprise.csv` is required).
    ///
    /// Streaming: one record in memory at a time. One transaction: a malformed row aborts the
    /// whole import with its file and row number, and nothing is written. KBO-owned child tables
    /// (names, addresses, contacts, activities, branches, codes) are replaced; organisations and
    /// establishments are upserted, and those seen in an earlier extract but absent from this
    /// one are marked inactive, never deleted (§13.4). Local data (mandates, appointments,
    /// werkrelaties, grants, audit) is never touched. Organisations registered by hand (never
    /// seen in an extract) are left as they are.
    ///
    /// Update extracts (`*_delete.csv` / `*_insert.csv`) are not supported yet.
    @discardableResult
    public func importKBO(directory: String, skipActivities: Bool = false, progress: ImportProgress? = nil) throws -> KBOImportReport {
        let fileManager = FileManager.default
        func path(_ name: String) -> String? {
            let full = (directory as NSString).appendingPathComponent(name)
            return fileManager.fileExists(atPath: full) ? full : nil
        }
        guard let enterprisePath = path("enterprise.csv") else {
            throw RightsError(.importMissingFile, "enterprise.csv not found in the directory", source: "enterprise.csv")
        }
        if path("enterprise_delete.csv") != nil || path("enterprise_insert.csv") != nil {
            throw RightsError(.importMissingFile, "update extracts are not supported yet; import a full extract")
        }
        var report = KBOImportReport()
        var meta: [String: String] = [:]
        if let metaPath = path("meta.csv") {
            let reader = try CSVReader(path: metaPath)
            let columns = try reader.header(requiring: ["Variable", "Value"])
            while let record = try reader.next() {
                guard record.count > max(columns[0], columns[1]) else { continue }
                meta[record[columns[0]]] = record[columns[1]]
            }
        }
        let now = clock.now()
        try database.write { db in
            let previous = try Int.fetchOne(db, sql: "SELECT max(extract_number) FROM kbo_extract") ?? 0
            let extract: Int
            if let text = meta["ExtractNumber"] {
                guard let number = Int(text) else { throw RightsError(.importMalformedRow, "ExtractNumber is not a number", source: "meta.csv") }
                extract = number
            } else {
                extract = previous + 1
            }
            if extract < previous {
                throw RightsError(.importOutOfOrder, "extract \(extract) is older than the last imported extract \(previous)")
            }
            report.extractNumber = extract
            report.snapshotDate = meta["SnapshotDate"]

            func run(_ name: String, _ columns: [String], _ body: ([String], CSVReader) throws -> Void) throws {
                guard let filePath = path(name) else { return }
                let size = ((try? fileManager.attributesOfItem(atPath: filePath)[.size]) as? Int) ?? 0
                let reader = try CSVReader(path: filePath)
                let positions = try reader.header(requiring: columns)
                let width = positions.max()! + 1
                var count = 0
                while let record = try reader.next() {
                    if record.count == 1, record[0].isEmpty { continue }
                    guard record.count >= width else {
                        throw RightsError(.importMalformedRow, "expected at least \(width) columns, got \(record.count)", source: name, row: reader.row)
                    }
                    try body(positions.map { record[$0] }, reader)
                    count += 1
                    if count % 100_000 == 0 { progress?(name, count, reader.bytesRead, size) }
                }
                progress?(name, count, reader.bytesRead, size)
                report.rows[name] = count
            }
            func entity(_ text: String, _ reader: CSVReader, enterpriseOnly: Bool = false) throws -> String {
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
            func date(_ text: String, _ reader: CSVReader) throws -> String? {
                if text.isEmpty { return nil }
                guard let value = LocalDate(text) else {
                    throw RightsError(.importMalformedRow, "invalid date (expected dd-mm-yyyy)", source: reader.name, row: reader.row)
                }
                return value.iso
            }
            func empty(_ text: String) -> String? { text.isEmpty ? nil : text }

            // code.csv: full table every time.
            if path("code.csv") != nil {
                try db.execute(sql: "DELETE FROM kbo_code")
                let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO kbo_code (category, code, language, description) VALUES (?, ?, ?, ?)")
                try run("code.csv", ["Category", "Code", "Language", "Description"]) { values, _ in
                    try insert.execute(arguments: [values[0], values[1], values[2], values[3]])
                }
            }
            let enterprise = try db.makeStatement(sql: """
                INSERT INTO organisation (kbo, status, juridical_situation, type_of_enterprise, juridical_form, juridical_form_cac,
                  start_date, imported_from_extract, last_seen_extract, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                ON CONFLICT(kbo) DO UPDATE SET status = excluded.status, juridical_situation = excluded.juridical_situation,
                  type_of_enterprise = excluded.type_of_enterprise, juridical_form = excluded.juridical_form,
                  juridical_form_cac = excluded.juridical_form_cac, start_date = excluded.start_date,
                  imported_from_extract = coalesce(organisation.imported_from_extract, excluded.imported_from_extract),
                  last_seen_extract = excluded.last_seen_extract, active = 1
                """)
            _ = enterprisePath
            try run("enterprise.csv", ["EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise", "JuridicalForm",
                                       "JuridicalFormCAC", "StartDate"]) { v, reader in
                try enterprise.execute(arguments: [try entity(v[0], reader, enterpriseOnly: true), v[1], v[2], v[3], empty(v[4]), empty(v[5]),
                                                   try date(v[6], reader), extract, extract])
            }
            try db.execute(sql: "UPDATE organisation SET active = 0 WHERE active = 1 AND last_seen_extract IS NOT NULL AND last_seen_extract <> ?",
                           arguments: [extract])
            report.deactivatedOrganisations = db.changesCount

            if path("establishment.csv") != nil {
                let establishment = try db.makeStatement(sql: """
                    INSERT INTO establishment (number, enterprise, start_date, last_seen_extract, active) VALUES (?, ?, ?, ?, 1)
                    ON CONFLICT(number) DO UPDATE SET enterprise = excluded.enterprise, start_date = excluded.start_date,
                      last_seen_extract = excluded.last_seen_extract, active = 1
                    """)
                try run("establishment.csv", ["EstablishmentNumber", "StartDate", "EnterpriseNumber"]) { v, reader in
                    try establishment.execute(arguments: [try entity(v[0], reader), try entity(v[2], reader, enterpriseOnly: true),
                                                          try date(v[1], reader), extract])
                }
                try db.execute(sql: """
                    UPDATE establishment SET active = 0 WHERE active = 1 AND last_seen_extract IS NOT NULL AND last_seen_extract <> ?
                    """, arguments: [extract])
                report.deactivatedEstablishments = db.changesCount
            }
            if path("denomination.csv") != nil {
                try db.execute(sql: "DELETE FROM kbo_denomination")
                let insert = try db.makeStatement(sql: "INSERT INTO kbo_denomination (entity, language, type, name) VALUES (?, ?, ?, ?)")
                try run("denomination.csv", ["EntityNumber", "Language", "TypeOfDenomination", "Denomination"]) { v, reader in
                    try insert.execute(arguments: [try entity(v[0], reader), v[1], v[2], v[3]])
                }
            }
            if path("address.csv") != nil {
                try db.execute(sql: "DELETE FROM kbo_address")
                let insert = try db.makeStatement(sql: """
                    INSERT INTO kbo_address (entity, type, country_nl, country_fr, zipcode, municipality_nl, municipality_fr, street_nl,
                      street_fr, house_number, box, extra, date_striking_off) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                try run("address.csv", ["EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL",
                                        "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box", "ExtraAddressInfo",
                                        "DateStrikingOff"]) { v, reader in
                    try insert.execute(arguments: [try entity(v[0], reader), v[1], empty(v[2]), empty(v[3]), empty(v[4]), empty(v[5]),
                                                   empty(v[6]), empty(v[7]), empty(v[8]), empty(v[9]), empty(v[10]), empty(v[11]),
                                                   try date(v[12], reader)])
                }
            }
            if path("contact.csv") != nil {
                try db.execute(sql: "DELETE FROM kbo_contact")
                let insert = try db.makeStatement(sql: "INSERT INTO kbo_contact (entity, entity_contact, contact_type, value) VALUES (?, ?, ?, ?)")
                try run("contact.csv", ["EntityNumber", "EntityContact", "ContactType", "Value"]) { v, reader in
                    try insert.execute(arguments: [try entity(v[0], reader), v[1], v[2], v[3]])
                }
            }
            if !skipActivities, path("activity.csv") != nil {
                try db.execute(sql: "DELETE FROM kbo_activity")
                let insert = try db.makeStatement(sql: """
                    INSERT INTO kbo_activity (entity, activity_group, nace_version, nace_code, classification) VALUES (?, ?, ?, ?, ?)
                    """)
                try run("activity.csv", ["EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"]) { v, reader in
                    try insert.execute(arguments: [try entity(v[0], reader), v[1], v[2], v[3], v[4]])
                }
            }
            if path("branch.csv") != nil {
                // Branch IDs are not official numbers: kept only inside the KBO tables (§12.2).
                try db.execute(sql: "DELETE FROM kbo_branch")
                let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO kbo_branch (id, start_date, enterprise) VALUES (?, ?, ?)")
                try run("branch.csv", ["Id", "StartDate", "EnterpriseNumber"]) { v, reader in
                    try insert.execute(arguments: [v[0].filter { $0 != "." }, try date(v[1], reader), try entity(v[2], reader)])
                }
            }
            try db.execute(sql: """
                INSERT INTO kbo_extract (extract_number, snapshot_date, extract_timestamp, extract_type, version, imported_at, rows)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [extract, meta["SnapshotDate"], meta["ExtractTimestamp"], meta["ExtractType"] ?? "full", meta["Version"],
                                 Audit.text(now), report.totalRows])
            try Audit.append(db, at: now, actor: nil, authority: "system:kbo-import", level: nil, action: "kbo.import", organisation: nil,
                             subject: nil, after: ["extract": "\(extract)", "rows": "\(report.totalRows)",
                                                   "deactivated": "\(report.deactivatedOrganisations)"])
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
