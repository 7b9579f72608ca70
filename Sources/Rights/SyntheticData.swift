import Foundation
import GRDB
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
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM person") ?? 0 }
    }

    /// `PRAGMA mmap_size` as a pool reader sees it (reported by the benchmark).
    package static func readerMemoryMap(_ database: Storage.Database) throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") ?? -1 }
    }

    /// Writes the dataset into an empty Rights database. `progress` gets (table, rows done, rows total).
    package func populate(_ database: Storage.Database, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws {
        let now = Date()
        let created = Audit.text(now)
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA cache_size = -262144")
            /// Runs `count` row inserts in transactions of `batch` rows.
            func bulk(_ table: String, _ count: Int, _ body: (Int) throws -> Void) throws {
                var done = 0
                while done < count {
                    let end = min(count, done + batch)
                    try db.inTransaction {
                        for index in done..<end { try body(index) }
                        return .commit
                    }
                    done = end
                    progress(table, done, count)
                }
            }

            // Applications and rights.
            try db.inTransaction {
                try db.execute(sql: """
                    INSERT INTO application (id, name, minimum_assurance, is_rights_administration) VALUES ('idm', 'Gebruikersbeheer', 400, 1)
                    """)
                for index in 0..<Self.applications {
                    let id = Self.application(index)
                    let automatic = index == 6 || index == 7
                    try db.execute(sql: """
                        INSERT INTO application (id, name, minimum_assurance, legal_representative_has_access, base_right)
                        VALUES (?, ?, 400, ?, ?)
                        """, arguments: [id, "Toepassing \(index + 1)", automatic, automatic ? "gebruiker" : nil])
                    let kind = index < 5 ? "fixed" : (index == 5 ? "establishments" : "none")
                    try db.execute(sql: """
                        INSERT INTO right_definition (application, code, label, context_kind, requires_owner_approval) VALUES (?, 'gebruiker', ?, ?, ?)
                        """, arguments: [id, "Toepassing \(index + 1) Gebruiker", kind, index == 5])
                    if kind == "fixed" {
                        for value in Self.fixedContexts {
                            try db.execute(sql: "INSERT INTO right_context_value (application, right_code, value) VALUES (?, 'gebruiker', ?)",
                                           arguments: [id, value])
                        }
                    }
                }
                return .commit
            }

            let organisation = try db.makeStatement(sql: """
                INSERT INTO organisation (kbo, status, juridical_situation, type_of_enterprise, juridical_form, start_date,
                  imported_from_extract, last_seen_extract, active) VALUES (?, 'AC', '000', '2', '014', '2000-01-01', 1, 1, 1)
                """)
            let name = try db.makeStatement(sql: "INSERT INTO kbo_denomination (entity, language, type, name) VALUES (?, '2', '001', ?)")
            let establishment = try db.makeStatement(sql: """
                INSERT INTO establishment (number, enterprise, start_date, last_seen_extract, active) VALUES (?, ?, '2000-01-01', 1, 1)
                """)
            let approval = try db.makeStatement(sql: """
                INSERT INTO owner_approval (application, organisation, valid_from, valid_until, created_at) VALUES (?, ?, '2020-01-01', NULL, ?)
                """)
            try bulk("organisation", organisations) { index in
                let kbo = Self.organisation(index)
                try organisation.execute(arguments: [kbo])
                try name.execute(arguments: [kbo, "ONDERNEMING \(index) BV"])
                if index % 2 == 0 {
                    try establishment.execute(arguments: [Self.establishment(index), kbo])
                    try approval.execute(arguments: [Self.application(5), kbo, created])
                }
            }

            let person = try db.makeStatement(sql: "INSERT INTO person (id, insz, given_name, family_name, created_at) VALUES (?, ?, ?, ?, ?)")
            let relation = try db.makeStatement(sql: """
                INSERT INTO work_relation (id, person_id, organisation, target_group, category, phone, email, valid_from, valid_until,
                  created_by, created_via, created_at) VALUES (?, ?, ?, 'EA', 'Vaste Medewerker', '+3212345678', ?, '2020-01-01', '2030-12-31',
                  NULL, 'bench', ?)
                """)
            let grant = try db.makeStatement(sql: """
                INSERT INTO right_grant (person_id, organisation, application, right_code, context, valid_from, valid_until,
                  work_relation_id, granted_via, created_at, revoked_at) VALUES (?, ?, ?, 'gebruiker', ?, '2024-01-01', ?, ?, 'bench', ?, ?)
                """)
            let perPerson = grants / max(persons, 1), extra = grants % max(persons, 1)
            var relationID: Int64 = 0
            var grantRows = 0
            try bulk("person", persons) { index in
                let personID = Int64(index + 1)
                try person.execute(arguments: [personID, Self.personDigits(index), "Voornaam\(index)", "Familienaam\(index)", created])
                let employers = Self.employers(of: index, organisations: organisations)
                var relations: [Int64] = []
                for org in employers {
                    relationID += 1
                    relations.append(relationID)
                    try relation.execute(arguments: [relationID, personID, Self.organisation(org), "p\(index)@example.be", created])
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
                    let until = roll < 5 ? "2025-12-31" : "2029-12-31"
                    try grant.execute(arguments: [personID, Self.organisation(org), Self.application(app), context, until, relations[slot],
                                                  created, roll >= 98 ? created : nil])
                    grantRows += 1
                }
            }
            progress("right_grant", grantRows, grants)

            let mandate = try db.makeStatement(sql: """
                INSERT INTO legal_representative (person_id, organisation, function, valid_from, valid_until, source, imported_at)
                VALUES (?, ?, 'Bestuurder', '2010-01-01', NULL, 'bench', ?)
                """)
            let appointment = try db.makeStatement(sql: """
                INSERT INTO appointment (person_id, organisation, role, valid_from, valid_until, source, appointed_by, appointed_via, created_at)
                VALUES (?, ?, 'flemish.hlb', '2024-01-01', '2029-12-31', 'idm', ?, 'bench', ?)
                """)
            let role = try db.makeStatement(sql: """
                INSERT INTO role_assignment (person_id, organisation, context, application, role, valid_from, origin, assigned_by,
                  assigned_via, created_at) VALUES (?, ?, 'business', 'dimona', 'user', '2024-01-01', 'direct', ?, 'bench', ?)
                """)
            try bulk("mandates, appointments, role assignments", organisations) { index in
                let kbo = Self.organisation(index)
                let wv = Int64(Self.mix(index &* 13) % persons + 1)
                try mandate.execute(arguments: [wv, kbo, created])
                if index % 3 == 0 {
                    try appointment.execute(arguments: [Int64(Self.mix(index &* 17) % persons + 1), kbo, wv, created])
                }
                if index % 3 == 1 {
                    try role.execute(arguments: [Int64(Self.mix(index &* 19) % persons + 1), kbo, wv, created])
                }
            }
            try db.inTransaction {
                try Audit.append(db, at: now, actor: nil, authority: "system:bench", level: nil, action: "bench.populate", organisation: nil,
                                 subject: nil, after: ["persons": "\(persons)", "organisations": "\(organisations)", "grants": "\(grantRows)"])
                return .commit
            }
            try db.execute(sql: "ANALYZE")
        }
    }
}
