import Foundation
import Storage
import Testing
@testable import Rights

@Suite("KBO and representatives import, profile")
struct ImportTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rights-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func write(_ directory: URL, _ name: String, _ lines: [String]) throws {
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func extract(_ directory: URL, number: Int, enterprises: [String], establishments: [String]) throws {
        try write(directory, "meta.csv", ["\"Variable\",\"Value\"", "\"SnapshotDate\",\"01-11-2026\"", "\"ExtractNumber\",\"\(number)\"",
                                          "\"ExtractType\",\"full\"", "\"Version\",\"1.0.0\""])
        try write(directory, "code.csv", ["\"Category\",\"Code\",\"Language\",\"Description\"", "\"Status\",\"AC\",\"NL\",\"Actief\"",
                                          "\"TypeOfDenomination\",\"001\",\"NL\",\"Naam\""])
        try write(directory, "enterprise.csv", ["\"EnterpriseNumber\",\"Status\",\"JuridicalSituation\",\"TypeOfEnterprise\","
                                                + "\"JuridicalForm\",\"JuridicalFormCAC\",\"StartDate\""]
            + enterprises.map { "\"\($0)\",\"AC\",\"000\",\"2\",\"014\",,\"09-08-1960\"" })
        try write(directory, "establishment.csv", ["\"EstablishmentNumber\",\"StartDate\",\"EnterpriseNumber\""]
            + establishments.map { "\"\($0)\",\"01-01-2000\",\"0441.928.931\"" })
        try write(directory, "denomination.csv", ["\"EntityNumber\",\"Language\",\"TypeOfDenomination\",\"Denomination\"",
                                                  "\"0441.928.931\",\"2\",\"001\",\"FN HERSTAL, \"\"NV\"\"\""])
        try write(directory, "address.csv", ["\"EntityNumber\",\"TypeOfAddress\",\"CountryNL\",\"CountryFR\",\"Zipcode\",\"MunicipalityNL\",\"MunicipalityFR\","
                                             + "\"StreetNL\",\"StreetFR\",\"HouseNumber\",\"Box\",\"ExtraAddressInfo\",\"DateStrikingOff\"",
                                             "\"0441.928.931\",\"REGO\",,,\"4040\",\"Herstal\",\"Herstal\",\"Voie de Liège\",\"Voie de Liège\",\"33\",,,"])
    }

    @Test("Full import on disk; re-import of a newer extract keeps local data and deactivates vanished organisations")
    func reimport() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try Storage.Database.open(path: directory.appendingPathComponent("db/rights.sqlite").path,
                                                 migrations: MigrationRegistry(RightsSchema.migrations))
        let clock = TestClock(instant("2026-11-22"))
        let service = RightsService(database: database, clock: clock.clock)
        let kbo = directory.appendingPathComponent("kbo")
        try FileManager.default.createDirectory(at: kbo, withIntermediateDirectories: true)
        try extract(kbo, number: 140, enterprises: ["0441.928.931", "0566.988.259"], establishments: ["2.000.000.339"])
        let report = try service.importKBO(directory: kbo.path)
        #expect(report.rows["enterprise.csv"] == 2)
        #expect(try database.read { db in try db.value("SELECT name FROM kbo_denomination", as: String.self) } == "FN HERSTAL, \"NV\"")

        // Local data for both organisations.
        let wv = rrn(850730033), employee = rrn(880101001)
        try service.recordLegalRepresentative(person: wv, organisation: try KBONumber("0566988259"), validFrom: day("2010-01-01"), validUntil: nil)
        try service.registerApplication(ApplicationDefinition(id: "wex", name: "WEX"))
        try service.defineRight(RightDefinition(application: "wex", code: "gebruiker", label: "WEX eLoket Gebruiker"))
        try service.createWorkRelation(WorkRelationInput(person: employee, organisation: try KBONumber("0566988259"), category: .permanentEmployee,
                                                         phone: "+3212345678", email: "a@b.be", validFrom: day("2026-01-01"),
                                                         validUntil: day("2027-01-01")), by: Actor(person: wv, sessionLevel: 500))
        _ = try service.grant(GrantInput(person: employee, organisation: try KBONumber("0566988259"), application: "wex", right: "gebruiker",
                                         validFrom: day("2026-01-01"), validUntil: day("2027-01-01")), by: Actor(person: wv, sessionLevel: 500))
        #expect(try service.resolve(person: employee).organisations.count == 1)

