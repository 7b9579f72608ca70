import CryptoCore
import Foundation
import Testing

@testable import BelgianEID

@Suite("Identity")
struct IdentityTests {
    @Test("specimen identity file of §3.6")
    func specimen() throws {
        #expect(Specimen.identity.count == 179)
        let identity = try Identity(tlv: Specimen.identity)
        #expect(identity.fileStructureVersion == nil)
        #expect(identity.cardNumber == "000000128019")
        #expect(identity.chipNumber == Specimen.chipNumber)
        #expect(identity.validityBegin.isoString == "2010-04-30")
        #expect(identity.validityEnd.isoString == "2015-04-30")
        #expect(identity.deliveryMunicipality == "Antwerpen")
        #expect(identity.nationalNumber == "71715100070")
        #expect(identity.nationalNumberChecksumIsValid)
        #expect(identity.surname == "SPECIMEN")
        #expect(identity.givenNames == "Alice Geldigekaart")
        #expect(identity.thirdGivenNameInitial == "A")
        #expect(identity.nationality == "BELG")
        #expect(identity.birthLocation == "Hamont-Achel")
        #expect(identity.birthDate.isoString == "1971-01-01")
        #expect(identity.birthDate.precision == .day)
        #expect(identity.sex.kind == .female)
        #expect(identity.sex.cardLetter == "V")
        #expect(identity.nobleCondition == "")
        #expect(identity.documentType.code == 1)
        #expect(identity.documentType.name == "Belgian eID")
        #expect(identity.specialStatus.code == 0)
        #expect(identity.photoHash == Specimen.photoHash)
        #expect(identity.photoHashAlgorithm == .sha1)
        #expect(identity.duplicate == nil)
        #expect(!identity.isMemberOfFamily)
        #expect(identity.emptyTags.isEmpty)
        #expect(identity.unknownTags.isEmpty)
        #expect(try identity.tlvBytes() == Specimen.identity)
    }

    /// A foreigner card carrying every tag of §3.2, plus the structure version and an unknown tag.
    static let allTags: [UInt8] =
        [0x00, 0x02, 0x00, 0x02] + field(0x01, "B021329690") + field(0x02, bytes: Specimen.chipNumber)
        + field(0x03, "01.02.2021") + field(0x04, "01.02.2031") + field(0x05, "Liège")
        + field(0x06, "85073003328") + field(0x07, "Müller-Łukasiewicz") + field(0x08, "Zoë Anne")
        + field(0x09, "É") + field(0x0A, "Denemarken") + field(0x0B, "København")
        + field(0x0C, "30.MÄR.1985") + field(0x0D, "W") + field(0x0E, "baron") + field(0x0F, "31")
        + field(0x10, "3") + field(0x11, bytes: [UInt8](repeating: 0x11, count: 48)) + field(0x12, "01")
        + field(0x13, "2") + field(0x14, "") + field(0x15, "12.03.2022-UA") + field(0x16, "8")
        + field(0x17, "0123.456.789") + field(0x18, "0987.654.321") + field(0x19, "RF-123456789012345")
        + field(0x1A, bytes: [UInt8](repeating: 0x1A, count: 48)) + field(0x1B, "B") + field(0x1C, "C")
        + field(0x1D, "D") + field(0x1E, "K") + field(0x1F, "15.06.2020") + field(0x25, bytes: [1, 2, 3])

    @Test("every tag of §3.2 is parsed and re-encoded byte for byte")
    func allTagsRoundTrip() throws {
        let identity = try Identity(tlv: Self.allTags)
        #expect(identity.fileStructureVersion == [0x00, 0x02])
        #expect(identity.cardNumber == "B021329690")
        #expect(identity.deliveryMunicipality == "Liège")
        #expect(identity.surname == "Müller-Łukasiewicz")
        #expect(identity.thirdGivenNameInitial == "É")
        #expect(identity.birthDate.isoString == "1985-03-30")
        #expect(identity.sex == Sex(cardLetter: "W"))
        #expect(identity.sex.kind == .female)
        #expect(identity.nobleCondition == "baron")
        #expect(identity.documentType.code == 31)
        #expect(identity.documentType.isForeignerCard)
        #expect(identity.specialStatus.whiteCane && identity.specialStatus.extendedMinority)
        #expect(!identity.specialStatus.yellowCane)
        #expect(identity.photoHashAlgorithm == .sha384)
        #expect(identity.duplicate == "01")
        #expect(identity.specialOrganisation?.name == "NATO")
        #expect(identity.isMemberOfFamily)
        #expect(identity.dateAndCountryOfProtection?.date?.isoString == "2022-03-12")
        #expect(identity.dateAndCountryOfProtection?.countryCode == "UA")
        #expect(identity.workPermitMention?.name == "labour market: limited")
        #expect(identity.employerVAT1 == "0123.456.789")
        #expect(identity.employerVAT2 == "0987.654.321")
        #expect(identity.regionalFileNumber == "RF-123456789012345")
        #expect(identity.basicKeyHash == [UInt8](repeating: 0x1A, count: 48))
        #expect(identity.brexitMention1 == "B")
        #expect(identity.brexitMention2 == "C")
        #expect(identity.cardAMention1 == "D")
        #expect(identity.cardAMention2 == "K")
        #expect(identity.euCardStartDate?.isoString == "2020-06-15")
        #expect(identity.unknownTags == [0x25: [1, 2, 3]])
        #expect(try identity.tlvBytes() == Self.allTags)
    }

