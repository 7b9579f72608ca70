import CryptoCore
import Foundation
import Testing

@testable import BelgianEID

@Suite("Address")
struct AddressTests {
    @Test("parses the zero-padded address file")
    func parse() throws {
        let address = try Address(tlv: Specimen.address)
        #expect(address.streetAndNumber == "Meirplaats 1 bus 1")
        #expect(address.zipCode == "2000")
        #expect(address.municipality == "Antwerpen")
        #expect(address.fileStructureVersion == nil)
        #expect(address.unknownTags.isEmpty)
        #expect(try address.tlvBytes(paddedTo: 121) == Specimen.address)
        #expect(try address.tlvBytes() == EIDTLV.trimmingTrailingZeros(Specimen.address))
    }

    @Test("structure version and unknown tags round-trip")
    func versionAndUnknown() throws {
        let bytes =
            [0x00, 0x02, 0x00, 0x02] + field(0x01, "Rue de la Loi 16") + field(0x02, "1000")
            + field(0x03, "Bruxelles") + field(0x09, bytes: [0xAB]) + [0, 0, 0, 0]
        let address = try Address(tlv: bytes)
        #expect(address.fileStructureVersion == [0x00, 0x02])
        #expect(address.unknownTags == [0x09: [0xAB]])
        #expect(try address.tlvBytes(paddedTo: bytes.count) == bytes)
    }

    @Test("content that does not fit the padding size is refused")
    func tooLong() throws {
        let address = Address(streetAndNumber: String(repeating: "a", count: 100), zipCode: "1000", municipality: "x")
        #expect(throws: EIDError.invalidLength("")) { try address.tlvBytes(paddedTo: 50) }
        let huge = Address(streetAndNumber: String(repeating: "a", count: 128), zipCode: "1000", municipality: "x")
        #expect(throws: EIDError.invalidLength("")) { try huge.tlvBytes() }
    }

    @Test("malformed address files give typed errors")
    func malformed() {
        #expect(throws: EIDError.invalidCardData("")) { try Address(tlv: []) }
        #expect(throws: EIDError.invalidCardData("")) { try Address(tlv: [UInt8](repeating: 0, count: 121)) }
        #expect(throws: EIDError.invalidCardData("")) { try Address(tlv: field(0x01, "a") + field(0x03, "b")) }
        #expect(throws: EIDError.truncatedTLV("")) { try Address(tlv: field(0x01, "a") + [0x02, 0x10, 0x31]) }
        #expect(throws: EIDError.invalidLength("")) {
            try Address(tlv: [0x01, 0x90] + [UInt8](repeating: 0x41, count: 0x90))
        }
        #expect(throws: EIDError.invalidTag("")) {
            try Address(tlv: field(0x01, "a") + [0x00, 0x00, 0x01] + field(0x02, "b") + field(0x03, "c"))
        }
    }

    @Test("descriptions redact the address")
    func redaction() throws {
        let address = try Address(tlv: Specimen.address)
        var dumped = ""
        dump(address, to: &dumped)
        for text in [address.description, "\(address)", String(reflecting: address), dumped] {
            #expect(!text.contains("Meirplaats"))
            #expect(!text.contains("2000"))
            #expect(!text.contains("Antwerpen"))
        }
    }

    @Test("JSON round trip")
    func codable() throws {
        let address = try Address(tlv: Specimen.address)
        let decoded = try JSONDecoder().decode(Address.self, from: try JSONEncoder().encode(address))
        #expect(decoded == address)
    }

    @Test("random input never crashes")
    func fuzz() {
        var rng = SeededGenerator(seed: 0xADD)
        for iteration in 0..<3000 {
            var bytes = rng.bytes(count: Int.random(in: 0...130, using: &rng))
            if iteration % 3 == 0 {
                bytes = Specimen.address
                bytes[Int.random(in: 0..<40, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = try? Address(tlv: bytes)
        }
    }
}
