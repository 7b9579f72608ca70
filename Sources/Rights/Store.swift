import Foundation
import GRDB

// Record-level SQL of the Rights tables (the module owns them; see architecture "rules of the house").

enum Persons {
    static func id(_ db: GRDB.Database, _ insz: INSZ) throws -> PersonID? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM person WHERE insz = ?"), arguments: [insz.digits]).map(PersonID.init)
    }

    /// Finds or creates the person; fills in names that were unknown.
    static func ensure(_ db: GRDB.Database, _ insz: INSZ, givenName: String?, familyName: String?, at now: Date) throws -> PersonID {
        if let id = try id(db, insz) {
            if givenName != nil || familyName != nil {
                try db.execute(sql: """
                    UPDATE person SET given_name = coalesce(?, given_name), family_name = coalesce(?, family_name) WHERE id = ?
                    """, arguments: [givenName, familyName, id.rawValue])
            }
            return id
        }
        try db.execute(sql: "INSERT INTO person (insz, given_name, family_name, created_at) VALUES (?, ?, ?, ?)",
                       arguments: [insz.digits, givenName, familyName, Audit.text(now)])
        let id = PersonID(db.lastInsertedRowID)
        try Audit.append(db, at: now, actor: nil, authority: "system:person", level: nil, action: "person.create",
                         organisation: nil, subject: id)
        return id
    }

    static func person(_ db: GRDB.Database, _ id: PersonID) throws -> Person? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT given_name, family_name FROM person WHERE id = ?"), arguments: [id.rawValue]).map {
            Person(id: id, givenName: $0["given_name"], familyName: $0["family_name"])
        }
    }
}

enum Registry {
    /// INV-10: an inactive or absent organisation gives nothing and accepts no writes.
    static func requireActive(_ db: GRDB.Database, _ kbo: String) throws {
        guard try isActive(db, kbo) else { throw RightsError(.organisationInactive, "the organisation is inactive or not in the registry") }
    }

    static func isActive(_ db: GRDB.Database, _ kbo: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT active FROM organisation WHERE kbo = ?"), arguments: [kbo]) ?? false
    }

    static func cascade(_ db: GRDB.Database, _ kbo: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT cascade_on_appointer_loss FROM organisation WHERE kbo = ?"), arguments: [kbo]) ?? false
    }

    /// Display name (§13.4): denomination 001 in Dutch, else any 001, else 003.
    static func name(_ db: GRDB.Database, _ entity: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: """
            SELECT name FROM kbo_denomination WHERE entity = ? AND type IN ('001', '003')
            ORDER BY type, CASE language WHEN '2' THEN 0 WHEN '1' THEN 1 WHEN '3' THEN 2 ELSE 3 END LIMIT 1
            """), arguments: [entity])
    }
}

enum Mandates {
    /// Inserts or updates one WV mandate (keyed by organisation, person, function, start date).
    static func upsert(_ db: GRDB.Database, person: INSZ, givenName: String?, familyName: String?, organisation: String,
                       function: String, validity: Validity, source: String, at now: Date) throws -> Int64 {
        let personID = try Persons.ensure(db, person, givenName: givenName, familyName: familyName, at: now)
        if let existing = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT id, valid_until FROM legal_representative WHERE organisation = ? AND person_id = ? AND function = ? AND valid_from = ?
            """), arguments: [organisation, personID.rawValue, function, validity.validFrom.iso]) {
            let id: Int64 = existing["id"]
            if (existing["valid_until"] as String?) != validity.validUntil?.iso {
                try db.execute(sql: "UPDATE legal_representative SET valid_until = ?, imported_at = ? WHERE id = ?",
                               arguments: [validity.validUntil?.iso, Audit.text(now), id])
                try Audit.append(db, at: now, actor: nil, authority: "system:\(source)", level: nil, action: "mandate.update",
                                 organisation: organisation, subject: personID,
                                 before: ["validUntil": (existing["valid_until"] as String?) ?? ""],
                                 after: ["mandate": "\(id)", "validUntil": validity.validUntil?.iso ?? ""])
            }
            return id
        }
        try db.execute(sql: """
            INSERT INTO legal_representative (person_id, organisation, function, valid_from, valid_until, source, imported_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [personID.rawValue, organisation, function, validity.validFrom.iso, validity.validUntil?.iso, source,
                             Audit.text(now)])
        let id = db.lastInsertedRowID
        try Audit.append(db, at: now, actor: nil, authority: "system:\(source)", level: nil, action: "mandate.create",
                         organisation: organisation, subject: personID,
                         after: ["mandate": "\(id)", "function": function, "validFrom": validity.validFrom.iso,
                                 "validUntil": validity.validUntil?.iso ?? ""])
        return id
    }
}

enum Authorities {
    struct AppointmentRow {
        let id: Int64
        let role: ManagerRole
        let appointedBy: Int64?
        let capacity: String?
    }

