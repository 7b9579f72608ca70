import Foundation
import Storage
import Testing
@testable import Rights

@Suite("Rights rules (spec §14)")
struct RightsRulesTests {
    @Test("E1: end date today is effective until 24:00 Brussels, not tomorrow")
    func endDateToday() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        try f.grant(f.employee, until: Fixture.today)
        #expect(try f.rights(f.employee, at: instant(Fixture.today, hour: 23, minute: 59)).count == 1)
        #expect(try f.rights(f.employee, at: instant("2026-11-23", hour: 0, minute: 0)).isEmpty)
    }

    @Test("E2/E3: end date yesterday and start date tomorrow are not effective")
    func pastAndFuture() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        try f.grant(f.employee, from: "2026-01-01", until: "2026-11-21")
        try f.grant(f.employee, application: "toepx", context: "Indiener", from: "2026-11-23", until: "2027-01-01")
        #expect(try f.rights(f.employee).isEmpty)
        #expect(try f.rights(f.employee, at: instant("2026-11-23")).map(\.application) == ["toepx"])
    }

    @Test("E4: right valid but werkrelatie ended is not effective (INV-3)")
    func workRelationEnded() throws {
        let f = try Fixture()
        let relation = try f.workRelation(f.employee)
        try f.grant(f.employee)
        #expect(try f.rights(f.employee).count == 1)
        try f.service.endWorkRelation(relation, lastDay: day("2026-11-21"), by: f.actor(f.wv))
        #expect(try f.rights(f.employee).isEmpty)
        #expect(try f.count("right_grant") == 1)
    }

    @Test("E5: grant without werkrelatie is refused rights.noWorkRelation, nothing written")
    func noWorkRelation() throws {
        let f = try Fixture()
        let before = try f.count("audit_event")
        #expect(throws: RightsError(.noWorkRelation, "")) { try f.grant(f.employee) }
        #expect(try f.count("right_grant") == 0)
        #expect(try f.count("audit_event") == before)
    }

    @Test("E6/E7: two organisations ask for a choice; a login hint selects one; a hint for another organisation gives nothing")
    func severalOrganisations() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        try f.grant(f.employee)
        try f.workRelation(f.employee, organisation: Fixture.y)
        try f.grant(f.employee, organisation: Fixture.y)
        #expect(try f.service.loginDecision(person: f.employee, application: "wex", organisation: nil, sessionLevel: 500)
            == .chooseOrganisation([Fixture.x, Fixture.y]))
        guard case .allowed(let org, let rights) = try f.service.loginDecision(person: f.employee, application: "wex",
                                                                             organisation: Fixture.y, sessionLevel: 500) else {
            Issue.record("expected allowed"); return
        }
        #expect(org == Fixture.y)
        #expect(rights.count == 1)
        #expect(try f.service.loginDecision(person: f.employee, application: "wex", organisation: Fixture.z, sessionLevel: 500)
            == .refused(reason: .none, message: RightsError.refusalText))
    }

    @Test("E8/INV-1: an HLB of X cannot act for Y, and Y is not in the picker")
    func crossOrganisation() throws {
        let f = try Fixture()
        try f.appointHLB()
        #expect(try f.service.managedOrganisations(person: f.hlb) == [Fixture.x])
        #expect(throws: RightsError(.notAManager, "")) { try f.workRelation(f.employee, organisation: Fixture.y, by: f.hlb) }
        #expect(throws: RightsError(.notAManager, "")) {
            try f.service.appoint(.headLocalAdministrator, person: f.employee, organisation: Fixture.y, validFrom: day("2026-01-01"),
                                  validUntil: day("2026-12-31"), by: f.actor(f.hlb))
        }
        // A werkrelatie with Y made by Y's WV does not let X's HLB grant rights for Y.
        try f.workRelation(f.employee, organisation: Fixture.y)
        #expect(throws: RightsError(.notAManager, "")) { try f.grant(f.employee, organisation: Fixture.y, by: f.hlb) }
        // The WV of X is not a manager of Y either.
        #expect(throws: RightsError(.notAManager, "")) { try f.grant(f.employee, organisation: Fixture.y, by: f.wv) }
        // Rights for X give nothing for Y.
        try f.workRelation(f.employee)
        try f.grant(f.employee)
        #expect(try f.service.loginDecision(person: f.employee, application: "wex", organisation: Fixture.y, sessionLevel: 500)
            == .refused(reason: .none, message: RightsError.refusalText))
    }

    @Test("E9/INV-9: an employee opening the admin application gets the exact §5 text")
    func employeeInAdministration() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        try f.grant(f.employee)
        let decision = try f.service.loginDecision(person: f.employee, application: "idm", organisation: nil, sessionLevel: 500)
        #expect(decision == .refused(reason: .notAManager, message: "U beschikt niet over de rechten om aan te melden op de toepassing"))
        // Same text for a person with no role at all.
        #expect(try f.service.loginDecision(person: f.other, application: "idm", organisation: nil, sessionLevel: 500) == decision)
        // Managers get in.
        #expect(try f.service.loginDecision(person: f.wv, application: "idm", organisation: nil, sessionLevel: 500)
            == .allowed(organisation: Fixture.x, rights: []))
    }

    @Test("E10/INV-11: an ended HLB cannot grant; rights granted earlier stay")
    func endedHLB() throws {
        let f = try Fixture()
        let appointment = try f.appointHLB()
        try f.workRelation(f.employee, by: f.hlb)
        try f.grant(f.employee, by: f.hlb)
        try f.service.endAppointment(appointment, lastDay: day("2026-11-21"), by: f.actor(f.wv))
        try f.workRelation(f.other)
        #expect(throws: RightsError(.notAManager, "")) { try f.grant(f.other, by: f.hlb) }
        #expect(try f.rights(f.employee).count == 1)
    }

    @Test("E11/E12: WV mandate ends; the HTB they named stays a manager unless cascadeOnAppointerLoss is on")
    func appointerLoss() throws {
        let f = try Fixture()
        try f.service.appoint(.headAccessManager, person: f.hlb, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                              by: f.actor(f.wv))
        try f.service.recordLegalRepresentative(person: f.wv, organisation: Fixture.x, validFrom: day("2010-01-01"),
                                                validUntil: day("2026-11-21"))
        #expect(try f.service.managedOrganisations(person: f.wv).isEmpty)
        #expect(try f.service.managedOrganisations(person: f.hlb) == [Fixture.x])
        // Turn the policy on while the WV is valid (on an earlier day), then evaluate today.
        f.clock.now = instant("2026-11-20")
        try f.service.setCascadeOnAppointerLoss(true, organisation: Fixture.x, by: f.actor(f.wv))
        #expect(try f.service.managedOrganisations(person: f.hlb) == [Fixture.x])
        f.clock.now = instant(Fixture.today)
        #expect(try f.service.managedOrganisations(person: f.hlb).isEmpty)
    }

    @Test("E12: chains are followed up to the cap and cycles are denied")
    func chainDepth() throws {
        let f = try Fixture()
        f.clock.now = instant("2026-01-02")
        try f.service.setCascadeOnAppointerLoss(true, organisation: Fixture.x, by: f.actor(f.wv))
        var previous = f.wv
        var people: [INSZ] = []
        for index in 0..<17 {
            let person = rrn(600000000 + index * 1000 + 1)
            try f.service.appoint(.headLocalAdministrator, person: person, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                  validUntil: day("2027-12-31"), by: f.actor(previous))
            people.append(person)
            previous = person
        }
        #expect(try f.service.managedOrganisations(person: people[15]) == [Fixture.x])  // depth 16
        #expect(try f.service.managedOrganisations(person: people[16]).isEmpty)  // depth 17: denied
    }

    @Test("E13: WV and HLB of X; the HLB grant ends; still a manager via WV")
    func wvAndHLB() throws {
        let f = try Fixture()
        let id = try f.service.appoint(.headLocalAdministrator, person: f.hlb, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                       validUntil: day("2026-12-31"), by: f.actor(f.wv))
        try f.service.recordLegalRepresentative(person: f.hlb, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil)
        try f.service.endAppointment(id, lastDay: day("2026-11-01"), by: f.actor(f.wv))
        #expect(try f.service.managedOrganisations(person: f.hlb) == [Fixture.x])
    }

    @Test("E14/E15/INV-7: owner approval required; withdrawn approval suspends grants; restoring brings them back")
    func ownerApproval() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        #expect(throws: RightsError(.ownerApprovalRequired, "")) {
            try f.grant(f.employee, application: "dc", right: "erkend", context: Fixture.establishment1.formatted)
        }
        #expect(throws: RightsError(.notAnApplicationOwner, "")) {
            try f.service.approve(application: "dc", organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(f.wv))
        }
        let approval = try f.service.approve(application: "dc", organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                                             by: f.actor(f.owner))
        try f.grant(f.employee, application: "dc", right: "erkend", context: Fixture.establishment1.formatted)
        #expect(try f.rights(f.employee).count == 1)
        try f.service.withdrawApproval(approval, by: f.actor(f.owner))
        #expect(try f.rights(f.employee).isEmpty)
        try f.service.approve(application: "dc", organisation: Fixture.x, validFrom: day("2026-11-01"), validUntil: nil, by: f.actor(f.owner))
        #expect(try f.rights(f.employee).count == 1)
    }

    @Test("E16: a context value removed from the right definition makes its grants ineffective")
    func contextRemoved() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        try f.grant(f.employee, application: "toepx", context: "Indiener")
        try f.grant(f.employee, application: "toepx", context: "Medewerker")
        try f.service.defineRight(RightDefinition(application: "toepx", code: "gebruiker", label: "Toepassing X Gebruiker",
                                                  contextKind: .fixed, contextValues: ["Medewerker"]))
        #expect(try f.rights(f.employee).map(\.context) == ["Medewerker"])
    }

    @Test("E17: establishment closed in KBO; that grant ineffective, others unaffected")
    func establishmentClosed() throws {
        let f = try Fixture()
        try f.service.approve(application: "dc", organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(f.owner))
        try f.workRelation(f.employee)
        try f.grant(f.employee, application: "dc", right: "erkend", context: Fixture.establishment1.digits)
        try f.grant(f.employee, application: "dc", right: "erkend", context: Fixture.establishment2.formatted)
        try f.service.registerEstablishment(Fixture.establishment1, of: Fixture.x, active: false)
        #expect(try f.rights(f.employee).map(\.context) == [Fixture.establishment2.digits])
        // An establishment of another enterprise is not a context for X.
        try f.service.registerEstablishment(try KBONumber("2.000.000.537"), of: Fixture.y)
        #expect(throws: RightsError(.contextNotAllowed, "")) {
            try f.grant(f.employee, application: "dc", right: "erkend", context: "2.000.000.537")
        }
    }

    @Test("E18/INV-10: organisation inactive after a KBO update: no rights, no authority, no WV access; grants kept")
    func organisationInactive() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        try f.grant(f.employee)
        try f.service.registerOrganisation(Fixture.x, name: nil, active: false)
        #expect(try f.service.resolve(person: f.employee).organisations.isEmpty)
        #expect(try f.service.resolve(person: f.wv).organisations.isEmpty)
        #expect(throws: RightsError(.organisationInactive, "")) { try f.grant(f.other) }
        #expect(try f.count("right_grant") == 1)
    }

    @Test("E19/INV-12: a weak session is a step-up, not a rights failure")
    func stepUp() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        try f.grant(f.employee, application: "toepx", context: "Indiener")
        #expect(try f.service.loginDecision(person: f.employee, application: "toepx", organisation: nil, sessionLevel: 400)
            == .stepUpRequired(minimumLevel: 500))
        // No rights at all and a weak session: still step-up, the level never grants rights.
        #expect(try f.service.loginDecision(person: f.other, application: "toepx", organisation: nil, sessionLevel: 400)
            == .stepUpRequired(minimumLevel: 500))
        #expect(try f.service.loginDecision(person: f.other, application: "toepx", organisation: nil, sessionLevel: 500)
            == .refused(reason: .none, message: RightsError.refusalText))
    }

    @Test("E20/INV-2: a session without a linked national number holds no organisation rights")
    func unlinked() throws {
        let f = try Fixture()
        #expect(try f.service.loginDecision(person: nil, application: "wex", organisation: nil, sessionLevel: 500)
            == .refused(reason: .noLinkedIdentity, message: RightsError.refusalText))
    }

    @Test("§4: the WV has automatic access where configured, and only there")
    func legalRepresentativeAccess() throws {
        let f = try Fixture()
        guard case .allowed(let org, let rights) = try f.service.loginDecision(person: f.wv, application: "eloket", organisation: nil,
                                                                             sessionLevel: 500) else {
            Issue.record("expected allowed"); return
        }
        #expect(org == Fixture.x)
        #expect(rights.first?.viaLegalRepresentative == true)
        #expect(try f.service.loginDecision(person: f.wv, application: "wex", organisation: nil, sessionLevel: 500)
            == .refused(reason: .none, message: RightsError.refusalText))
    }

    @Test("INV-6: dates required and validUntil ≥ validFrom")
    func invalidPeriod() throws {
        let f = try Fixture()
        #expect(throws: RightsError(.invalidPeriod, "")) { try f.workRelation(f.employee, from: "2026-05-01", until: "2026-04-30") }
        try f.workRelation(f.employee)
        #expect(throws: RightsError(.invalidPeriod, "")) { try f.grant(f.employee, from: "2026-05-01", until: "2026-04-30") }
        #expect(throws: RightsError(.invalidPeriod, "")) {
            try f.service.appoint(.headLocalAdministrator, person: f.hlb, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                  validUntil: nil, by: f.actor(f.wv))
        }
    }

    @Test("INV-4: grant dates beyond the werkrelatie are stored with a warning; effective period is the intersection")
    func grantBeyondRelation() throws {
        let f = try Fixture()
        try f.workRelation(f.employee, until: "2026-12-31")
        let result = try f.service.grant(GrantInput(person: f.employee, organisation: Fixture.x, application: "wex", right: "gebruiker",
                                                    validFrom: day("2026-01-01"), validUntil: day("2028-12-31")), by: f.actor(f.wv))
        #expect(result.warnings.count == 1)
        #expect(try f.rights(f.employee).first?.validUntil == day("2026-12-31"))
        #expect(try f.rights(f.employee, at: instant("2027-01-01")).isEmpty)
    }

    @Test("INV-8: context required, allowed values only, none for rights without contexts")
    func contexts() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        #expect(throws: RightsError(.contextRequired, "")) { try f.grant(f.employee, application: "toepx") }
        #expect(throws: RightsError(.contextNotAllowed, "")) { try f.grant(f.employee, application: "toepx", context: "Auteur") }
        #expect(throws: RightsError(.contextNotAllowed, "")) { try f.grant(f.employee, context: "Indiener") }
        try f.grant(f.employee, application: "toepx", context: "Indiener")
        try f.grant(f.employee, application: "toepx", context: "Medewerker")
        #expect(try f.rights(f.employee).count == 2)
    }

    @Test("E32: overlapping duplicate grant refused; extending the existing grant works")
    func duplicateGrant() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        let id = try f.grant(f.employee, until: "2026-12-31")
        #expect(throws: RightsError(.duplicateGrant, "")) { try f.grant(f.employee, from: "2026-06-01", until: "2027-06-01") }
        try f.grant(f.employee, from: "2027-01-01", until: "2027-06-01")
        #expect(throws: RightsError(.duplicateGrant, "")) { try f.service.changeGrantEnd(id, validUntil: day("2027-03-01"), by: f.actor(f.wv)) }
        try f.service.revokeGrant(id, reason: "test", by: f.actor(f.wv))
        #expect(try f.rights(f.employee).isEmpty)
        #expect(try f.rights(f.employee, at: instant("2027-02-01")).count == 1)
    }

    @Test("E32: the database refuses an overlapping grant even when the service check is bypassed")
    func duplicateTrigger() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        try f.grant(f.employee)
        #expect(throws: StorageError.self) {
            try f.database.write { db in
                try db.execute("""
                    INSERT INTO right_grant (person_id, organisation, application, right_code, context, valid_from, valid_until,
                      work_relation_id, granted_via, created_at)
                    SELECT person_id, organisation, application, right_code, context, valid_from, valid_until, work_relation_id, 'x', 'x'
                    FROM right_grant
                    """)
            }
        }
    }

    @Test("E31: concurrent grants of the same right on one database file: exactly one succeeds")
    func concurrentGrants() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rights-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let f = try Fixture(path: directory.appendingPathComponent("rights.sqlite").path)
        try f.appointHLB()
        try f.workRelation(f.employee)
        let second = try Storage.Database.open(path: f.database.path!, migrations: MigrationRegistry(RightsSchema.migrations))
        let services = [f.service, RightsService(database: second, clock: f.clock.clock)]
        let managers = [f.wv, f.hlb]
        let successes = NSLock()
        nonisolated(unsafe) var count = 0
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let input = GrantInput(person: f.employee, organisation: Fixture.x, application: "wex", right: "gebruiker",
                                   validFrom: day("2026-01-01"), validUntil: day("2027-12-31"))
            if (try? services[index % 2].grant(input, by: f.actor(managers[index % 2]))) != nil {
                successes.lock(); count += 1; successes.unlock()
            }
        }
        #expect(count == 1)
        #expect(try f.count("right_grant") == 1)
    }

    @Test("E33: evaluation and audit use the same instant from the one clock")
    func oneClock() throws {
        let f = try Fixture()
        f.clock.now = instant(Fixture.today, hour: 9, minute: 30)
        try f.workRelation(f.employee)
        let at = try f.database.read { db in try db.value("SELECT at FROM audit_event ORDER BY seq DESC LIMIT 1", as: String.self) }
        #expect(at.flatMap(Audit.instant) == f.clock.now)
        #expect(try f.service.resolve(person: f.employee).at == f.clock.now)
    }

    @Test("INV-14/INV-15: naming an HTB needs level 450; WV may name himself HTB; an HLB may not re-appoint himself")
    func selfAndLevel() throws {
        let f = try Fixture()
        #expect(throws: RightsError(.stepUpRequired, "")) {
            try f.service.appoint(.headAccessManager, person: f.wv, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                                  by: f.actor(f.wv, level: 400))
        }
        try f.service.appoint(.headAccessManager, person: f.wv, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                              by: f.actor(f.wv, level: 450))
        try f.appointHLB()
        #expect(throws: RightsError(.notAllowed, "")) {
            try f.service.appoint(.headLocalAdministrator, person: f.hlb, organisation: Fixture.x, validFrom: day("2028-01-01"),
                                  validUntil: day("2030-12-31"), by: f.actor(f.hlb))
        }
        // HLB may not name an HTB (only WV and HTB may).
        #expect(throws: RightsError(.notAllowed, "")) {
            try f.service.appoint(.headAccessManager, person: f.employee, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                  validUntil: nil, by: f.actor(f.hlb))
        }
        // An employee without role cannot appoint anyone.
        #expect(throws: RightsError(.notAManager, "")) {
            try f.service.appoint(.headLocalAdministrator, person: f.employee, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                  validUntil: day("2026-12-31"), by: f.actor(f.employee))
        }
    }

    @Test("LB-VO manages werkrelaties and rights but names no managers")
    func flemishLocalAdministrator() throws {
        let f = try Fixture()
        try f.appointHLB()
        try f.service.appoint(.flemishLocalAdministrator, person: f.other, organisation: Fixture.x, validFrom: day("2026-01-01"),
                              validUntil: day("2027-01-01"), by: f.actor(f.hlb))
        try f.workRelation(f.employee, by: f.other)
        try f.grant(f.employee, by: f.other)
        #expect(throws: RightsError(.notAllowed, "")) {
            try f.service.appoint(.flemishLocalAdministrator, person: f.employee, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                  validUntil: day("2027-01-01"), by: f.actor(f.other))
        }
    }

    @Test("INV-16: every write appends an audit event, and the audit table is append-only")
    func auditAppendOnly() throws {
        let f = try Fixture()
        let before = try f.count("audit_event")
        try f.workRelation(f.employee)
        try f.grant(f.employee)
        #expect(try f.count("audit_event") == before + 3)  // person.create, workRelation.create, grant.create
        let row = try f.database.read { db in
            try db.row("SELECT * FROM audit_event WHERE action = 'grant.create'")!
        }
        #expect(try row.value("authority", as: String.self).hasPrefix("wv#"))
        #expect(try row.value("session_level", as: Int.self) == 500)
        #expect(throws: StorageError.self) { try f.database.write { db in try db.execute("UPDATE audit_event SET action = 'x'") } }
        #expect(throws: StorageError.self) { try f.database.write { db in try db.execute("DELETE FROM audit_event") } }
        // No national number anywhere in the audit.
        let text = try f.database.read { db in
            try db.values("SELECT COALESCE(before, '') || COALESCE(after, '') || authority FROM audit_event", as: String.self)
        }
        #expect(!text.joined().contains(f.employee.digits))
    }

    @Test("Persistence on disk: reopening a database file keeps everything")
    func persistence() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rights-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("rights.sqlite").path
        do {
            let f = try Fixture(path: path)
            try f.workRelation(f.employee)
            try f.grant(f.employee)
        }
        let reopened = try Storage.Database.open(path: path, migrations: MigrationRegistry(RightsSchema.migrations))
        let service = RightsService(database: reopened, clock: .fixed(instant(Fixture.today)))
        #expect(try service.resolve(person: rrn(880101001)).organisations.first?.rights.count == 1)
    }
}

