import Testing

@testable import BelgianEID

@Suite("EIDError")
struct EIDErrorTests {
    @Test("equality looks only at the code")
    func equality() {
        #expect(EIDError.truncatedTLV("a") == EIDError.truncatedTLV("b"))
        #expect(EIDError.truncatedTLV("a") != EIDError.invalidTag("a"))
        #expect(EIDError.statusWord(0x6A86, "x") == EIDError.statusWord("y"))
    }

    @Test("description carries code, reason, status word, tries and location")
    func description() {
        let error = EIDError.pinIncorrect("wrong PIN", triesLeft: 2)
        #expect(error.description.contains("pinIncorrect"))
        #expect(error.description.contains("wrong PIN"))
        #expect(error.description.contains("tries left: 2"))
        #expect(error.description.contains("EIDErrorTests.swift"))
        let sw = EIDError.statusWord(0x6A86, "SELECT refused")
        #expect(sw.statusWord == 0x6A86)
        #expect(sw.description.contains("SW 6A 86"))
        #expect(EIDError.fileNotFound("4031").statusWord == 0x6A82)
        #expect(EIDError.pinBlocked("blocked").triesLeft == 0)
    }

    @Test("every factory sets its code")
    func factories() {
        let pairs: [(EIDError, EIDError.Code)] = [
            (.truncatedTLV(""), .truncatedTLV), (.invalidLength(""), .invalidLength), (.invalidTag(""), .invalidTag),
            (.invalidValue(""), .invalidValue), (.invalidDate(""), .invalidDate),
            (.invalidCardData(""), .invalidCardData),
            (.invalidSignatureFormat(""), .invalidSignatureFormat), (.invalidPIN(""), .invalidPIN),
            (.statusWord(""), .statusWord), (.fileNotFound(""), .fileNotFound), (.pinIncorrect(""), .pinIncorrect),
            (.pinBlocked(""), .pinBlocked), (.securityNotSatisfied(""), .securityNotSatisfied),
            (.notBelgianEID(""), .notBelgianEID), (.integrityFailed(""), .integrityFailed),
            (.transport(""), .transport),
            (.cancelled(""), .cancelled), (.timeout(""), .timeout), (.unsupported(""), .unsupported),
        ]
        for (error, code) in pairs { #expect(error.code == code) }
        #expect(Set(pairs.map(\.1)).count == pairs.count)
    }
}
