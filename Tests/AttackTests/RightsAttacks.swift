import Foundation
import Rights
import SleutelTestSupport
import Storage
import Testing

/// A valid pre-2000 national register number from 9 digits (check digits computed).
func rrn(_ base: Int) -> INSZ {
    try! INSZ(String(format: "%09d%02d", base, 97 - base % 97), today: LocalDate(year: 2026, month: 1, day: 1)!)
}

func day(_ text: String) -> LocalDate { LocalDate(text)! }

/// Two organisations with their legal representatives, a Flemish head local administrator of X,
/// the federal chain of X (VTE → co-VTE → LB-F → LMB), an employee with a right in Y, and the
/// applications they act in; on the Rights service of a ``SessionsFixture`` (clock 2026-11-22 12:00).
struct Organisations {
    static let x = try! KBONumber("0441.928.931")
    static let y = try! KBONumber("0566.988.259")
    let fixture: SessionsFixture
    var rights: RightsService { fixture.rights }
    let wvX = rrn(850730033), wvY = rrn(720404004)
    let hlbX = rrn(930518223), hlbY = rrn(770202002)
    let vte = rrn(810101101), coVte = rrn(810101203), lbf = rrn(810101305), lmb = rrn(810101407)
    let employee = rrn(880101001), outsider = rrn(660303003)
    let hlbYAppointment: Int64
    let grantY: Int64
    private(set) var coVteAppointment: Int64 = 0
    private(set) var lmbAppointment: Int64 = 0

    init(fixture: SessionsFixture? = nil) throws {
        let fixture = try fixture ?? SessionsFixture()
        self.fixture = fixture
        let rights = fixture.rights
        try rights.registerOrganisation(Self.x, name: "FN HERSTAL")
        try rights.registerOrganisation(Self.y, name: "UW BEDRIJF")
        try rights.registerApplication(ApplicationDefinition(id: "idm", name: "Gebruikersbeheer", isRightsAdministration: true))
        try rights.registerApplication(ApplicationDefinition(id: "wex", name: "WEX eLoket"))
        try rights.defineRight(RightDefinition(application: "wex", code: "gebruiker", label: "WEX eLoket Gebruiker"))
        try rights.recordLegalRepresentative(person: wvX, organisation: Self.x, validFrom: day("2010-01-01"), validUntil: nil)
        try rights.recordLegalRepresentative(person: wvY, organisation: Self.y, validFrom: day("2010-01-01"), validUntil: nil)
        try rights.appoint(.headLocalAdministrator, person: hlbX, organisation: Self.x, validFrom: day("2026-01-01"),
                           validUntil: day("2027-12-31"), by: Actor(person: wvX, sessionLevel: 500))
        hlbYAppointment = try rights.appoint(.headLocalAdministrator, person: hlbY, organisation: Self.y, validFrom: day("2026-01-01"),
                                             validUntil: day("2027-12-31"), by: Actor(person: wvY, sessionLevel: 500))
        try rights.createWorkRelation(Self.relation(employee, Self.y), by: Actor(person: wvY, sessionLevel: 500))
        grantY = try rights.grant(GrantInput(person: employee, organisation: Self.y, application: "wex", right: "gebruiker",
                                             validFrom: day("2026-01-01"), validUntil: day("2027-12-31")),
                                  by: Actor(person: wvY, sessionLevel: 500)).grantID
        // Federal: the WV names the VTE, who names a co-VTE and activates a Hoedanigheid; the co-VTE names
        // an LB-F for it, who names an LMB.
        try rights.appoint(.vte, person: vte, organisation: Self.x, validFrom: day("2026-01-01"), validUntil: nil, by: actor(wvX))
        coVteAppointment = try rights.appoint(.coVte, person: coVte, organisation: Self.x, validFrom: day("2026-01-01"),
                                              validUntil: day("2026-12-31"), by: actor(vte))
        try rights.activateCapacity("werkgever", organisation: Self.x, validFrom: day("2026-01-01"), by: actor(vte))
        try rights.appoint(.federalLocalAdministrator, person: lbf, organisation: Self.x, validFrom: day("2026-01-01"), validUntil: nil,
                           capacity: "werkgever", by: actor(coVte))
        lmbAppointment = try rights.appoint(.lmb, person: lmb, organisation: Self.x, validFrom: day("2026-01-01"), validUntil: day("2026-12-31"),
                                            capacity: "werkgever", by: actor(lbf))
    }

