import Foundation

/// Demo organisations, applications and rights for the virtual demo cards (Hardware/cards),
/// loaded by `sleutel serve --demo` and the benchmarks. Idempotent.
public enum DemoData {
    /// Bert Specimen (specimen-1.8) is legal representative of two demo companies.
    public static let representative = "82020200126"
    public static let organisations = [("0441928931", "DEMO NV"), ("0566988259", "DEMO BV")]

    /// Registers the demo companies, the applications with their policies (e-loket and
    /// Gebruikersbeheer at the substantial level with any key, BTB at 450 with the eID card only)
    /// and the representative's mandates.
    public static func load(into rights: RightsService) throws {
        for (number, name) in organisations { try rights.registerOrganisation(KBONumber(number), name: name) }
        try rights.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket ondernemers",
                                                             legalRepresentativeHasAccess: true, baseRight: "ondernemer"))
        try rights.defineRight(RightDefinition(application: "eloket", code: "ondernemer", label: "e-loket ondernemers"))
        try rights.registerApplication(ApplicationDefinition(id: "gebruikersbeheer", name: "Gebruikersbeheer", isRightsAdministration: true))
        try rights.registerApplication(ApplicationDefinition(id: "btb", name: "Beheer toegangsbeheerders", minimumAssurance: 450,
                                                             acceptedKeys: ["eid"]))
        let person = try INSZ(representative, origin: .certificate)
        let held = try rights.resolve(person: person).organisations.map(\.organisation.digits)
        for (number, _) in organisations where !held.contains(number) {
            try rights.recordLegalRepresentative(person: person, organisation: KBONumber(number),
                                                 validFrom: LocalDate(year: 2020, month: 1, day: 1)!, validUntil: nil)
        }
    }
}