        // Newer extract without 0566.988.259: inactive, local rows kept, no rights.
        try extract(kbo, number: 141, enterprises: ["0441.928.931"], establishments: ["2.000.000.339"])
        let second = try service.importKBO(directory: kbo.path)
        #expect(second.deactivatedOrganisations == 1)
        #expect(try service.resolve(person: employee).organisations.isEmpty)
        #expect(try database.read { db in try db.value("SELECT count(*) FROM right_grant", as: Int.self) } == 1)
        // It comes back with the next extract that lists it.
        try extract(kbo, number: 142, enterprises: ["0441.928.931", "0566.988.259"], establishments: ["2.000.000.339"])
        try service.importKBO(directory: kbo.path)
        #expect(try service.resolve(person: employee).organisations.count == 1)
        // An older extract is refused.
        try extract(kbo, number: 100, enterprises: ["0441.928.931"], establishments: [])
        #expect(throws: RightsError(.importOutOfOrder, "")) { try service.importKBO(directory: kbo.path) }
    }

    @Test("Malformed KBO rows are refused with file and row number; nothing is written")
    func malformedKBO() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let service = RightsService(database: try Storage.Database.inMemory(migrations: MigrationRegistry(RightsSchema.migrations)),
                                    clock: .fixed(instant("2026-11-22")))
        try extract(directory, number: 1, enterprises: ["0441.928.931", "0441.928.932"], establishments: [])
        do {
            try service.importKBO(directory: directory.path)
            Issue.record("expected an error")
        } catch let error as RightsError {
            #expect(error.code == .importMalformedRow)
            #expect(error.source == "enterprise.csv")
            #expect(error.row == 3)
        }
        #expect(try service.database.read { db in try db.value("SELECT count(*) FROM organisation", as: Int.self) } == 0)
        #expect(try service.database.read { db in try db.value("SELECT count(*) FROM kbo_code", as: Int.self) } == 0)
        // Branch IDs never pass as enterprises.
        try extract(directory, number: 1, enterprises: ["9.000.006.626"], establishments: [])
        #expect(throws: RightsError(.importMalformedRow, "")) { try service.importKBO(directory: directory.path) }
        // A short row.
        try write(directory, "enterprise.csv", ["\"EnterpriseNumber\",\"Status\",\"JuridicalSituation\",\"TypeOfEnterprise\","
                                                + "\"JuridicalForm\",\"JuridicalFormCAC\",\"StartDate\"",
                                                "\"0441.928.931\",\"AC\""])
        #expect(throws: RightsError(.importMalformedRow, "")) { try service.importKBO(directory: directory.path) }
    }

    @Test("Representatives feed: import, row errors with row numbers, absent mandates end (full snapshot)")
    func representatives() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let f = try Fixture()
        let file = directory.appendingPathComponent("wv.csv")
        let header = "EnterpriseNumber,INSZ,GivenName,FamilyName,Function,ValidFrom,ValidUntil"
        let a = rrn(700101101), b = rrn(700101203)
        try write(directory, "wv.csv", [header, "0441.928.931,\(a.formatted),An,Peeters,Bestuurder,01-01-2020,",
                                        "0566.988.259,\(b.digits),Bart,Claes,Zaakvoerder,2021-03-01,2030-01-01"])
        let result = try f.service.importRepresentatives(file: file.path)
        #expect(result.read == 2)
        #expect(try f.service.managedOrganisations(person: a) == [Fixture.x])
        // A malformed number on row 3: nothing from this file is written.
        try write(directory, "wv.csv", [header, "0441.928.931,\(a.digits),An,Peeters,Bestuurder,01-01-2020,",
                                        "0566.988.259,85073003329,X,Y,Z,2021-03-01,"])
        do {
            try f.service.importRepresentatives(file: file.path)
            Issue.record("expected an error")
        } catch let error as RightsError {
            #expect(error.code == .importMalformedRow)
            #expect(error.row == 3)
            #expect(!error.description.contains("85073003329"))
        }
        // Snapshot without b: b's mandate ends yesterday.
        try write(directory, "wv.csv", [header, "0441.928.931,\(a.digits),An,Peeters,Bestuurder,01-01-2020,"])
        #expect(try f.service.importRepresentatives(file: file.path).ended == 1)
        #expect(try f.service.managedOrganisations(person: b).isEmpty)
        #expect(try f.service.managedOrganisations(person: a) == [Fixture.x])
    }

    @Test("Mijn Profiel: werkrelaties with nested rights and statuses, HLBs of the organisation; JSON export")
    func profile() throws {
        let f = try Fixture()
        try f.service.registerPerson(f.hlb, givenName: "Hanne", familyName: "Lambrechts")
        try f.appointHLB()
        try f.workRelation(f.hlb)
        try f.workRelation(f.employee)
        try f.grant(f.employee, until: "2026-11-21")
        try f.grant(f.employee, application: "toepx", context: "Indiener", from: "2026-11-23", until: "2027-01-01")
        let profile = try f.service.profile(person: f.employee)
        #expect(profile.workRelations.count == 1)
        let relation = profile.workRelations[0]
        #expect(relation.organisation.display == "0441.928.931")
        #expect(relation.organisation.name == "FN HERSTAL")
        #expect(relation.status == .active)
        #expect(relation.rights.map(\.status) == [.expired, .future])
        #expect(relation.headLocalAdministrators.map(\.name) == ["Hanne Lambrechts"])
        let hlbProfile = try f.service.profile(person: f.hlb)
        #expect(hlbProfile.workRelations.first?.rights.map(\.right) == ["Hoofd Lokale beheerder"])
        let encoded = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
        #expect(!encoded.contains(f.employee.digits))
        let export = try JSONSerialization.jsonObject(with: try f.service.exportPerson(person: f.employee)) as! [String: Any]
        let records = export["records"] as! [String: Any]
        #expect((records["rightGrant"] as! [Any]).count == 2)
        #expect((records["audit"] as! [Any]).count >= 4)
    }

    @Test("Mijn Profiel: the HLBs only for werkrelaties valid on the day (not ended, future or ended early)")
    func profileManagersOfCurrentRelationsOnly() throws {
        let f = try Fixture()
        try f.service.registerPerson(f.hlb, givenName: "Hanne", familyName: "Lambrechts")
        let hlbOfY = rrn(610505005)
        try f.service.registerPerson(hlbOfY, givenName: "Yves", familyName: "Ypersele")
        let hlbOfZ = rrn(620606006)
        try f.service.registerPerson(hlbOfZ, givenName: "Zoë", familyName: "Zandvliet")
        try f.appointHLB()
        try f.appointHLB(hlbOfY, organisation: Fixture.y)
        try f.service.recordLegalRepresentative(person: f.other, organisation: Fixture.z, validFrom: day("2010-01-01"), validUntil: nil)
        try f.service.appoint(.headLocalAdministrator, person: hlbOfZ, organisation: Fixture.z, validFrom: day("2026-01-01"),
                              validUntil: day("2027-12-31"), by: f.actor(f.other))
        try f.workRelation(f.employee, from: "2025-01-01", until: "2026-11-21")              // X: ended yesterday
        try f.workRelation(f.employee, organisation: Fixture.y)                             // Y: current
        try f.workRelation(f.employee, organisation: Fixture.z, from: "2026-12-01", by: f.other)  // Z: starts next week
        let profile = try f.service.profile(person: f.employee)
        let byOrganisation = Dictionary(uniqueKeysWithValues: profile.workRelations.map { ($0.organisation.kbo, $0) })
        #expect(byOrganisation[Fixture.x.digits]?.status == .expired)
        #expect(byOrganisation[Fixture.x.digits]?.headLocalAdministrators.isEmpty == true, "an ended werkrelatie shows no HLBs")
        #expect(byOrganisation[Fixture.y.digits]?.headLocalAdministrators.map(\.name) == ["Yves Ypersele"])
        #expect(byOrganisation[Fixture.z.digits]?.status == .future)
        #expect(byOrganisation[Fixture.z.digits]?.headLocalAdministrators.isEmpty == true, "a future werkrelatie shows no HLBs")
        // The day the Z relation starts, its HLBs appear.
        let later = try f.service.profile(person: f.employee, at: instant("2026-12-01"))
        #expect(later.workRelations.first { $0.organisation.kbo == Fixture.z.digits }?.headLocalAdministrators.map(\.name) == ["Zoë Zandvliet"])
    }
}