    func actor(_ person: INSZ, level: Int = 500) -> Actor { Actor(person: person, sessionLevel: level) }

    func relation(_ person: INSZ, _ organisation: KBONumber) -> WorkRelationInput { Self.relation(person, organisation) }

    static func relation(_ person: INSZ, _ organisation: KBONumber, until: String = "2029-12-31") -> WorkRelationInput {
        WorkRelationInput(person: person, organisation: organisation, category: .permanentEmployee, phone: "+3212345678",
                          email: "medewerker@example.be", validFrom: day("2026-01-01"), validUntil: day(until))
    }

    /// Row counts of everything an escalation could create.
    func footprint() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["appointment", "work_relation", "right_grant", "capacity_activation", "role_assignment", "invitation", "owner_approval"] {
            counts[table] = try rows(table, in: fixture.database)
        }
        return counts
    }
}

extension AttackSuite {
    /// Appointment and grant rules of the rights model (spec rights-and-assurance §2–§3, §14),
    /// through ``RightsService`` as the API and CLI call it.
    @Suite("Rights: appointments, grants and login decisions through RightsService")
    struct RightsAttacks {
        @Test("escalation across organisations: X's head local administrator and WV act for Y")
        func crossOrganisation() throws {
            let attempts = Attempts(.crossOrganisation)
            let world = try Organisations()
            let rights = world.rights
            let y = Organisations.y
            let before = try world.footprint()
            let employeeRights = try rights.resolve(person: world.employee).organisations.flatMap(\.rights).count
            for attacker in [world.hlbX, world.wvX, world.vte] {
                let actor = world.actor(attacker)
                attempts.refused(.notAManager, "appoint an HLB for Y") {
                    try rights.appoint(.headLocalAdministrator, person: attacker, organisation: y, validFrom: day("2026-01-01"),
                                       validUntil: day("2027-12-31"), by: actor)
                }
                attempts.refused(.notAManager, "appoint an HTB for Y") {
                    try rights.appoint(.headAccessManager, person: attacker, organisation: y, validFrom: day("2026-01-01"), validUntil: nil, by: actor)
                }
                attempts.refused(.notAManager, "create a werkrelatie in Y") { try rights.createWorkRelation(world.relation(attacker, y), by: actor) }
                attempts.refused(.notAManager, "grant in Y") {
                    try rights.grant(GrantInput(person: world.employee, organisation: y, application: "wex", right: "gebruiker",
                                                validFrom: day("2026-01-01"), validUntil: day("2029-12-31")), by: actor)
                }
                attempts.refused(.notAManager, "revoke Y's grant") { try rights.revokeGrant(world.grantY, reason: "x", by: actor) }
                attempts.refused(.notAManager, "extend Y's grant") { try rights.changeGrantEnd(world.grantY, validUntil: day("2035-12-31"), by: actor) }
                attempts.refused(.notAManager, "end Y's HLB") { try rights.endAppointment(world.hlbYAppointment, lastDay: day("2026-11-22"), by: actor) }
                attempts.refused(.notAManager, "read Y's report") { try rights.report(organisation: y, by: actor) }
                attempts.refused(.notAManager, "list Y's grantable rights") { try rights.grantableRights(organisation: y, by: actor) }
                attempts.refused(try rights.loginDecision(person: attacker, application: "idm", organisation: y, sessionLevel: 500),
                                 reason: .notAManager, "open Y's administration")
            }
            // Federal: X's VTE activating a Hoedanigheid in Y.
            attempts.refused(.onlyVteCanActivateCapacity, "VTE of X activates for Y") {
                try rights.activateCapacity("werkgever", organisation: y, validFrom: day("2026-01-01"), by: world.actor(world.vte))
            }
            #expect(try world.footprint() == before)
            #expect(try rights.resolve(person: world.employee).organisations.flatMap(\.rights).count == employeeRights)
            #expect(try rights.managedOrganisations(person: world.hlbX) == [Organisations.x])
        }

