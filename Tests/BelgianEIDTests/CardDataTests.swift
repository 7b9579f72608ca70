import CryptoCore
import Foundation
import Testing

@testable import BelgianEID

@Suite("CardData")
struct CardDataTests {
    static let serial = hex("534C494E3366001393 0D29C77F032F16")

    @Test("applet 1.7 response (28 bytes)")
    func v17() throws {
        let bytes = Self.serial + hex("A5 03 01 29 01 17 00 03 00 21 01 0F")
        let data = try CardData(bytes: bytes)
        #expect(data.serialNumber == Self.serial)
        #expect(data.serialNumberHex == "534C494E33660013930D29C77F032F16")
        #expect(data.tokenSerial == "930D29C77F032F16")
        #expect(data.componentCode == 0xA5)
        #expect(data.osNumber == 0x03)
        #expect(data.osVersion == 0x01)
        #expect(data.softmaskNumber == 0x29)
        #expect(data.softmaskVersion == 0x01)
        #expect(data.appletVersion == .v1_7)
        #expect(!data.appletVersion.isEC)
        #expect(data.globalOSVersion == 0x0003)
        #expect(data.appletInterfaceVersion == 0)
        #expect(data.pkcs1Support == 0x21)
        #expect(data.keyExchangeVersion == 0x01)
        #expect(data.pkcs15Version == nil)
        #expect(data.lifeCycle == 0x0F)
        #expect(data.isPersonalized)
        #expect(data.pinTriesLeft == nil)
        #expect(
            try CardData.encode(
                serialNumber: Self.serial,
                componentCode: 0xA5,
                osNumber: 3,
                osVersion: 1,
                softmaskNumber: 0x29,
                softmaskVersion: 1,
                appletVersion: .v1_7
            ) == bytes
        )
    }

    @Test(
        "applet 1.8 response with PIN tries (31 bytes)",
        arguments: [(UInt8(3), 3), (2, 2), (0, 0), (0xFF, nil)] as [(UInt8, Int?)]
    )
    func v18(tries: UInt8, expected: Int?) throws {
        let bytes = try CardData.encode(serialNumber: Self.serial, appletVersion: .v1_8, pinTries: tries)
        #expect(bytes.count == 31)
        #expect(Array(bytes[21...30]) == [0x18, 0x00, 0x01, 0x00, 0x00, 0x02, 0x0F, tries, 0xFF, 0xFF])
        let data = try CardData(bytes: bytes)
        #expect(data.appletVersion == .v1_8)
        #expect(data.appletVersion.isEC)
        #expect(data.globalOSVersion == 0x0001)
        #expect(data.pkcs1Support == 0x00)
        #expect(data.keyExchangeVersion == 0x02)
        #expect(data.pinTriesLeft == expected)
        let short = try CardData(bytes: Array(bytes.prefix(28)))
        #expect(short.pinTriesLeft == nil)
    }

    @Test("applet 1.1 legacy layout")
    func v11() throws {
        let bytes = try CardData.encodeLegacy(
            serialNumber: Self.serial,
            appletInterfaceVersion: 0x0102,
            pkcs15Version: 0x0304
        )
        #expect(bytes.count == 28)
        #expect(Array(bytes[21...27]) == [0x11, 0x00, 0x01, 0x02, 0x03, 0x04, 0x0F])
        let data = try CardData(bytes: bytes)
        #expect(data.appletVersion == .v1_1)
        #expect(data.appletVersion.isLegacy)
        #expect(data.isLegacyLayout)
        #expect(data.globalOSVersion == nil)
        #expect(data.appletInterfaceVersion == 0x0102)
        #expect(data.pkcs15Version == 0x0304)
        #expect(data.pkcs1Support == nil)
        #expect(data.keyExchangeVersion == nil)
        #expect(data.lifeCycle == 0x0F)
    }

    @Test("applet version classification")
    func appletVersions() {
        #expect(AppletVersion(rawValue: 0x19) == .unknown(0x19))
        #expect(AppletVersion(rawValue: 0x19).isEC)
        #expect(AppletVersion(rawValue: 0x10).isLegacy)
        #expect(!AppletVersion(rawValue: 0x17).isLegacy)
        #expect(AppletVersion.v1_8.description == "1.8")
        for raw in UInt8.min...UInt8.max { #expect(AppletVersion(rawValue: raw).rawValue == raw) }
    }

    @Test("encoder input checks")
    func encoderChecks() {
        #expect(throws: EIDError.invalidLength("")) { try CardData.encode(serialNumber: [1, 2], appletVersion: .v1_8) }
        #expect(throws: EIDError.invalidValue("")) {
            try CardData.encode(serialNumber: Self.serial, appletVersion: .v1_1)
        }
        #expect(throws: EIDError.invalidLength("")) { try CardData.encodeLegacy(serialNumber: []) }
    }

    @Test("wrong lengths are rejected", arguments: [0, 1, 27, 29, 30, 32, 256])
    func wrongLengths(_ count: Int) {
        #expect(throws: EIDError.invalidLength("")) { try CardData(bytes: [UInt8](repeating: 0x17, count: count)) }
    }

    @Test("JSON round trip")
    func codable() throws {
        let data = try CardData(
            bytes: try CardData.encode(serialNumber: Self.serial, appletVersion: .v1_8, pinTries: 3)
        )
        #expect(try JSONDecoder().decode(CardData.self, from: try JSONEncoder().encode(data)) == data)
    }

    @Test("random responses never crash")
    func fuzz() {
        var rng = SeededGenerator(seed: 0xCA4D)
        for _ in 0..<3000 {
            let count = [28, 31, Int.random(in: 0...40, using: &rng)].randomElement(using: &rng)!
            if let data = try? CardData(bytes: rng.bytes(count: count)) {
                _ = (data.appletVersion, data.globalOSVersion, data.appletInterfaceVersion, data.pkcs15Version)
                _ = (data.pinTriesLeft, data.tokenSerial, data.pkcs1Support, data.keyExchangeVersion)
            }
        }
    }
}
