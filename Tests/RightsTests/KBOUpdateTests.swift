import Foundation
import Storage
import Testing
@testable import Rights

/// KBO Open Data update extracts (cookbook R018 §1.5.2): `<name>_delete.csv` then `<name>_insert.csv`.
@Suite("KBO update extracts")
struct KBOUpdateTests {
    static let enterpriseHeader = "\"EnterpriseNumber\",\"Status\",\"JuridicalSituation\",\"TypeOfEnterprise\","
        + "\"JuridicalForm\",\"JuridicalFormCAC\",\"StartDate\""
    static let denominationHeader = "\"EntityNumber\",\"Language\",\"TypeOfDenomination\",\"Denomination\""
    static let addressHeader = "\"EntityNumber\",\"TypeOfAddress\",\"CountryNL\",\"CountryFR\",\"Zipcode\",\"MunicipalityNL\",\"MunicipalityFR\","
        + "\"StreetNL\",\"StreetFR\",\"HouseNumber\",\"Box\",\"ExtraAddressInfo\",\"DateStrikingOff\""

    let root: URL
    let service: RightsService
    let database: Storage.Database
    let clock = TestClock(instant("2026-11-22"))

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kbo-update-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        database = try Storage.Database.open(path: root.appendingPathComponent("rights.sqlite").path,
                                             migrations: MigrationRegistry(RightsSchema.migrations))
        service = RightsService(database: database, clock: clock.clock)
    }

    /// Writes one extract directory with the given files (name → lines without header handling).
    func extract(_ name: String, _ files: [String: [String]]) throws -> String {
        let directory = root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (file, lines) in files {
            try (lines.joined(separator: "\r\n") + "\r\n").write(to: directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        return directory.path
    }

    func meta(_ number: Int, _ type: String) -> [String] {
        ["\"Variable\",\"Value\"", "\"SnapshotDate\",\"01-11-2026\"", "\"ExtractTimestamp\",\"02-11-2026 06:00:00\"",
         "\"ExtractType\",\"\(type)\"", "\"ExtractNumber\",\"\(number)\"", "\"Version\",\"1.0.0\""]
    }

    func enterprise(_ number: String, form: String = "014") -> String { "\"\(number)\",\"AC\",\"000\",\"2\",\"\(form)\",,\"09-08-1960\"" }

    func value<T: SQLDecodable>(_ sql: String, _ arguments: SQLArguments = []) throws -> T? {
        try database.read { db in try db.value(sql, arguments, as: T.self) }
    }

    /// Full extract 140: enterprises A (0441.928.931) and B (0566.988.259), establishments of A.
    func loadFull() throws {
        try service.importKBO(directory: try extract("full-140", [
            "meta.csv": meta(140, "full"),
            "code.csv": ["\"Category\",\"Code\",\"Language\",\"Description\"", "\"Status\",\"AC\",\"NL\",\"Actief\""],
            "enterprise.csv": [Self.enterpriseHeader, enterprise("0441.928.931"), enterprise("0566.988.259")],
            "establishment.csv": ["\"EstablishmentNumber\",\"StartDate\",\"EnterpriseNumber\"",
                                  "\"2.000.000.339\",\"01-01-2000\",\"0441.928.931\"",
                                  "\"\(Fixture.establishment2.formatted)\",\"01-01-2000\",\"0441.928.931\""],
            "denomination.csv": [Self.denominationHeader, "\"0441.928.931\",\"2\",\"001\",\"FN HERSTAL\"",
                                 "\"0566.988.259\",\"2\",\"001\",\"UW BEDRIJF\""],
            "address.csv": [Self.addressHeader, "\"0441.928.931\",\"REGO\",,,\"4040\",\"Herstal\",\"Herstal\",\"Voie de Liège\",\"Voie de Liège\",\"33\",,,"],
        ]))
    }

    /// Update 141: B deleted (stops), A re-sent with a new legal form and a new name,
    /// establishment 2 closed, a new enterprise C.
    func update141() throws -> [String: [String]] {
        [
            "meta.csv": meta(141, "update"),
            "code.csv": ["\"Category\",\"Code\",\"Language\",\"Description\"", "\"Status\",\"AC\",\"NL\",\"Actief\""],
            "enterprise_delete.csv": ["\"EnterpriseNumber\"", "\"0441.928.931\"", "\"0566.988.259\""],
            "enterprise_insert.csv": [Self.enterpriseHeader, enterprise("0441.928.931", form: "610"), enterprise("0314.595.348")],
            "establishment_delete.csv": ["\"EstablishmentNumber\"", "\"\(Fixture.establishment2.formatted)\""],
            "establishment_insert.csv": ["\"EstablishmentNumber\",\"StartDate\",\"EnterpriseNumber\""],
            "denomination_delete.csv": ["\"EntityNumber\"", "\"0441.928.931\""],
            "denomination_insert.csv": [Self.denominationHeader, "\"0441.928.931\",\"2\",\"001\",\"FN HERSTAL NIEUW\"",
                                        "\"0441.928.931\",\"1\",\"003\",\"FNH\"", "\"0314.595.348\",\"2\",\"001\",\"FOD ECONOMIE\""],
            "address_delete.csv": ["\"EntityNumber\"", "\"0441.928.931\""],
            "address_insert.csv": [Self.addressHeader],
        ]
    }

    @Test("An update deletes then inserts per table; vanished organisations and establishments become inactive; local data stays")
    func applyUpdate() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try loadFull()
        // Local data on B and on establishment 2 of A.
        let wv = rrn(850730033), employee = rrn(880101001)
        let b = try KBONumber("0566988259"), a = try KBONumber("0441928931")
        try service.recordLegalRepresentative(person: wv, organisation: b, validFrom: day("2010-01-01"), validUntil: nil)
        try service.recordLegalRepresentative(person: wv, organisation: a, validFrom: day("2010-01-01"), validUntil: nil)
        try service.registerApplication(ApplicationDefinition(id: "dc", name: "Dienstencheques"))
        try service.defineRight(RightDefinition(application: "dc", code: "erkend", label: "Dienstencheques", contextKind: .establishments))
        let actor = Actor(person: wv, sessionLevel: 500)
        for organisation in [a, b] {
            try service.createWorkRelation(WorkRelationInput(person: employee, organisation: organisation, category: .permanentEmployee,
                                                             phone: "+3212345678", email: "a@b.be", validFrom: day("2026-01-01"),
                                                             validUntil: day("2027-01-01")), by: actor)
        }
        try service.appoint(.headLocalAdministrator, person: employee, organisation: b, validFrom: day("2026-01-01"),
                            validUntil: day("2026-12-31"), by: actor)
        for context in ["2.000.000.339", Fixture.establishment2.formatted] {
            _ = try service.grant(GrantInput(person: employee, organisation: a, application: "dc", right: "erkend", context: context,
                                             validFrom: day("2026-01-01"), validUntil: day("2027-01-01")), by: actor)
        }
        #expect(try service.resolve(person: employee).organisations.map(\.organisation) == [a, b])
        let localBefore = try ["appointment", "work_relation", "right_grant", "legal_representative", "person"].map {
            try value("SELECT count(*) FROM \($0)") as Int?
        }

        let report = try service.importKBO(directory: try extract("update-141", try update141()))
        #expect(report.extractType == .update)
        #expect(report.extractNumber == 141)
        #expect(report.deactivatedOrganisations == 1)
        #expect(report.deactivatedEstablishments == 1)
        #expect(report.rows["enterprise_delete.csv"] == 2)
        #expect(report.rows["denomination_insert.csv"] == 3)
        // A re-inserted with its new attributes and names; its address deleted and not re-sent.
        #expect(try value("SELECT active FROM organisation WHERE kbo = '0441928931'") == true)
        #expect(try value("SELECT juridical_form FROM organisation WHERE kbo = '0441928931'") == "610")
        #expect(try value("SELECT group_concat(name, '|') FROM (SELECT name FROM kbo_denomination WHERE entity = '0441928931' ORDER BY name)")
            == "FN HERSTAL NIEUW|FNH")
        #expect(try value("SELECT count(*) FROM kbo_address WHERE entity = '0441928931'") == 0)
        // B inactive, kept; C new.
        #expect(try value("SELECT active FROM organisation WHERE kbo = '0566988259'") == false)
        #expect(try value("SELECT active FROM organisation WHERE kbo = '0314595348'") == true)
        #expect(try value("SELECT name FROM kbo_denomination WHERE entity = '0566988259'") == "UW BEDRIJF")
        // Local data untouched; B gives no role any more, A keeps only the grant for the open establishment.
        let localAfter = try ["appointment", "work_relation", "right_grant", "legal_representative", "person"].map {
            try value("SELECT count(*) FROM \($0)") as Int?
        }
        #expect(localAfter == localBefore)
        let resolution = try service.resolve(person: employee)
        #expect(resolution.organisations.map(\.organisation) == [a])
        #expect(resolution.organisations.first?.rights.map(\.context) == ["2000000339"])
        #expect(try service.managedOrganisations(person: wv) == [a])
        #expect(try value("SELECT extract_type FROM kbo_extract ORDER BY seq DESC LIMIT 1") == "update")

        // The same update again, or one that skips a number, is refused: a full reload is needed.
        #expect(throws: RightsError(.importOutOfOrder, "")) { try service.importKBO(directory: try extract("update-141", try update141())) }
        var skipped = try update141()
        skipped["meta.csv"] = meta(143, "update")
        #expect(throws: RightsError(.importOutOfOrder, "")) { try service.importKBO(directory: try extract("update-143", skipped)) }

        // A later full extract lists B again: active again, with its old local data.
        try service.importKBO(directory: try extract("full-144", [
            "meta.csv": meta(144, "full"),
            "enterprise.csv": [Self.enterpriseHeader, enterprise("0441.928.931"), enterprise("0566.988.259")],
        ]))
        #expect(try service.managedOrganisations(person: wv) == [a, b])
        #expect(try value("SELECT active FROM organisation WHERE kbo = '0314595348'") == false)
    }

    @Test("An update before any full extract, or with a malformed row, writes nothing")
    func refusedUpdates() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: RightsError(.importOutOfOrder, "")) { try service.importKBO(directory: try extract("update-141", try update141())) }
        try loadFull()
        var files = try update141()
        files["denomination_insert.csv"]!.append("\"0441.928.931\",\"2\",\"001\"")  // short row, last line
        do {
            try service.importKBO(directory: try extract("bad-141", files))
            Issue.record("expected an error")
        } catch let error as RightsError {
            #expect(error.code == .importMalformedRow)
            #expect(error.source == "denomination_insert.csv")
            #expect(error.row == 5)
        }
        // Nothing of the update stayed: B active, old names, extract 140 still the last.
        #expect(try value("SELECT active FROM organisation WHERE kbo = '0566988259'") == true)
        #expect(try value("SELECT name FROM kbo_denomination WHERE entity = '0441928931'") == "FN HERSTAL")
        #expect(try value("SELECT max(extract_number) FROM kbo_extract") == 140)
        #expect(try value("SELECT count(*) FROM organisation WHERE kbo = '0314595348'") == 0)
        // An establishment number where an enterprise number belongs.
        files = try update141()
        files["enterprise_delete.csv"] = ["\"EnterpriseNumber\"", "\"2.000.000.339\""]
        #expect(throws: RightsError(.importMalformedRow, "")) { try service.importKBO(directory: try extract("bad-141", files)) }
        // Missing ExtractNumber in an update.
        files = try update141()
        files["meta.csv"] = ["\"Variable\",\"Value\"", "\"ExtractType\",\"update\""]
        #expect(throws: RightsError(.importMissingFile, "")) { try service.importKBO(directory: try extract("bad-141", files)) }
        // The full load rebuilt the child-table indexes it dropped.
        let indexes: [String] = try database.read { db in
            try db.values("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'kbo_%_entity' ORDER BY name", as: String.self)
        }
        #expect(indexes == ["kbo_activity_entity", "kbo_address_entity", "kbo_contact_entity", "kbo_denomination_entity"])
    }
}
