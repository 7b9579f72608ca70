import Foundation
import Storage
@testable import Rights

/// A settable clock for tests.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date
    init(_ instant: Date) { self.instant = instant }
    var now: Date {
        get { lock.lock(); defer { lock.unlock() }; return instant }
        set { lock.lock(); instant = newValue; lock.unlock() }
    }
    var clock: RightsClock { RightsClock { [self] in self.now } }
}

/// A valid pre-2000 RRN built from 9 digits (check digits computed).
func rrn(_ base: Int) -> INSZ {
    let check = 97 - base % 97
    let text = String(format: "%09d%02d", base, check)
    return try! INSZ(text, today: LocalDate(year: 2026, month: 1, day: 1)!)
}

/// Brussels instant of a local date and hour.
func instant(_ date: String, hour: Int = 12, minute: Int = 0) -> Date {
    LocalDate(date)!.startInstant.addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
}

func day(_ text: String) -> LocalDate { LocalDate(text)! }

struct Fixture {
    let clock: TestClock
    let service: RightsService
    let database: Storage.Database

    static let x = try! KBONumber("0441.928.931")
    static let y = try! KBONumber("0566.988.259")
    static let z = try! KBONumber("0314.595.348")
    static let establishment1 = try! KBONumber("2.000.000.339")
    static let establishment2: KBONumber = {
        // another establishment unit number with a valid check
        let base = 20000004
        return try! KBONumber(String(format: "%08d%02d", base, 97 - base % 97))
    }()

    let wv = rrn(850730033)
    let hlb = rrn(930518223)
    let employee = rrn(880101001)
    let other = rrn(770202002)
    let owner = rrn(660303003)
    let wvOfY = rrn(720404004)

    static let today = "2026-11-22"

    init(path: String? = nil) throws {
        clock = TestClock(instant(Fixture.today))
        let registry = MigrationRegistry(RightsSchema.migrations)
        database = try path.map { try Storage.Database.open(path: $0, migrations: registry) } ?? Database.inMemory(migrations: registry)
        service = RightsService(database: database, clock: clock.clock)
        try service.registerOrganisation(Fixture.x, name: "FN HERSTAL")
        try service.registerOrganisation(Fixture.y, name: "UW BEDRIJF")
        try service.registerOrganisation(Fixture.z, name: "DERDE NV")
        try service.registerEstablishment(Fixture.establishment1, of: Fixture.x)
        try service.registerEstablishment(Fixture.establishment2, of: Fixture.x)
        try service.registerApplication(ApplicationDefinition(id: "idm", name: "Gebruikersbeheer", isRightsAdministration: true))
        try service.registerApplication(ApplicationDefinition(id: "wex", name: "WEX eLoket"))
        try service.defineRight(RightDefinition(application: "wex", code: "gebruiker", label: "WEX eLoket Gebruiker"))
        try service.registerApplication(ApplicationDefinition(id: "toepx", name: "Toepassing X", minimumAssurance: 500))
        try service.defineRight(RightDefinition(application: "toepx", code: "gebruiker", label: "Toepassing X Gebruiker",
                                                contextKind: .fixed, contextValues: ["Indiener", "Medewerker"]))
        try service.registerApplication(ApplicationDefinition(id: "dc", name: "Dienstencheques"))
        try service.defineRight(RightDefinition(application: "dc", code: "erkend", label: "Dienstencheques voor erkende ondernemingen",
                                                contextKind: .establishments, requiresOwnerApproval: true))
        try service.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket ondernemers",
                                                              legalRepresentativeHasAccess: true, baseRight: "ondernemer"))
        try service.defineRight(RightDefinition(application: "eloket", code: "ondernemer", label: "e-loket ondernemers"))
        try service.addApplicationOwner(application: "dc", person: owner)
        try service.recordLegalRepresentative(person: wv, organisation: Fixture.x, validFrom: day("2010-01-01"), validUntil: nil)
        try service.recordLegalRepresentative(person: wvOfY, organisation: Fixture.y, validFrom: day("2010-01-01"), validUntil: nil)
    }

    func actor(_ person: INSZ, level: Int = 500) -> Actor { Actor(person: person, sessionLevel: level) }

    /// WV names the HLB for X (2026-01-01 … 2027-12-31).
    @discardableResult
    func appointHLB(_ person: INSZ? = nil, organisation: KBONumber = Fixture.x, until: String = "2027-12-31") throws -> Int64 {
        try service.appoint(.headLocalAdministrator, person: person ?? hlb, organisation: organisation, validFrom: day("2026-01-01"),
                            validUntil: day(until), by: actor(organisation == Fixture.x ? wv : wvOfY))
    }

    @discardableResult
    func workRelation(_ person: INSZ, organisation: KBONumber = Fixture.x, from: String = "2026-01-01", until: String = "2029-12-31",
                      by manager: INSZ? = nil) throws -> Int64 {
        try service.createWorkRelation(
            WorkRelationInput(person: person, organisation: organisation, category: .permanentEmployee, phone: "+3212345678",
                              email: "medewerker@example.be", validFrom: day(from), validUntil: day(until)),
            by: actor(manager ?? (organisation == Fixture.x ? wv : wvOfY)))
    }

    @discardableResult
    func grant(_ person: INSZ, organisation: KBONumber = Fixture.x, application: String = "wex", right: String = "gebruiker",
               context: String? = nil, from: String = "2026-01-01", until: String = "2027-12-31", by manager: INSZ? = nil) throws -> Int64 {
        try service.grant(GrantInput(person: person, organisation: organisation, application: application, right: right, context: context,
                                     validFrom: day(from), validUntil: day(until)),
                          by: actor(manager ?? (organisation == Fixture.x ? wv : wvOfY))).grantID
    }

    func rights(_ person: INSZ, at: Date? = nil) throws -> [EffectiveRight] {
        try service.resolve(person: person, at: at).organisations.flatMap(\.rights)
    }

    func count(_ table: String) throws -> Int {
        try database.read { db in try db.value("SELECT count(*) FROM \(table)", as: Int.self) ?? 0 }
    }
}
