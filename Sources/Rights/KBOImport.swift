import Foundation
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

/// One KBO child table: names, addresses, contacts, activities, branches (`Tables/KBOChildRecords.swift`).
/// Their rows belong to the KBO, so a full import replaces them and an update deletes by entity
/// number and re-inserts.
private struct KBOChildTable: Sendable {
    let file: String
    let record: any KBOChildRecord.Type
    let deleteColumn: String
    let columns: [String]
    /// Converts the CSV values (in `columns` order) into the insert's arguments.
    let bind: @Sendable ([String], KBOImportRow) throws -> SQLArguments

    var isBranch: Bool { record is KBOBranchRecord.Type }

    static let all: [KBOChildTable] = [
        KBOChildTable(file: "denomination", record: KBODenominationRecord.self, deleteColumn: "EntityNumber",
                      columns: ["EntityNumber", "Language", "TypeOfDenomination", "Denomination"]) { v, row in
            KBODenominationRecord(entity: try row.entity(v[0]), language: v[1], type: v[2], name: v[3]).arguments
        },
        KBOChildTable(file: "address", record: KBOAddressRecord.self, deleteColumn: "EntityNumber",
                      columns: ["EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL", "MunicipalityFR",
                                "StreetNL", "StreetFR", "HouseNumber", "Box", "ExtraAddressInfo", "DateStrikingOff"]) { v, row in
            let e = KBOImportRow.empty
            return KBOAddressRecord(entity: try row.entity(v[0]), type: v[1], countryNL: e(v[2]), countryFR: e(v[3]), zipcode: e(v[4]),
                                    municipalityNL: e(v[5]), municipalityFR: e(v[6]), streetNL: e(v[7]), streetFR: e(v[8]),
                                    houseNumber: e(v[9]), box: e(v[10]), extra: e(v[11]), dateStrikingOff: try row.date(v[12])).arguments
        },
        KBOChildTable(file: "contact", record: KBOContactRecord.self, deleteColumn: "EntityNumber",
                      columns: ["EntityNumber", "EntityContact", "ContactType", "Value"]) { v, row in
            KBOContactRecord(entity: try row.entity(v[0]), entityContact: v[1], contactType: v[2], value: v[3]).arguments
        },
        KBOChildTable(file: "activity", record: KBOActivityRecord.self, deleteColumn: "EntityNumber",
                      columns: ["EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"]) { v, row in
            KBOActivityRecord(entity: try row.entity(v[0]), activityGroup: v[1], naceVersion: v[2], naceCode: v[3], classification: v[4]).arguments
        },
        // Branch IDs are not official numbers: kept only inside the KBO tables (§12.2).
        KBOChildTable(file: "branch", record: KBOBranchRecord.self, deleteColumn: "Id", columns: ["Id", "StartDate", "EnterpriseNumber"]) { v, row in
            KBOBranchRecord(id: KBOImportRow.branch(v[0]), startDate: try row.date(v[1]), enterprise: try row.entity(v[2])).arguments
        },
    ]
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
            let previous = try KBOExtractRecord.lastExtractNumber(in: db)
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
            // SQLite: a bigger page cache for the bulk load (bounded: 64 MiB), restored afterwards.
            let cacheSize = try KBOBulkLoad.enlargeCache(in: db)
            defer { KBOBulkLoad.restoreCache(cacheSize, in: db) }

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
                try KBOCodeRecord.deleteAll(in: db)
                let insert = try db.prepare(KBOCodeRecord.upsertSQL)
                try run("code.csv", ["Category", "Code", "Language", "Description"]) { v, _ in
                    try insert.execute(KBOCodeRecord(category: v[0], code: v[1], language: v[2], description: v[3]).arguments)
                }
            }
            let upsertEnterprise = try db.prepare(OrganisationRecord.upsertFromExtractSQL)
            let enterpriseColumns = ["EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise", "JuridicalForm",
                                     "JuridicalFormCAC", "StartDate"]
            let enterprise: ([String], KBOImportRow) throws -> Void = { v, row in
                try upsertEnterprise.execute(OrganisationRecord(
                    kbo: try row.entity(v[0], enterpriseOnly: true), status: v[1], juridicalSituation: v[2], typeOfEnterprise: v[3],
                    juridicalForm: KBOImportRow.empty(v[4]), juridicalFormCAC: KBOImportRow.empty(v[5]), startDate: try row.date(v[6]),
                    importedFromExtract: extract, lastSeenExtract: extract).arguments)
            }
            let upsertEstablishment = try db.prepare(EstablishmentRecord.upsertFromExtractSQL)
            let establishmentColumns = ["EstablishmentNumber", "StartDate", "EnterpriseNumber"]
            let establishment: ([String], KBOImportRow) throws -> Void = { v, row in
                try upsertEstablishment.execute(EstablishmentRecord(number: try row.entity(v[0]), enterprise: try row.entity(v[2], enterpriseOnly: true),
                                                                    startDate: try row.date(v[1]), lastSeenExtract: extract).arguments)
            }
            let children = KBOChildTable.all.filter { !(skipActivities && $0.file == "activity") }

            switch type {
            case .full:
                try run("enterprise.csv", enterpriseColumns, enterprise)
                report.deactivatedOrganisations = try OrganisationRecord.deactivate(notSeenIn: extract, in: db)
                if path("establishment.csv") != nil {
                    try run("establishment.csv", establishmentColumns, establishment)
                    report.deactivatedEstablishments = try EstablishmentRecord.deactivate(notSeenIn: extract, in: db)
                }
                for child in children where path(child.file + ".csv") != nil {
                    // Bulk load: empty the table, load it (on SQLite without its indexes, rebuilt once at the end).
                    try KBOBulkLoad.dropIndexes(child.record.indexes, in: db)
                    try db.execute(child.record.deleteAllSQL)
                    let insert = try db.prepare(child.record.insertSQL)
                    try run(child.file + ".csv", child.columns) { v, row in try insert.execute(try child.bind(v, row)) }
                    try KBOBulkLoad.createIndexes(child.record.indexes, in: db)
                }
            case .update:
                // Numbers deleted by this update, to count what stays inactive.
                try KBOUpdateDeleted.prepare(in: db)
                let remember = try db.prepare(KBOUpdateDeleted.rememberSQL)
                let deactivateEnterprise = try db.prepare(OrganisationRecord.deactivateSQL)
                try run("enterprise_delete.csv", ["EnterpriseNumber"]) { v, row in
                    let number = try row.entity(v[0], enterpriseOnly: true)
                    try deactivateEnterprise.execute([number])
                    try remember.execute(["enterprise", number])
                }
                try run("enterprise_insert.csv", enterpriseColumns, enterprise)
                let deactivateEstablishment = try db.prepare(EstablishmentRecord.deactivateSQL)
                try run("establishment_delete.csv", ["EstablishmentNumber"]) { v, row in
                    let number = try row.entity(v[0])
                    try deactivateEstablishment.execute([number])
                    try remember.execute(["establishment", number])
                }
                try run("establishment_insert.csv", establishmentColumns, establishment)
                for child in children {
                    let delete = try db.prepare(child.record.deleteByKeySQL)
                    try run(child.file + "_delete.csv", [child.deleteColumn]) { v, row in
                        try delete.execute([child.isBranch ? KBOImportRow.branch(v[0]) : try row.entity(v[0])])
                    }
                    let insert = try db.prepare(child.record.insertSQL)
                    try run(child.file + "_insert.csv", child.columns) { v, row in try insert.execute(try child.bind(v, row)) }
                }
                report.deactivatedOrganisations = try KBOUpdateDeleted.inactiveOrganisations(in: db)
                report.deactivatedEstablishments = try KBOUpdateDeleted.inactiveEstablishments(in: db)
                try KBOUpdateDeleted.clear(in: db)
            }
            try KBOExtractRecord.insert(KBOExtractRecord(extractNumber: extract, snapshotDate: meta["SnapshotDate"],
                                                         extractTimestamp: meta["ExtractTimestamp"], extractType: type.rawValue,
                                                         version: meta["Version"], importedAt: Audit.text(now), rows: report.totalRows), in: db)
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
            let open = try LegalRepresentativeRecord.openIDs(source: source, on: today, in: db)
            var ended = 0
            let yesterday = today.adding(days: -1)
            for id in open where !seen.contains(id) {
                guard let mandate = try LegalRepresentativeRecord.find(id: id, in: db) else { continue }
                let lastDay = max(mandate.validFrom, yesterday)
                try LegalRepresentativeRecord.end(id: id, on: lastDay, in: db)
                try Audit.append(db, at: now, actor: nil, authority: "system:\(source)", level: nil, action: "mandate.end",
                                 organisation: mandate.organisation, subject: mandate.personID,
                                 after: ["mandate": "\(id)", "validUntil": lastDay.iso])
                ended += 1
            }
            return (seen.count, ended)
        }
    }
}
