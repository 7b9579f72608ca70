import Foundation
import Storage

// Domain helpers over the Rights tables (their statements are in `Tables/`), shared by the
// services: each runs in the caller's transaction.

enum Persons {
    static func id(_ db: SQLConnection, _ insz: INSZ) throws(StorageError) -> PersonID? {
        try PersonRecord.id(insz: insz.digits, in: db)
    }

    /// Finds or creates the person; fills in names that were unknown.
    static func ensure(_ db: SQLConnection, _ insz: INSZ, givenName: String?, familyName: String?, at now: Date) throws -> PersonID {
        if let id = try id(db, insz) {
            if givenName != nil || familyName != nil {
                try PersonRecord.fillNames(id, givenName: givenName, familyName: familyName, in: db)
            }
            return id
        }
        let id = try PersonRecord.insert(PersonRecord(insz: insz.digits, givenName: givenName, familyName: familyName,
                                                      createdAt: Audit.text(now)), in: db)
        try Audit.append(db, at: now, actor: nil, authority: "system:person", level: nil, action: "person.create",
                         organisation: nil, subject: id)
        return id
    }

    static func person(_ db: SQLConnection, _ id: PersonID) throws(StorageError) -> Person? {
        try PersonRecord.person(id, in: db)
    }
}

enum Registry {
    /// INV-10: an inactive or absent organisation gives nothing and accepts no writes.
    static func requireActive(_ db: SQLConnection, _ kbo: String) throws {
        guard try OrganisationRecord.isActive(kbo, in: db) else {
            throw RightsError(.organisationInactive, "the organisation is inactive or not in the registry")
        }
    }

    /// Display name (§13.4): denomination 001 in Dutch, else any 001, else 003.
    static func name(_ db: SQLConnection, _ entity: String) throws(StorageError) -> String? {
        try KBODenominationRecord.displayName(of: entity, in: db)
    }
}

enum Mandates {
    /// Inserts or updates one WV mandate (keyed by organisation, person, function, start date).
    static func upsert(_ db: SQLConnection, person: INSZ, givenName: String?, familyName: String?, organisation: String,
                       function: String, validity: Validity, source: String, at now: Date) throws -> Int64 {
        let personID = try Persons.ensure(db, person, givenName: givenName, familyName: familyName, at: now)
        if let existing = try LegalRepresentativeRecord.find(organisation: organisation, person: personID, function: function,
                                                             validFrom: validity.validFrom, in: db), let id = existing.id {
            if existing.validUntil != validity.validUntil {
                try LegalRepresentativeRecord.setValidUntil(id: id, validity.validUntil, importedAt: Audit.text(now), in: db)
                try Audit.append(db, at: now, actor: nil, authority: "system:\(source)", level: nil, action: "mandate.update",
                                 organisation: organisation, subject: personID,
                                 before: ["validUntil": existing.validUntil?.iso ?? ""],
                                 after: ["mandate": "\(id)", "validUntil": validity.validUntil?.iso ?? ""])
            }
            return id
        }
        let id = try LegalRepresentativeRecord.insert(LegalRepresentativeRecord(
            personID: personID, organisation: organisation, function: function, validFrom: validity.validFrom,
            validUntil: validity.validUntil, source: source, importedAt: Audit.text(now)), in: db)
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
    static func held(_ db: SQLConnection, person: PersonID, organisation: String, day: LocalDate,
                     policy: RightsPolicy) throws(StorageError) -> [HeldAuthority] {
        guard try OrganisationRecord.isActive(organisation, in: db) else { return [] }
        let cascade = try OrganisationRecord.cascades(organisation, in: db)
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

    static func mandates(_ db: SQLConnection, person: PersonID, organisation: String, day: LocalDate) throws(StorageError) -> [Int64] {
        try LegalRepresentativeRecord.currentIDs(person: person, organisation: organisation, on: day, in: db)
    }

    static func appointments(_ db: SQLConnection, person: PersonID, organisation: String, day: LocalDate) throws(StorageError) -> [AppointmentRow] {
        var result: [AppointmentRow] = []
        for row in try AppointmentRecord.current(person: person, organisation: organisation, on: day, in: db) {
            guard let role = ManagerRole(rawValue: row.role) else { continue }
            if role.needsCapacity {
                // A federal local administrator acts for an activated Hoedanigheid only [I: safer reading].
                guard let capacity = row.capacity, try capacityActive(db, organisation: organisation, capacity: capacity, day: day) else {
                    continue
                }
            }
            result.append(AppointmentRow(id: row.id, role: role, appointedBy: row.appointedBy, capacity: row.capacity))
        }
        return result
    }

    static func capacityActive(_ db: SQLConnection, organisation: String, capacity: String, day: LocalDate) throws(StorageError) -> Bool {
        try CapacityActivationRecord.isActive(capacity, organisation: organisation, on: day, in: db)
    }

    /// §14.3 (c): the appointer must hold, on `day`, an authority that may give this role,
    /// recursively up to a WV mandate. Depth beyond the policy cap, cycles and missing
    /// appointers are denials (evaluation errors are treated as deny).
    static func anchored(_ db: SQLConnection, _ appointment: AppointmentRow, organisation: String, day: LocalDate, depth: Int,
                         visited: inout Set<Int64>, policy: RightsPolicy) throws(StorageError) -> Bool {
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
    static func append(_ db: SQLConnection, at now: Date, actor: PersonID?, authority: String, level: Int?, action: String,
                       organisation: String?, subject: PersonID?, before: [String: String]? = nil,
                       after: [String: String]? = nil) throws(StorageError) {
        try AuditEventRecord.insert(AuditEventRecord(at: text(now), actorPersonID: actor, authority: authority, sessionLevel: level,
                                                     action: action, organisation: organisation, subjectPersonID: subject,
                                                     before: before.map(json), after: after.map(json)), in: db)
    }

    static func json(_ dictionary: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
