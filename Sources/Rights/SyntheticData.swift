import Foundation
import Storage

/// A synthetic rights dataset for the benchmark (`Benchmarks/RightsBench`), written through the
/// real schema. Package-internal: not part of the Rights API.
///
/// Shape (deterministic from the counts): `organisations` enterprises, one establishment unit per
/// second enterprise, one WV mandate per enterprise, an HLB for every third, 20 applications
/// (five with fixed contexts, one with establishment contexts and owner approval, two with
/// automatic WV access), each person with one to three werkrelaties and `grants / persons`
/// grants spread over distinct applications (about 5 % expired, 2 % revoked), and some
/// federal role assignments. No audit rows per record: one `bench.populate` event.
package struct SyntheticRightsData: Sendable {
    package var persons: Int
    package var organisations: Int
    package var grants: Int
    /// Rows per transaction.
    package var batch = 200_000

    package init(persons: Int, organisations: Int, grants: Int) {
        self.persons = persons
        self.organisations = organisations
        self.grants = grants
    }

    static let applications = 20
    static let fixedContexts = ["Indiener", "Medewerker", "Lezer"]

    /// The national register number of synthetic person `index` (valid, born 1950–1999; unique
    /// for fewer than 16.7 million persons).
    package static func personDigits(_ index: Int) -> String {
        let dayIndex = index / 997, counter = index % 997 + 1
        let year = 50 + (dayIndex / 336) % 50, month = (dayIndex % 336) / 28 + 1, day = dayIndex % 28 + 1
        let base = ((year * 100 + month) * 100 + day) * 1000 + counter
        return String(format: "%09d%02d", base, 97 - base % 97)
    }

    /// `personDigits(index)` parsed by the real validator.
    package static func person(_ index: Int) throws -> INSZ {
        try INSZ(personDigits(index), origin: .certificate, today: LocalDate(year: 2026, month: 1, day: 1)!)
    }

    /// The enterprise number of synthetic organisation `index`.
    package static func organisation(_ index: Int) -> String { checked(3_000_000 + index * 7) }

    /// The establishment unit number of synthetic organisation `index` (even indexes only).
    package static func establishment(_ index: Int) -> String { checked(20_000_000 + index * 3) }

    package static func application(_ index: Int) -> String { String(format: "app%02d", index + 1) }

    private static func checked(_ first8: Int) -> String { String(format: "%08d%02d", first8, 97 - first8 % 97) }

    /// A cheap, well-spread hash of an index (SplitMix64 finaliser).
    static func mix(_ value: Int) -> Int {
        var z = UInt64(truncatingIfNeeded: value) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
    }

    /// The organisations person `index` has a werkrelatie with (1–3, distinct).
    static func employers(of index: Int, organisations: Int) -> [Int] {
        let h = mix(index)
        let count = h % 10 < 5 ? 1 : (h % 10 < 9 ? 2 : 3)
        var result: [Int] = []
        var salt = 0
        while result.count < count {
            let org = mix(h &+ salt) % organisations
            if !result.contains(org) { result.append(org) }
            salt += 1
        }
        return result
    }

    /// The number of persons in a database (the benchmark samples among them).
    package static func personCount(_ database: Storage.Database) throws -> Int {
        try database.read { db in try PersonRecord.count(in: db) }
    }

    /// `PRAGMA mmap_size` as a pool reader sees it (reported by the benchmark); -1 on other engines.
    package static func readerMemoryMap(_ database: Storage.Database) throws -> Int {
        try database.read { db in db.engine == .sqlite ? try db.value("PRAGMA mmap_size", as: Int.self) ?? -1 : -1 }
    }

    /// Writes the dataset into an empty Rights database. `progress` gets (table, rows done, rows total).
    package func populate(_ database: Storage.Database, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws {
        let now = Date()
        let created = Audit.text(now)
        try database.writeWithoutTransaction { db in
            if db.engine == .sqlite { try db.executeScript("PRAGMA cache_size = -262144") }
            /// Runs `count` row inserts in transactions of `batch` rows.
            func bulk(_ table: String, _ count: Int, _ body: (Int) throws -> Void) throws {
                var done = 0
                while done < count {
                    let end = min(count, done + batch)
                    try db.transaction {
                        for index in done..<end { try body(index) }
                    }
                    done = end
                    progress(table, done, count)
                }
            }

            // Applications and rights.
            try db.transaction {
                let application = try db.prepare(ApplicationRecord.insertSQL)
                let right = try db.prepare(RightDefinitionRecord.insertSQL)
                let contextValue = try db.prepare(RightContextValueRecord.insertSQL)
                try application.execute(ApplicationRecord(ApplicationDefinition(id: "idm", name: "Gebruikersbeheer", minimumAssurance: 400,
                                                                                isRightsAdministration: true)).arguments)
                for index in 0..<Self.applications {
                    let id = Self.application(index)
                    let automatic = index == 6 || index == 7
                    try application.execute(ApplicationRecord(ApplicationDefinition(
                        id: id, name: "Toepassing \(index + 1)", minimumAssurance: 400, legalRepresentativeHasAccess: automatic,
                        baseRight: automatic ? "gebruiker" : nil)).arguments)
                    let kind = index < 5 ? "fixed" : (index == 5 ? "establishments" : "none")
                    try right.execute(RightDefinitionRecord(application: id, code: "gebruiker", label: "Toepassing \(index + 1) Gebruiker",
                                                            description: "", contextKind: kind, requiresOwnerApproval: index == 5).arguments)
                    if kind == "fixed" {
                        for value in Self.fixedContexts {
                            try contextValue.execute(RightContextValueRecord(application: id, rightCode: "gebruiker", value: value).arguments)
                        }
                    }
                }
            }

            let organisation = try db.prepare(OrganisationRecord.insertSQL)
            let name = try db.prepare(KBODenominationRecord.insertSQL)
            let establishment = try db.prepare(EstablishmentRecord.insertSQL)
            let approval = try db.prepare(OwnerApprovalRecord.bulkInsertSQL)
            let since2020 = LocalDate(year: 2020, month: 1, day: 1)!
            try bulk("organisation", organisations) { index in
                let kbo = Self.organisation(index)
                try organisation.execute(OrganisationRecord(kbo: kbo, status: "AC", juridicalSituation: "000", typeOfEnterprise: "2",
                                                            juridicalForm: "014", juridicalFormCAC: nil, startDate: "2000-01-01",
                                                            importedFromExtract: 1, lastSeenExtract: 1).arguments)
                try name.execute(KBODenominationRecord(entity: kbo, language: "2", type: "001", name: "ONDERNEMING \(index) BV").arguments)
                if index % 2 == 0 {
                    try establishment.execute(EstablishmentRecord(number: Self.establishment(index), enterprise: kbo, startDate: "2000-01-01",
                                                                  lastSeenExtract: 1).arguments)
                    try approval.execute(OwnerApprovalRecord(application: Self.application(5), organisation: kbo, validFrom: since2020,
                                                             validUntil: nil, approvedBy: nil, createdAt: created).arguments)
                }
            }

            let person = try db.prepare(PersonRecord.insertWithIDSQL)
            let relation = try db.prepare(WorkRelationRecord.insertWithIDSQL)
            let grant = try db.prepare(RightGrantRecord.bulkInsertSQL)
            let relationUntil = LocalDate(year: 2030, month: 12, day: 31)!
            let grantFrom = LocalDate(year: 2024, month: 1, day: 1)!
            let expired = LocalDate(year: 2025, month: 12, day: 31)!, current = LocalDate(year: 2029, month: 12, day: 31)!
            let perPerson = grants / max(persons, 1), extra = grants % max(persons, 1)
            var relationID: Int64 = 0
            var grantRows = 0
            try bulk("person", persons) { index in
                let personID = Int64(index + 1)
                var arguments: SQLArguments = [personID]
                arguments.append(contentsOf: PersonRecord(insz: Self.personDigits(index), givenName: "Voornaam\(index)",
                                                          familyName: "Familienaam\(index)", createdAt: created).arguments)
                try person.execute(arguments)
                let employers = Self.employers(of: index, organisations: organisations)
                var relations: [Int64] = []
                for org in employers {
                    relationID += 1
                    relations.append(relationID)
                    var arguments: SQLArguments = [relationID]
                    arguments.append(contentsOf: WorkRelationRecord(
                        personID: PersonID(personID), organisation: Self.organisation(org), targetGroup: "EA", category: "Vaste Medewerker",
                        phone: "+3212345678", email: "p\(index)@example.be", validFrom: since2020, validUntil: relationUntil, reason: nil,
                        createdBy: nil, createdVia: "bench", createdAt: created).arguments)
                    try relation.execute(arguments)
                }
                let h = Self.mix(index &* 31 &+ 7)
                let count = perPerson + (index < extra ? 1 : 0)
                var used: Set<Int> = []
                for g in 0..<count {
                    // Distinct (organisation, application) per grant, so no two grants overlap; the
                    // establishment-context application only where the organisation has one.
                    let slot = g % employers.count
                    let org = employers[slot]
                    var app = (h + g * 7) % Self.applications
                    while used.contains(org &* 32 &+ app) || (app == 5 && org % 2 != 0) { app = (app + 1) % Self.applications }
                    used.insert(org &* 32 &+ app)
                    let context: String? = app < 5 ? Self.fixedContexts[(h + g) % 3] : (app == 5 ? Self.establishment(org) : nil)
                    let roll = Self.mix(h &+ g) % 100
                    try grant.execute(RightGrantRecord(
                        personID: PersonID(personID), organisation: Self.organisation(org), application: Self.application(app),
                        rightCode: "gebruiker", context: context, validFrom: grantFrom, validUntil: roll < 5 ? expired : current,
                        workRelationID: relations[slot], grantedBy: nil, grantedVia: "bench", createdAt: created,
                        revokedAt: roll >= 98 ? created : nil).arguments)
                    grantRows += 1
                }
            }
            progress("right_grant", grantRows, grants)

            let mandate = try db.prepare(LegalRepresentativeRecord.bulkInsertSQL)
            let appointment = try db.prepare(AppointmentRecord.bulkInsertSQL)
            let role = try db.prepare(RoleAssignmentRecord.bulkInsertSQL)
            let since2010 = LocalDate(year: 2010, month: 1, day: 1)!
            try bulk("mandates, appointments, role assignments", organisations) { index in
                let kbo = Self.organisation(index)
                let wv = PersonID(Int64(Self.mix(index &* 13) % persons + 1))
                try mandate.execute(LegalRepresentativeRecord(personID: wv, organisation: kbo, function: "Bestuurder", validFrom: since2010,
                                                              validUntil: nil, source: "bench", importedAt: created).arguments)
                if index % 3 == 0 {
                    try appointment.execute(AppointmentRecord(
                        personID: PersonID(Int64(Self.mix(index &* 17) % persons + 1)), organisation: kbo, role: "flemish.hlb", capacity: nil,
                        validFrom: grantFrom, validUntil: current, source: "idm", appointedBy: wv, appointedVia: "bench",
                        createdAt: created).arguments)
                }
                if index % 3 == 1 {
                    try role.execute(RoleAssignmentRecord(
                        personID: PersonID(Int64(Self.mix(index &* 19) % persons + 1)), organisation: kbo, context: "business",
                        application: "dimona", role: "user", email: nil, validFrom: grantFrom, validUntil: nil, origin: "direct",
                        invitationID: nil, assignedBy: wv, assignedVia: "bench", createdAt: created).arguments)
                }
            }
            try db.transaction {
                try Audit.append(db, at: now, actor: nil, authority: "system:bench", level: nil, action: "bench.populate", organisation: nil,
                                 subject: nil, after: ["persons": "\(persons)", "organisations": "\(organisations)", "grants": "\(grantRows)"])
            }
            try db.executeScript("ANALYZE")
        }
    }
}