    /// Authorities `person` holds for `organisation` on `day`, WV first. Empty when the
    /// organisation is inactive (INV-10). Under `cascadeOnAppointerLoss`, appointments count only
    /// when anchored through valid appointers up to a WV mandate (§14.3).
    static func held(_ db: GRDB.Database, person: PersonID, organisation: String, day: LocalDate, policy: RightsPolicy) throws -> [HeldAuthority] {
        guard try Registry.isActive(db, organisation) else { return [] }
        let cascade = try Registry.cascade(db, organisation)
        var result = try mandates(db, person: person, organisation: organisation, day: day)
            .map { HeldAuthority(kind: .legalRepresentative, recordID: $0) }
        for appointment in try appointments(db, person: person, organisation: organisation, day: day) {
            if cascade {
                var visited: Set<Int64> = [appointment.id]
                guard try anchored(db, appointment, organisation: organisation, day: day, depth: 1, visited: &visited, policy: policy) else { continue }
            }
            result.append(HeldAuthority(kind: AuthorityKind(appointment.role), recordID: appointment.id))
        }
        let order: [AuthorityKind] = [.legalRepresentative, .headAccessManager, .headLocalAdministrator, .flemishLocalAdministrator,
                                      .accessManager, .vte, .coVte, .federalLocalAdministrator, .lmb]
        return result.sorted { order.firstIndex(of: $0.kind)! < order.firstIndex(of: $1.kind)! }
    }

    static func mandates(_ db: GRDB.Database, person: PersonID, organisation: String, day: LocalDate) throws -> [Int64] {
        try Int64.fetchAll(db.cachedStatement(sql: """
            SELECT id FROM legal_representative WHERE person_id = ? AND organisation = ?
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """), arguments: [person.rawValue, organisation, day.iso, day.iso])
    }

    static func appointments(_ db: GRDB.Database, person: PersonID, organisation: String, day: LocalDate) throws -> [AppointmentRow] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, role, appointed_by, capacity FROM appointment WHERE person_id = ? AND organisation = ? AND revoked_at IS NULL
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """), arguments: [person.rawValue, organisation, day.iso, day.iso])
        var result: [AppointmentRow] = []
        for row in rows {
            guard let role = ManagerRole(rawValue: row["role"]) else { continue }
            let capacity: String? = row["capacity"]
            if role.needsCapacity {
                // A federal local administrator acts for an activated Hoedanigheid only [I: safer reading].
                guard let capacity, try capacityActive(db, organisation: organisation, capacity: capacity, day: day) else { continue }
            }
            result.append(AppointmentRow(id: row["id"], role: role, appointedBy: row["appointed_by"], capacity: capacity))
        }
        return result
    }

    static func capacityActive(_ db: GRDB.Database, organisation: String, capacity: String, day: LocalDate) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM capacity_activation WHERE organisation = ? AND capacity = ? AND revoked_at IS NULL
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """), arguments: [organisation, capacity, day.iso, day.iso]) ?? false
    }

    /// §14.3 (c): the appointer must hold, on `day`, an authority that may give this role,
    /// recursively up to a WV mandate. Depth beyond the policy cap, cycles and missing
    /// appointers are denials (evaluation errors are treated as deny).
    static func anchored(_ db: GRDB.Database, _ appointment: AppointmentRow, organisation: String, day: LocalDate, depth: Int,
                         visited: inout Set<Int64>, policy: RightsPolicy) throws -> Bool {
        guard depth <= policy.maximumChainDepth, let appointer = appointment.appointedBy else { return false }
        let allowed = RightsService.appointers(of: appointment.role)
        let appointerID = PersonID(appointer)
        if allowed.contains(.legalRepresentative), !(try mandates(db, person: appointerID, organisation: organisation, day: day).isEmpty) {
            return true
        }
        for parent in try appointments(db, person: appointerID, organisation: organisation, day: day)
        where allowed.contains(AuthorityKind(parent.role)) && !visited.contains(parent.id) {
            visited.insert(parent.id)
            if try anchored(db, parent, organisation: organisation, day: day, depth: depth + 1, visited: &visited, policy: policy) {
                return true
            }
        }
        return false
    }
}

enum Audit {
    nonisolated(unsafe) private static let formatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
    private static let lock = NSLock()

    static func text(_ instant: Date) -> String {
        lock.lock()
        defer { lock.unlock() }
        return formatter.string(from: instant)
    }

    static func instant(_ text: String) -> Date? {
        lock.lock()
        defer { lock.unlock() }
        return formatter.date(from: text)
    }

    /// Appends one audit event (INV-16) in the caller's transaction. `before`/`after` hold ids,
    /// codes and dates only: never a national number or a name.
    static func append(_ db: GRDB.Database, at now: Date, actor: PersonID?, authority: String, level: Int?, action: String,
                       organisation: String?, subject: PersonID?, before: [String: String]? = nil, after: [String: String]? = nil) throws {
        try db.execute(sql: """
            INSERT INTO audit_event (at, actor_person_id, authority, session_level, action, organisation, subject_person_id, before, after)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [text(now), actor?.rawValue, authority, level, action, organisation, subject?.rawValue,
                             before.map(json), after.map(json)])
    }

    static func json(_ dictionary: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

enum Effective {
    static func approvalCurrent(_ db: GRDB.Database, application: String, organisation: String, day: LocalDate) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM owner_approval WHERE application = ? AND organisation = ? AND revoked_at IS NULL
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """), arguments: [application, organisation, day.iso, day.iso]) ?? false
    }

    static func contextValueActive(_ db: GRDB.Database, application: String, right: String, value: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT active FROM right_context_value WHERE application = ? AND right_code = ? AND value = ?
            """), arguments: [application, right, value]) ?? false
    }

    static func establishmentActive(_ db: GRDB.Database, number: String, enterprise: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT active FROM establishment WHERE number = ? AND enterprise = ?"),
                          arguments: [number, enterprise]) ?? false
    }
}
