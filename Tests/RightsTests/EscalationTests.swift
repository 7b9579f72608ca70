import Foundation
import Storage
import Testing
@testable import Rights

@Suite("Escalation, reports, change feed, dates (spec §14)")
struct EscalationTests {
    @Test("INV-1/INV-11: a manager of X cannot touch Y's appointments, werkrelaties, grants, lists or reports")
    func flemishAcrossOrganisations() throws {
        let f = try Fixture()
        try f.appointHLB()  // hlb manages X
        let hlbOfY = try f.appointHLB(f.other, organisation: Fixture.y)
        let relationY = try f.workRelation(f.employee, organisation: Fixture.y)
        let grantY = try f.grant(f.employee, organisation: Fixture.y)
        let refused = RightsError(.notAManager, "")
        #expect(throws: refused) { try f.service.endAppointment(hlbOfY, lastDay: day("2026-11-22"), by: f.actor(f.hlb)) }
        #expect(throws: refused) { try f.service.endAppointment(hlbOfY, lastDay: nil, by: f.actor(f.wv)) }
        #expect(throws: refused) { try f.service.revokeGrant(grantY, reason: nil, by: f.actor(f.hlb)) }
        #expect(throws: refused) { try f.service.changeGrantEnd(grantY, validUntil: day("2030-01-01"), by: f.actor(f.wv)) }
        #expect(throws: refused) { try f.service.endWorkRelation(relationY, lastDay: nil, by: f.actor(f.hlb)) }
        #expect(throws: refused) { try f.service.grantableRights(organisation: Fixture.y, by: f.actor(f.hlb)) }
        #expect(throws: refused) { try f.service.report(organisation: Fixture.y, by: f.actor(f.wv)) }
        #expect(throws: refused) { try f.service.setCascadeOnAppointerLoss(true, organisation: Fixture.y, by: f.actor(f.wv)) }
        #expect(throws: refused) {
            try f.service.appoint(.headAccessManager, person: f.hlb, organisation: Fixture.y, validFrom: day("2026-01-01"), validUntil: nil,
                                  by: f.actor(f.wv))
        }
        // Y's HLB cannot use a werkrelatie with Y to grant rights for X.
        #expect(throws: refused) { try f.grant(f.employee, organisation: Fixture.x, by: f.other) }
        // X's WV grants for X, but the employee's werkrelatie is with Y only.
        #expect(throws: RightsError(.noWorkRelation, "")) { try f.grant(f.employee, organisation: Fixture.x) }
        // Managing X does not open the administration for Y.
        #expect(try f.service.loginDecision(person: f.hlb, application: "idm", organisation: Fixture.y, sessionLevel: 500)
            == .refused(reason: .notAManager, message: RightsError.refusalText))
        // Nothing changed in Y.
        #expect(try f.service.managedOrganisations(person: f.other) == [Fixture.y])
        #expect(try f.rights(f.employee).count == 1)
    }

    @Test("INV-13: federal roles of X give nothing in Y; a Hoedanigheid of X does not count for Y")
    func federalAcrossOrganisations() throws {
        let f = try Fixture()
        let vte = rrn(810101101), lbf = rrn(810101305)
        try f.service.appoint(.vte, person: vte, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(f.wv))
        try f.service.activateCapacity("werkgever", organisation: Fixture.x, validFrom: day("2026-01-01"), by: f.actor(vte))
        try f.service.appoint(.federalLocalAdministrator, person: lbf, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                              capacity: "werkgever", by: f.actor(vte))
        #expect(throws: RightsError(.onlyVteCanActivateCapacity, "")) {
            try f.service.activateCapacity("werkgever", organisation: Fixture.y, validFrom: day("2026-01-01"), by: f.actor(vte))
        }
        // E24: the refusal carries the hint that only the VTE (or a co-VTE) can.
        do {
            try f.service.activateCapacity("zelfstandige", organisation: Fixture.x, validFrom: day("2026-01-01"), by: f.actor(f.wv))
            Issue.record("expected a refusal")
        } catch let error as RightsError {
            #expect(error.code == .onlyVteCanActivateCapacity)
            #expect(error.reason.contains("only the VTE"))
        }
        #expect(throws: RightsError(.notAManager, "")) {
            try f.service.assignRole(person: f.employee, organisation: Fixture.y, context: .business, application: "dimona", role: "user",
                                     email: nil, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(lbf))
        }
        #expect(throws: RightsError(.notAManager, "")) {
            try f.service.invite(.link, organisation: Fixture.y, context: .business, application: "dimona", roles: ["user"],
                                 expiresAt: instant("2026-12-31"), by: f.actor(lbf))
        }
        // Y's own VTE cannot name an LB-F for a Hoedanigheid activated only in X.
        let vteOfY = rrn(810101509)
        try f.service.appoint(.vte, person: vteOfY, organisation: Fixture.y, validFrom: day("2026-01-01"), validUntil: nil,
                              by: f.actor(f.wvOfY))
        #expect(throws: RightsError(.capacityNotActive, "")) {
            try f.service.appoint(.federalLocalAdministrator, person: lbf, organisation: Fixture.y, validFrom: day("2026-01-01"),
                                  validUntil: nil, capacity: "werkgever", by: f.actor(vteOfY))
        }
        // A co-VTE manages role assignments only when also LB-F (INV-13).
        let coVte = rrn(810101203)
        try f.service.appoint(.coVte, person: coVte, organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(vte))
        #expect(throws: RightsError(.notAllowed, "")) {
            try f.service.assignRole(person: f.employee, organisation: Fixture.x, context: .business, application: "dimona", role: "user",
                                     email: nil, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(coVte))
        }
        // The WV may name himself VTE (INV-15).
        try f.service.appoint(.vte, person: f.wvOfY, organisation: Fixture.y, validFrom: day("2026-01-01"), validUntil: nil,
                              by: f.actor(f.wvOfY))
    }

    @Test("INV-15: a holder may shorten his own appointment but not extend it, unless he may appoint himself")
    func noSelfExtension() throws {
        let f = try Fixture()
        let id = try f.appointHLB(until: "2026-12-31")
        #expect(throws: RightsError(.notAllowed, "")) { try f.service.endAppointment(id, lastDay: day("2030-12-31"), by: f.actor(f.hlb)) }
        try f.service.endAppointment(id, lastDay: day("2026-12-01"), by: f.actor(f.hlb))
        #expect(try f.service.managedOrganisations(person: f.hlb, at: instant("2026-12-02")).isEmpty)
        // The WV may name himself HTB, so he may also prolong his own HTB appointment.
        let htb = try f.service.appoint(.headAccessManager, person: f.wv, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                        validUntil: day("2026-12-31"), by: f.actor(f.wv))
        try f.service.endAppointment(htb, lastDay: day("2028-12-31"), by: f.actor(f.wv))
        // An HTB cannot prolong his own HTB appointment (only the WV or another HTB names one).
        let other = try f.service.appoint(.headAccessManager, person: f.other, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                          validUntil: day("2026-12-31"), by: f.actor(f.wv))
        #expect(throws: RightsError(.notAllowed, "")) { try f.service.endAppointment(other, lastDay: day("2027-12-31"), by: f.actor(f.other)) }
        // Once the organisation is inactive, nobody prolongs an appointment there; ending one still works.
        try f.service.registerOrganisation(Fixture.x, name: nil, active: false)
        #expect(throws: RightsError(.organisationInactive, "")) { try f.service.endAppointment(htb, lastDay: day("2029-12-31"), by: f.actor(f.wv)) }
        try f.service.endAppointment(other, lastDay: nil, by: f.actor(f.other))
    }

    @Test("E14: a right needing owner approval is not listed for an organisation without approval; listed with its contexts after")
    func grantableRights() throws {
        let f = try Fixture()
        let before = try f.service.grantableRights(organisation: Fixture.x, by: f.actor(f.wv))
        #expect(!before.contains { $0.application == "dc" })
        #expect(before.first { $0.application == "toepx" }?.contextValues == ["Indiener", "Medewerker"])
        try f.service.approve(application: "dc", organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: day(Fixture.today),
                              by: f.actor(f.owner))
        let after = try f.service.grantableRights(organisation: Fixture.x, by: f.actor(f.wv))
        #expect(after.first { $0.application == "dc" }?.contextValues == [Fixture.establishment1.digits, Fixture.establishment2.digits])
        // The approval ends today (inclusive): gone tomorrow.
        #expect(!(try f.service.grantableRights(organisation: Fixture.x, by: f.actor(f.wv), at: instant("2026-11-23")))
            .contains { $0.application == "dc" })
        #expect(throws: RightsError(.notAManager, "")) { try f.service.grantableRights(organisation: Fixture.x, by: f.actor(f.employee)) }
        // An owner of one application cannot approve organisations for another.
        #expect(throws: RightsError(.notAnApplicationOwner, "")) {
            try f.service.approve(application: "toepx", organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                                  by: f.actor(f.owner))
        }
    }

    @Test("E11/E16/E17: the report flags appointments by former managers and lists ineffective grants for cleanup")
    func report() throws {
        let f = try Fixture()
        let htb = try f.service.appoint(.headAccessManager, person: f.hlb, organisation: Fixture.x, validFrom: day("2026-01-01"),
                                        validUntil: nil, by: f.actor(f.wv))
        try f.service.approve(application: "dc", organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil, by: f.actor(f.owner))
        try f.workRelation(f.employee)
        let indiener = try f.grant(f.employee, application: "toepx", context: "Indiener")
        try f.grant(f.employee, application: "toepx", context: "Medewerker")
        let closed = try f.grant(f.employee, application: "dc", right: "erkend", context: Fixture.establishment1.digits)
        #expect(try f.service.report(organisation: Fixture.x, by: f.actor(f.wv)).grantsToCleanUp.isEmpty)
        try f.service.recordLegalRepresentative(person: f.wv, organisation: Fixture.x, validFrom: day("2010-01-01"),
                                                validUntil: day("2026-11-21"))
        try f.service.defineRight(RightDefinition(application: "toepx", code: "gebruiker", label: "Toepassing X Gebruiker",
                                                  contextKind: .fixed, contextValues: ["Medewerker"]))
        try f.service.registerEstablishment(Fixture.establishment1, of: Fixture.x, active: false)
        let report = try f.service.report(organisation: Fixture.x, by: f.actor(f.hlb))
        #expect(report.appointedByFormerManagers.map(\.appointmentID) == [htb])
        #expect(report.appointedByFormerManagers.first?.role == .headAccessManager)
        #expect(Set(report.grantsToCleanUp.map(\.grantID)) == [indiener, closed])
        #expect(report.grantsToCleanUp.first { $0.grantID == indiener }?.reason == .contextWithdrawn)
        #expect(report.grantsToCleanUp.first { $0.grantID == closed }?.reason == .establishmentClosed)
        // The flagged HTB is still a manager (default policy), which is why he can read the report.
        #expect(try f.service.managedOrganisations(person: f.hlb) == [Fixture.x])
    }

    @Test("INV-17: a revocation appears in the change feed and re-evaluation refuses at once")
    func changeFeed() throws {
        let f = try Fixture()
        try f.workRelation(f.employee)
        let id = try f.grant(f.employee)
        let mark = try f.service.changes(after: 0, limit: 100_000).last!.seq
        guard case .allowed = try f.service.loginDecision(person: f.employee, application: "wex", organisation: nil, sessionLevel: 500) else {
            Issue.record("expected allowed"); return
        }
        try f.service.revokeGrant(id, reason: "left", by: f.actor(f.wv))
        let changes = try f.service.changes(after: mark)
        #expect(changes.map(\.action) == ["grant.revoke"])
        #expect(changes.first?.organisation == Fixture.x.digits)
        #expect(changes.first?.subject != nil)
        #expect(changes.first?.at == f.clock.now)
        #expect(try f.service.loginDecision(person: f.employee, application: "wex", organisation: nil, sessionLevel: 500)
            == .refused(reason: .none, message: RightsError.refusalText))
        #expect(try f.service.changes(after: changes.last!.seq).isEmpty)
    }

    @Test("E28: a BIS number is a person key like an RRN")
    func bisPerson() throws {
        let f = try Fixture()
        let bis = try INSZ("98.47.28-997.65", today: day(Fixture.today))
        #expect(bis.kind == .bis(sexKnown: true))
        try f.workRelation(bis)
        try f.grant(bis)
        #expect(try f.rights(bis).map(\.application) == ["wex"])
        try f.service.appoint(.headLocalAdministrator, person: bis, organisation: Fixture.x, validFrom: day("2026-01-01"),
                              validUntil: day("2026-12-31"), by: f.actor(f.wv))
        #expect(try f.service.managedOrganisations(person: bis) == [Fixture.x])
    }

    @Test("§6.2: every end date is inclusive in Europe/Brussels — appointments, mandates, werkrelaties, approvals")
    func inclusiveEndDates() throws {
        let f = try Fixture()
        try f.appointHLB(until: Fixture.today)
        try f.service.recordLegalRepresentative(person: f.other, organisation: Fixture.x, validFrom: day("2020-01-01"),
                                                validUntil: day(Fixture.today))
        try f.service.approve(application: "dc", organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: day(Fixture.today),
                              by: f.actor(f.owner))
        try f.workRelation(f.employee, until: Fixture.today)
        try f.grant(f.employee, application: "dc", right: "erkend", context: Fixture.establishment1.digits, until: "2027-01-01")
        let lastMinute = instant(Fixture.today, hour: 23, minute: 59)
        #expect(try f.service.managedOrganisations(person: f.hlb, at: lastMinute) == [Fixture.x])
        #expect(try f.service.managedOrganisations(person: f.other, at: lastMinute) == [Fixture.x])
        #expect(try f.rights(f.employee, at: lastMinute).count == 1)
        // 23:30 UTC on the 22nd is 00:30 on the 23rd in Brussels (CET, UTC+1): everything has ended.
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let lateUTC = utc.date(from: DateComponents(year: 2026, month: 11, day: 22, hour: 23, minute: 30))!
        #expect(try f.service.managedOrganisations(person: f.hlb, at: lateUTC).isEmpty)
        #expect(try f.service.managedOrganisations(person: f.other, at: lateUTC).isEmpty)
        #expect(try f.rights(f.employee, at: lateUTC).isEmpty)
        // Summer time: 21:30 UTC on 2026-07-01 is 23:30 in Brussels (CEST, UTC+2), still the 1st.
        let summer = utc.date(from: DateComponents(year: 2026, month: 7, day: 1, hour: 21, minute: 30))!
        #expect(LocalDate(summer) == day("2026-07-01"))
        #expect(LocalDate(summer.addingTimeInterval(3600)) == day("2026-07-02"))
    }

    @Test("E33: writes check validity against the injected clock, not the wall clock")
    func injectedClockForWrites() throws {
        let f = try Fixture()
        try f.appointHLB(until: "2026-12-31")
        try f.workRelation(f.employee)
        // Move the injected clock past the HLB's last day: the write is refused although the wall clock has not moved.
        f.clock.now = instant("2027-01-01", hour: 0, minute: 0)
        #expect(throws: RightsError(.notAManager, "")) { try f.grant(f.employee, by: f.hlb) }
        f.clock.now = instant("2026-12-31", hour: 23, minute: 59)
        try f.grant(f.employee, by: f.hlb)
        let audit = try f.database.read { db in try db.value("SELECT at FROM audit_event ORDER BY seq DESC LIMIT 1", as: String.self) }
        #expect(audit.flatMap(Audit.instant) == f.clock.now)
    }

    @Test("INV-16: each kind of write appends its own audit event with actor, authority and level")
    func auditPerWrite() throws {
        let f = try Fixture()
        try f.appointHLB()
        let relation = try f.workRelation(f.employee, by: f.hlb)
        let grant = try f.grant(f.employee, by: f.hlb)
        try f.service.changeGrantEnd(grant, validUntil: day("2027-06-30"), by: f.actor(f.hlb))
        try f.service.revokeGrant(grant, reason: "test", by: f.actor(f.hlb))
        try f.service.endWorkRelation(relation, lastDay: day(Fixture.today), by: f.actor(f.hlb))
        let approval = try f.service.approve(application: "dc", organisation: Fixture.x, validFrom: day("2026-01-01"), validUntil: nil,
                                             by: f.actor(f.owner))
        try f.service.withdrawApproval(approval, by: f.actor(f.owner, level: 450))
        let rows = try f.database.read { db in
            try db.rows("SELECT action, authority, session_level, actor_person_id FROM audit_event ORDER BY seq")
        }
        let actions = try rows.map { try $0.value("action", as: String.self) }
        for action in ["appointment.create", "workRelation.create", "grant.create", "grant.changeEnd", "grant.revoke", "workRelation.end",
                       "approval.create", "approval.withdraw", "mandate.create", "organisation.register", "right.define"] {
            #expect(actions.contains(action), "missing \(action)")
        }
        let revoke = rows.first { $0["action"] == .text("grant.revoke") }!
        #expect(try revoke.value("authority", as: String.self).hasPrefix("flemish.hlb#"))
        #expect(try revoke.value("session_level", as: Int.self) == 500)
        #expect(try revoke.optional("actor_person_id", as: Int64.self) != nil)
        #expect(try rows.last?.optional("session_level", as: Int.self) == 450)
    }
}