        @Test("co-VTE appointing a co-VTE: another person, himself, in another organisation")
        func coVteAppointsCoVte() throws {
            let attempts = Attempts(.coVteAppointsCoVte)
            let world = try Organisations()
            let rights = world.rights
            let before = try world.footprint()
            for (person, what) in [(world.outsider, "another person"), (world.employee, "an employee"), (world.lbf, "the LB-F")] {
                attempts.refused(.coVteCannotAppointCoVte, what) {
                    try rights.appoint(.coVte, person: person, organisation: Organisations.x, validFrom: day("2026-11-22"), validUntil: nil,
                                       by: world.actor(world.coVte))
                }
            }
            attempts.refused(.coVteCannotAppointCoVte, "a second co-VTE term for himself") {
                try rights.appoint(.coVte, person: world.coVte, organisation: Organisations.x, validFrom: day("2030-01-01"), validUntil: nil,
                                   by: world.actor(world.coVte))
            }
            attempts.refused(.notAManager, "a co-VTE in another organisation") {
                try rights.appoint(.coVte, person: world.outsider, organisation: Organisations.y, validFrom: day("2026-11-22"), validUntil: nil,
                                   by: world.actor(world.coVte))
            }
            // Naming by prolonging: the co-VTE extends his own term, and another co-VTE's term.
            attempts.refused(.notAllowed, "prolong his own co-VTE term") {
                try rights.endAppointment(world.coVteAppointment, lastDay: day("2030-12-31"), by: world.actor(world.coVte))
            }
            let second = try rights.appoint(.coVte, person: world.employee, organisation: Organisations.x, validFrom: day("2026-11-22"),
                                            validUntil: day("2026-12-31"), by: world.actor(world.vte))
            let afterSecond = try world.footprint()
            attempts.refused(.notAllowed, "prolong another co-VTE's term") {
                try rights.endAppointment(second, lastDay: day("2030-12-31"), by: world.actor(world.coVte))
            }
            #expect(try world.footprint() == afterSecond)
            #expect(afterSecond["appointment"] == (before["appointment"] ?? 0) + 1, "only the VTE's appointment was added")
            // Control: the VTE names a co-VTE.
            try rights.appoint(.coVte, person: world.outsider, organisation: Organisations.x, validFrom: day("2026-11-22"), validUntil: nil,
                               by: world.actor(world.vte))
        }

        @Test("LMB appointing an LMB: another person, himself, for another Hoedanigheid")
        func lmbAppointsLmb() throws {
            let attempts = Attempts(.lmbAppointsLmb)
            let world = try Organisations()
            let rights = world.rights
            let before = try world.footprint()
            for (person, what) in [(world.outsider, "another person"), (world.employee, "an employee")] {
                attempts.refused(.lmbCannotAppointLmb, what) {
                    try rights.appoint(.lmb, person: person, organisation: Organisations.x, validFrom: day("2026-11-22"), validUntil: nil,
                                       capacity: "werkgever", by: world.actor(world.lmb))
                }
            }
            attempts.refused(.lmbCannotAppointLmb, "a second LMB term for himself") {
                try rights.appoint(.lmb, person: world.lmb, organisation: Organisations.x, validFrom: day("2030-01-01"), validUntil: nil,
                                   capacity: "werkgever", by: world.actor(world.lmb))
            }
            attempts.refused(.lmbCannotAppointLmb, "an LMB for a Hoedanigheid not activated") {
                try rights.appoint(.lmb, person: world.outsider, organisation: Organisations.x, validFrom: day("2026-11-22"), validUntil: nil,
                                   capacity: "zelfstandige", by: world.actor(world.lmb))
            }
            // Naming by prolonging: the LMB extends his own term, and another LMB's term.
            attempts.refused(.notAllowed, "prolong his own LMB term") {
                try rights.endAppointment(world.lmbAppointment, lastDay: day("2030-12-31"), by: world.actor(world.lmb))
            }
            #expect(try world.footprint() == before)
            let second = try rights.appoint(.lmb, person: world.employee, organisation: Organisations.x, validFrom: day("2026-11-22"),
                                            validUntil: day("2026-12-31"), capacity: "werkgever", by: world.actor(world.lbf))
            attempts.refused(.notAllowed, "prolong another LMB's term") {
                try rights.endAppointment(second, lastDay: day("2030-12-31"), by: world.actor(world.lmb))
            }
            // Control: the LB-F names an LMB.
            try rights.appoint(.lmb, person: world.outsider, organisation: Organisations.x, validFrom: day("2026-11-22"), validUntil: nil,
                               capacity: "werkgever", by: world.actor(world.lbf))
        }

