import Foundation
import GRDB
import Storage

/// Configuration written by the system: organisations, applications, rights, owners.
extension RightsService {

    /// Registers or updates an application.
    /// - Throws: `invalidInput` for a minimum level outside 100…500 or an accepted key name that is
    ///   not a lowercase word (which names exist is Sessions' business).
    public func registerApplication(_ application: ApplicationDefinition) throws {
        guard (100...500).contains(application.minimumAssurance) else {
            throw RightsError(.invalidInput, "minimum level must be between 100 and 500")
        }
        if let keys = application.acceptedKeys {
            guard !keys.isEmpty, keys.allSatisfy({ key in
                (1...32).contains(key.utf8.count) && key.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
            }) else {
                throw RightsError(.invalidInput, "accepted keys must be one or more lowercase names (eid, totp, sms, email, password)")
            }
        }
        let now = clock.now()
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO application (id, name, minimum_assurance, accepted_keys, legal_representative_has_access, base_right,
                  legal_representative_context, is_rights_administration) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, minimum_assurance = excluded.minimum_assurance,
                  accepted_keys = excluded.accepted_keys,
                  legal_representative_has_access = excluded.legal_representative_has_access,
                  base_right = excluded.base_right, legal_representative_context = excluded.legal_representative_context,
                  is_rights_administration = excluded.is_rights_administration
                """, arguments: [application.id, application.name, application.minimumAssurance,
                                 application.acceptedKeys?.joined(separator: ","),
                                 application.legalRepresentativeHasAccess, application.baseRight,
                                 application.legalRepresentativeContext, application.isRightsAdministration])
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil,
                             action: "application.register", organisation: nil, subject: nil,
                             after: ["application": application.id])
        }
    }

    /// The definition of application `id`, or nil when it is not registered.
    public func application(_ id: String) throws -> ApplicationDefinition? {
        try database.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM application WHERE id = ?"), arguments: [id]).map { row in
                ApplicationDefinition(
                    id: row["id"], name: row["name"], minimumAssurance: row["minimum_assurance"],
                    acceptedKeys: (row["accepted_keys"] as String?).map { $0.split(separator: ",").map(String.init) },
                    legalRepresentativeHasAccess: row["legal_representative_has_access"], baseRight: row["base_right"],
                    legalRepresentativeContext: row["legal_representative_context"], isRightsAdministration: row["is_rights_administration"])
            }
        }
    }

    /// Defines or updates a right; fixed context values not listed any more are deactivated
    /// (grants using them stop being effective and are listed for cleanup, E16).
    public func defineRight(_ right: RightDefinition) throws {
        let now = clock.now()
        try database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM application WHERE id = ?", arguments: [right.application]) != nil else {
                throw RightsError(.notFound, "unknown application")
            }
            try db.execute(sql: """
                INSERT INTO right_definition (application, code, label, description, context_kind, requires_owner_approval, active)
                VALUES (?, ?, ?, ?, ?, ?, 1)
                ON CONFLICT(application, code) DO UPDATE SET label = excluded.label, description = excluded.description,
                  context_kind = excluded.context_kind, requires_owner_approval = excluded.requires_owner_approval, active = 1
                """, arguments: [right.application, right.code, right.label, right.description, right.contextKind.rawValue,
                                 right.requiresOwnerApproval])
            try db.execute(sql: "UPDATE right_context_value SET active = 0 WHERE application = ? AND right_code = ?",
                           arguments: [right.application, right.code])
            for value in right.contextValues {
                try db.execute(sql: """
                    INSERT INTO right_context_value (application, right_code, value, active) VALUES (?, ?, ?, 1)
                    ON CONFLICT DO UPDATE SET active = 1
                    """, arguments: [right.application, right.code, value])
            }
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil, action: "right.define",
                             organisation: nil, subject: nil,
                             after: ["application": right.application, "right": right.code,
                                     "contexts": right.contextValues.joined(separator: ",")])
        }
    }

    /// Withdraws a right definition: its grants stop being effective; rows stay.
    public func deactivateRight(application: String, code: String) throws {
        let now = clock.now()
        try database.write { db in
            try db.execute(sql: "UPDATE right_definition SET active = 0 WHERE application = ? AND code = ?", arguments: [application, code])
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil, action: "right.deactivate",
                             organisation: nil, subject: nil, after: ["application": application, "right": code])
        }
    }

    /// Makes a person an owner of an application (may approve organisations, §7.1).
    public func addApplicationOwner(application: String, person: INSZ, givenName: String? = nil, familyName: String? = nil) throws {
        let now = clock.now()
        try database.write { db in
            let id = try Persons.ensure(db, person, givenName: givenName, familyName: familyName, at: now)
            try db.execute(sql: "INSERT OR IGNORE INTO application_owner (application, person_id) VALUES (?, ?)",
                           arguments: [application, id.rawValue])
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil, action: "application.owner.add",
                             organisation: nil, subject: id, after: ["application": application])
        }
    }

    /// Registers a person by national register or BIS number (§2.3 step 3), or updates the names.
    @discardableResult
    public func registerPerson(_ person: INSZ, givenName: String?, familyName: String?) throws -> PersonID {
        let now = clock.now()
        return try database.write { db in
            try Persons.ensure(db, person, givenName: givenName, familyName: familyName, at: now)
        }
    }

    /// Adds or updates an organisation outside a KBO import (tests, manual entry). The KBO import
    /// is the normal source.
    public func registerOrganisation(_ number: KBONumber, name: String?, active: Bool = true) throws {
        guard number.kind == .enterprise else { throw RightsError(.kboNotAnEnterprise, "organisations are enterprises") }
        let now = clock.now()
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO organisation (kbo, status, active) VALUES (?, 'AC', ?)
                ON CONFLICT(kbo) DO UPDATE SET active = excluded.active
                """, arguments: [number.digits, active])
            if let name {
                try db.execute(sql: "DELETE FROM kbo_denomination WHERE entity = ?", arguments: [number.digits])
                try db.execute(sql: "INSERT INTO kbo_denomination (entity, language, type, name) VALUES (?, '2', '001', ?)",
                               arguments: [number.digits, name])
            }
            try Audit.append(db, at: now, actor: nil, authority: "system:registry", level: nil, action: "organisation.register",
                             organisation: number.digits, subject: nil, after: ["active": active ? "1" : "0"])
        }
    }

    /// Adds or updates an establishment unit of an enterprise outside a KBO import.
    public func registerEstablishment(_ number: KBONumber, of enterprise: KBONumber, active: Bool = true) throws {
        guard number.kind == .establishment else { throw RightsError(.kboNotAnEstablishment, "not an establishment unit number") }
        let now = clock.now()
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO establishment (number, enterprise, active) VALUES (?, ?, ?)
                ON CONFLICT(number) DO UPDATE SET enterprise = excluded.enterprise, active = excluded.active
                """, arguments: [number.digits, enterprise.digits, active])
            try Audit.append(db, at: now, actor: nil, authority: "system:registry", level: nil, action: "establishment.register",
                             organisation: enterprise.digits, subject: nil,
                             after: ["establishment": number.digits, "active": active ? "1" : "0"])
        }
    }

    /// Records a legal representative mandate from the representatives feed (§4: KBO Open Data
    /// lacks them). Returns the mandate id.
    @discardableResult
    public func recordLegalRepresentative(person: INSZ, organisation: KBONumber, function: String = "WV",
                                          validFrom: LocalDate, validUntil: LocalDate?, source: String = "feed") throws -> Int64 {
        let now = clock.now()
        return try database.write { db in
            try Mandates.upsert(db, person: person, givenName: nil, familyName: nil, organisation: organisation.digits,
                                function: function, validity: Validity(from: validFrom, until: validUntil), source: source, at: now)
        }
    }
}