    @Test("foreigner tags present with an empty value round-trip")
    func emptyForeignerTags() throws {
        let bytes =
            Specimen.identity + field(0x12, "00") + field(0x13, "") + field(0x16, "") + field(0x1A, "")
            + field(0x1F, "")
        let identity = try Identity(tlv: bytes)
        #expect(identity.duplicate == "00")
        #expect(identity.specialOrganisation == nil)
        #expect(identity.euCardStartDate == nil)
        #expect(identity.basicKeyHash == nil)
        #expect(identity.emptyTags == [0x13, 0x16, 0x1A, 0x1F])
        #expect(try identity.tlvBytes() == bytes)
    }

    @Test("member of family is a flag and must be empty")
    func memberOfFamilyFlag() {
        #expect(throws: EIDError.invalidLength("")) { try Identity(tlv: Specimen.identity + field(0x14, "1")) }
    }

    @Test("trailing padding is accepted, and the re-encoding drops it")
    func padding() throws {
        let identity = try Identity(tlv: Specimen.identity + [0, 0, 0, 0])
        #expect(try identity.tlvBytes() == Specimen.identity)
    }

    @Test("missing mandatory tags are reported with their tag")
    func missingTag() {
        var bytes = Specimen.identity
        bytes.removeSubrange(0..<14)  // drop tag 01
        do {
            _ = try Identity(tlv: bytes)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidCardData)
            #expect(error.reason.contains("0x01"))
        }
        #expect(throws: EIDError.invalidCardData("")) { try Identity(tlv: []) }
    }

    @Test("malformed fields give typed errors without personal data")
    func malformedFields() throws {
        func replacing(_ tag: UInt8, with value: String) -> [UInt8] {
            var elements = try! EIDTLV.parse(Specimen.identity)
            let index = elements.firstIndex { $0.tag == tag }!
            elements[index].value = Array(value.utf8)
            return try! EIDTLV.encode(elements)
        }
        let badNationalNumber = replacing(0x06, with: "7171510007X")
        do {
            _ = try Identity(tlv: badNationalNumber)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidValue)
            #expect(!error.reason.contains("717151"))
            #expect(!error.description.contains("717151"))
        }
        #expect(throws: EIDError.invalidValue("")) { try Identity(tlv: replacing(0x0D, with: "X")) }
        #expect(throws: EIDError.invalidValue("")) { try Identity(tlv: replacing(0x0F, with: "ABC")) }
        #expect(throws: EIDError.invalidDate("")) { try Identity(tlv: replacing(0x03, with: "31.02.2010")) }
        #expect(throws: EIDError.invalidDate("")) { try Identity(tlv: replacing(0x0C, with: "01 XYZ 1971")) }
        var invalidUTF8 = try EIDTLV.parse(Specimen.identity)
        invalidUTF8[6].value = [0xC3, 0x28]
        #expect(throws: EIDError.invalidValue("")) { try Identity(tlv: try EIDTLV.encode(invalidUTF8)) }
    }

    @Test("description and dump never show the national number or names")
    func redaction() throws {
        let identity = try Identity(tlv: Specimen.identity)
        var dumped = ""
        dump(identity, to: &dumped)
        for text in [
            identity.description, identity.debugDescription, "\(identity)", String(reflecting: identity), dumped,
        ] {
            #expect(!text.contains("71715100070"))
            #expect(!text.contains("SPECIMEN"))
            #expect(!text.contains("Alice"))
            #expect(!text.contains("Hamont"))
        }
    }

    @Test("JSON round trip keeps every field, including the national number")
    func codable() throws {
        let identity = try Identity(tlv: Self.allTags)
        let data = try JSONEncoder().encode(identity)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("85073003328"))
        let decoded = try JSONDecoder().decode(Identity.self, from: data)
        #expect(decoded == identity)
        #expect(try decoded.tlvBytes() == Self.allTags)
    }

    @Test("typed initialiser builds a file that parses back")
    func builder() throws {
        let identity = Identity(
            cardNumber: "591234567816",
            chipNumber: Specimen.chipNumber,
            validityBegin: try EIDDate(year: 2024, month: 1, day: 2),
            validityEnd: try EIDDate(year: 2034, month: 1, day: 2),
            deliveryMunicipality: "Gent",
            nationalNumber: "71715100070",
            surname: "Specimen",
            givenNames: "Bob",
            nationality: "Belg",
            birthLocation: "Gent",
            birthDate: try BirthDate(year: 1971, month: 7, day: 15),
            sex: .male,
            documentType: .belgianEID,
            photoHash: [UInt8](repeating: 7, count: 48),
            basicKeyHash: [UInt8](repeating: 9, count: 48)
        )
        let bytes = try identity.tlvBytes()
        #expect(try Identity(tlv: bytes) == identity)
        #expect(bytes.contains(0x1A))
    }

    @Test("unknown tags that collide with known ones are refused by the encoder")
    func unknownCollision() throws {
        var identity = try Identity(tlv: Specimen.identity)
        identity.unknownTags[0x05] = [1]
        #expect(throws: EIDError.invalidTag("")) { try identity.tlvBytes() }
    }

    @Test("random and mutated input never crashes")
    func fuzz() {
        var rng = SeededGenerator(seed: 0x1D)
        for iteration in 0..<3000 {
            var bytes: [UInt8]
            if iteration % 2 == 0 {
                bytes = rng.bytes(count: Int.random(in: 0...200, using: &rng))
            } else {
                bytes = Self.allTags
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) {
                    bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                }
            }
            do {
                let identity = try Identity(tlv: bytes)
                _ = try? identity.tlvBytes()
            } catch {
                #expect(!error.reason.isEmpty)
            }
        }
    }
}