@Suite("Federal model (spec §3, §9)")
struct FederalTests {
    func federalFixture() throws -> (Fixture, vte: INSZ, coVte: INSZ, lbf: INSZ, lmb: INSZ) {
        let f = try Fixture()
        let vte = rrn(810101101), coVte = rrn(810101203), lbf = rrn(810101305), lmb = rrn(810101407)
        try f.service.appoint(.vte, person: vte, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(f.wv))
        try f.service.appoint(.coVte, person: coVte, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(vte))
        try f.service.activateCapacity("werkgever", organisation: Fixture.x, validFrom: day("2026-01-01"), by: f.actor(vte))
        try f.service.appoint(.federalLocalAdministrator, person: lbf, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                              capacity: "werkgever", by: f.actor(coVte))
        try f.service.appoint(.lmb, person: lmb, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                              capacity: "werkgever", by: f.actor(lbf))
        return (f, vte, coVte, lbf, lmb)
    }

    @Test("E22: a co-VTE cannot appoint a co-VTE")
    func coVte() throws {
        let (f, _, coVte, _, _) = try federalFixture()
        #expect(throws: RightsError(.coVteCannotAppointCoVte, "")) {
            try f.service.appoint(.coVte, person: f.employee, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                                  by: f.actor(coVte))
        }
    }

    @Test("E23: an LMB cannot appoint an LMB")
    func lmb() throws {
        let (f, _, _, _, lmb) = try federalFixture()
        #expect(throws: RightsError(.lmbCannotAppointLmb, "")) {
            try f.service.appoint(.lmb, person: f.employee, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                                  capacity: "werkgever", by: f.actor(lmb))
        }
    }

    @Test("E24/INV-13: a WV who is not VTE cannot activate a Hoedanigheid, name an LB-F or assign roles")
    func wvLimits() throws {
        let (f, vte, _, _, _) = try federalFixture()
        #expect(throws: RightsError(.onlyVteCanActivateCapacity, "")) {
            try f.service.activateCapacity("zelfstandige", organisation: Fixture.x, validFrom: day("2026-01-01"), by: f.actor(f.wv))
        }
        #expect(throws: RightsError(.notAllowed, "")) {
            try f.service.appoint(.federalLocalAdministrator, person: f.employee, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                  validUntil: nil, capacity: "werkgever", by: f.actor(f.wv))
        }
        #expect(throws: RightsError(.notAllowed, "")) {
            try f.service.assignRole(person: f.employee, organisation: Fixture.x, context: .business, application: "dimona", role: "user",
                                     email: nil, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(f.wv))
        }
        // A VTE manages role assignments only when also LB-F.
        #expect(throws: RightsError(.notAllowed, "")) {
            try f.service.assignRole(person: f.employee, organisation: Fixture.x, context: .business, application: "dimona", role: "user",
                                     email: nil, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(vte))
        }
        // The WV may not name a co-VTE (ambiguous source; safer reading).
        #expect(throws: RightsError(.notAllowed, "")) {
            try f.service.appoint(.coVte, person: f.employee, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                                  by: f.actor(f.wv))
        }
        // An LB-F needs an activated Hoedanigheid.
        #expect(throws: RightsError(.capacityNotActive, "")) {
            try f.service.appoint(.federalLocalAdministrator, person: f.employee, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                  validUntil: nil, capacity: "zelfstandige", by: f.actor(vte))
        }
        // The VTE may name himself LB-F (INV-15).
        try f.service.appoint(.federalLocalAdministrator, person: vte, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                              capacity: "werkgever", by: f.actor(vte))
    }

    @Test("E25: a user cannot give himself a role assignment; LB-F and LMB assign directly")
    func noSelfRequest() throws {
        let (f, _, _, lbf, lmb) = try federalFixture()
        #expect(throws: RightsError(.notAManager, "")) {
            try f.service.assignRole(person: f.employee, organisation: Fixture.x, context: .business, application: "dimona", role: "user",
                                     email: nil, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(f.employee))
        }
        try f.service.assignRole(person: f.employee, organisation: Fixture.x, context: .business, application: "dimona", role: "user",
                                 email: "a@b.be", validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(lmb))
        try f.service.assignRole(person: f.other, organisation: Fixture.x, context: .business, application: "dimona", role: "user",
                                 email: nil, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(lbf))
        #expect(try f.service.resolve(person: f.employee).organisations.first?.federalRoles.map(\.role) == ["user"])
    }

    @Test("E26: an invitation binds to the authenticated person; name and e-mail mismatch audited; single use")
    func invitation() throws {
        let (f, _, _, lbf, _) = try federalFixture()
        let token = try f.service.invite(.email(name: "Joran", surname: "Frik", email: "joran@example.be", message: nil),
                                         organisation: Fixture.x, context: .business, application: "dimona", roles: ["user", "reader"],
                                         expiresAt: instant("2026-12-31"), by: f.actor(lbf))
        let ids = try f.service.acceptInvitation(token: token, person: f.other, sessionLevel: 500, name: "Someone", surname: "Else",
                                                 email: "else@example.be")
        #expect(ids.count == 2)
        #expect(try f.service.resolve(person: f.other).organisations.first?.federalRoles.count == 2)
        #expect(try f.service.resolve(person: f.employee).organisations.isEmpty)
        let after = try f.database.read { db in
            try db.value("SELECT after FROM audit_event WHERE action = 'invitation.accept'", as: String.self)
        }
        #expect(after?.contains("\"emailMatches\":\"0\"") == true)
        #expect(after?.contains("\"nameMatches\":\"0\"") == true)
        #expect(throws: RightsError(.invitationNotUsable, "")) {
            try f.service.acceptInvitation(token: token, person: f.employee, sessionLevel: 500, name: nil, surname: nil, email: nil)
        }
        let link = try f.service.invite(.link, organisation: Fixture.x, context: .business, application: "dimona", roles: ["user"],
                                        expiresAt: instant("2026-11-23"), by: f.actor(lbf))
        f.clock.now = instant("2026-11-24")
        #expect(throws: RightsError(.invitationNotUsable, "")) {
            try f.service.acceptInvitation(token: link, person: f.employee, sessionLevel: 500, name: nil, surname: nil, email: nil)
        }
    }
}
