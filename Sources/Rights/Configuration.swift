import Foundation
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
            try ApplicationRecord.upsert(ApplicationRecord(application), in: db)
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil,
                             action: "application.register", organisation: nil, subject: nil,
                             after: ["application": application.id])
        }
    }

    /// The definition of application `id`, or nil when it is not registered.
    public func application(_ id: String) throws -> ApplicationDefinition? {
        try database.read { db in
            try ApplicationRecord.find(id: id, in: db)?.definition
        }
    }

    /// Defines or updates a right; fixed context values not listed any more are deactivated
    /// (grants using them stop being effective and are listed for cleanup, E16).
    public func defineRight(_ right: RightDefinition) throws {
        let now = clock.now()
        try database.write { db in
            guard try ApplicationRecord.exists(id: right.application, in: db) else {
                throw RightsError(.notFound, "unknown application")
            }
            try RightDefinitionRecord.upsert(RightDefinitionRecord(
                application: right.application, code: right.code, label: right.label, description: right.description,
                contextKind: right.contextKind.rawValue, requiresOwnerApproval: right.requiresOwnerApproval), in: db)
            try RightContextValueRecord.deactivateAll(application: right.application, right: right.code, in: db)
            for value in right.contextValues {
                try RightContextValueRecord.upsert(RightContextValueRecord(application: right.application, rightCode: right.code, value: value),
                                                   in: db)
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
            try RightDefinitionRecord.deactivate(application: application, code: code, in: db)
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil, action: "right.deactivate",
                             organisation: nil, subject: nil, after: ["application": application, "right": code])
        }
    }

    /// Makes a person an owner of an application (may approve organisations, §7.1).
    public func addApplicationOwner(application: String, person: INSZ, givenName: String? = nil, familyName: String? = nil) throws {
        let now = clock.now()
        try database.write { db in
            let id = try Persons.ensure(db, person, givenName: givenName, familyName: familyName, at: now)
            try ApplicationOwnerRecord.add(ApplicationOwnerRecord(application: application, personID: id), in: db)
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
            try OrganisationRecord.register(number.digits, active: active, in: db)
            if let name {
                try KBODenominationRecord.delete(entity: number.digits, in: db)
                try KBODenominationRecord.insert(KBODenominationRecord(entity: number.digits, language: "2", type: "001", name: name), in: db)
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
            try EstablishmentRecord.register(number.digits, of: enterprise.digits, active: active, in: db)
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