        @Test("a right after its end date: the day after, a week after, after the end was moved to yesterday; managers too")
        func rightAfterEndDate() throws {
            let attempts = Attempts(.rightAfterEndDate)
            let world = try Organisations()
            let rights = world.rights
            let x = Organisations.x
            let today = LocalDate(world.fixture.clock.now)
            try rights.createWorkRelation(world.relation(world.employee, x), by: world.actor(world.wvX))
            _ = try rights.grant(GrantInput(person: world.employee, organisation: x, application: "wex", right: "gebruiker",
                                            validFrom: day("2026-01-01"), validUntil: today), by: world.actor(world.wvX)).grantID
            // Y's grant, its end moved to yesterday by Y's WV: gone today (so no organisation is left to fall back on).
            try rights.changeGrantEnd(world.grantY, validUntil: today.adding(days: -1), by: world.actor(world.wvY))
            attempts.refused(try rights.loginDecision(person: world.employee, application: "wex", organisation: Organisations.y, sessionLevel: 500),
                             reason: RightsError.Code.none, "end moved to yesterday")
            let endOfDay = today.adding(days: 1).startInstant.addingTimeInterval(-60)
            // Control: allowed until the last minute of the end date (Brussels time).
            guard case .allowed = try rights.loginDecision(person: world.employee, application: "wex", organisation: x, sessionLevel: 500, at: endOfDay)
            else { Issue.record("the right should hold on its end date"); return }
            for (what, instant) in [("one minute after midnight", today.adding(days: 1).startInstant.addingTimeInterval(60)),
                                    ("a week later", today.adding(days: 7).startInstant.addingTimeInterval(12 * 3600))] {
                attempts.refused(try rights.loginDecision(person: world.employee, application: "wex", organisation: x, sessionLevel: 500, at: instant),
                                 reason: RightsError.Code.none, what)
                attempts.refused(try rights.loginDecision(person: world.employee, application: "wex", organisation: nil, sessionLevel: 500, at: instant),
                                 reason: RightsError.Code.none, what + ", no organisation hint")
                #expect(try rights.resolve(person: world.employee, at: instant).organisations.filter { $0.organisation == x }.flatMap(\.rights).isEmpty)
            }
            // A manager whose appointment ended yesterday can no longer grant.
            let shortHLB = rrn(900101101)
            _ = try rights.appoint(.headLocalAdministrator, person: shortHLB, organisation: x, validFrom: day("2026-01-01"),
                                   validUntil: today, by: world.actor(world.wvX))
            world.fixture.clock.now = today.adding(days: 1).startInstant.addingTimeInterval(3600)
            let before = try world.footprint()
            attempts.refused(.notAManager, "HLB grants the day after his appointment ended") {
                try rights.grant(GrantInput(person: world.employee, organisation: x, application: "wex", right: "gebruiker",
                                            validFrom: today.adding(days: 1), validUntil: day("2029-12-31")), by: world.actor(shortHLB))
            }
            attempts.refused(try rights.loginDecision(person: shortHLB, application: "idm", organisation: x, sessionLevel: 500),
                             reason: .notAManager, "HLB opens the administration after his end date")
            #expect(try world.footprint() == before)
        }
    }
}
