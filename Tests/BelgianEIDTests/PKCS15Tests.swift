import CryptoCore
import Testing

@testable import BelgianEID

@Suite("PKCS15")
struct PKCS15Tests {
    static let serial = hex("534C494E3366001393 0D29C77F032F16")

    @Test("EF(DIR) matches the bytes printed in §2.5")
    func directory() throws {
        let expected = hex(
            """
            61 23 4F 0C A0 00 00 01 77 50 4B 43 53 2D 31 35 50 06 42 45 4C 50 49 43
            51 04 3F 00 DF 00 73 05 06 03 60 38 02
            """
        )
        #expect(PKCS15.DirectoryRecord.belpic.derBytes() == expected)
        #expect(expected.count == 37)
        let parsed = try PKCS15.DirectoryRecord(der: expected + [0, 0, 0])
        #expect(parsed == .belpic)
        #expect(parsed.label == "BELPIC")
    }

    @Test("EF(ODF) matches §2.5 (36 bytes)")
    func odf() throws {
        let expected = hex(
            """
            A0 0A 30 08 04 06 3F 00 DF 00 50 35 A4 0A 30 08 04 06 3F 00 DF 00 50 37
            A8 0A 30 08 04 06 3F 00 DF 00 50 34
            """
        )
        #expect(try PKCS15.encodeODF() == expected)
        let entries = try PKCS15.parseODF(expected + [0, 0])
        #expect(entries == PKCS15.belpicODFEntries)
        #expect(entries.map(\.kind) == [.privateKeys, .certificates, .authObjects])
    }

    @Test("EF(TokenInfo) matches §2.5 (41 bytes)")
    func tokenInfo() throws {
        let versions: [UInt8] = [0x01, 0x02, 0x03, 0x00]
        let info = PKCS15.TokenInfo(serialNumber: Self.serial, persoVersions: versions)
        let expected =
            hex("30 27 02 01 00 04 10") + Self.serial + hex("80 06 42 45 4C 50 49 43 03 02 04 30 9E 04")
            + versions
        #expect(info.derBytes() == expected)
        #expect(expected.count == 41)
        let parsed = try PKCS15.TokenInfo(der: expected)
        #expect(parsed == info)
        #expect(parsed.tokenFlags == [PKCS15.TokenFlag.prnGeneration, PKCS15.TokenFlag.eidCompliant])
        #expect(Array(expected.suffix(4)) == versions)  // eid-mw takes the last 4 bytes
    }

    @Test("EF(AODF) Basic PIN object (53 bytes)")
    func aodf() throws {
        let bytes = try PKCS15.encodeAODF()
        let expected = hex(
            """
            30 33 30 0F 0C 09 42 61 73 69 63 20 50 49 4E 03 02 06 C0 30 03 04 01 01
            A1 1B 30 19 03 02 02 0C 0A 01 00 02 01 04 02 01 08 80 01 01 04 01 FF 30 04 04 02 3F 00
            """
        )
        #expect(bytes == expected)
        let objects = try PKCS15.parseAODF(bytes + [0, 0, 0])
        #expect(objects == [.belpicBasicPIN])
        #expect(objects[0].pinReference == 1)
        #expect(objects[0].minLength == 4)
        #expect(objects[0].padChar == 0xFF)
        #expect(objects[0].path == [0x3F, 0x00])
    }

    @Test("EF(PrKDF) RSA entries match §2.5")
    func prkdfRSA() throws {
        let bytes = PKCS15.belpicPrKDF(keyType: .rsa, keySize: 2048)
        let authentication = hex(
            """
            30 3A 30 17 0C 0E 41 75 74 68 65 6E 74 69 63 61 74 69 6F 6E 03 02 07 80 04 01 01
            30 0F 04 01 02 03 02 05 20 03 02 03 B8 02 02 00 82
            A1 0E 30 0C 30 06 04 04 3F 00 DF 00 02 02 08 00
            """
        )
        let signature = hex(
            """
            30 39 30 15 0C 09 53 69 67 6E 61 74 75 72 65 03 02 07 80 04 01 01 02 01 01
            30 10 04 01 03 03 03 06 00 40 03 02 03 B8 02 02 00 83
            A1 0E 30 0C 30 06 04 04 3F 00 DF 00 02 02 08 00
            """
        )
        #expect(bytes == authentication + signature)
        #expect(bytes.count == 119)
        let keys = try PKCS15.parsePrKDF(bytes)
        #expect(keys.count == 2)
        #expect(keys[0] == .belpicAuthentication(keyType: .rsa, keySize: 2048))
        #expect(keys[1] == .belpicSignature(keyType: .rsa, keySize: 2048))
        #expect(keys[0].keyReference == 0x82 && keys[0].usage == [PKCS15.KeyUsage.sign])
        #expect(keys[1].keyReference == 0x83 && keys[1].usage == [PKCS15.KeyUsage.nonRepudiation])
        #expect(keys[1].common.userConsent == 1)
        let legacy = PKCS15.belpicPrKDF(keyType: .rsa, keySize: 1024)
        #expect(legacy[56...59] == [0x02, 0x02, 0x04, 0x00])
    }

    @Test("EF(PrKDF) EC entries are wrapped in [0] with key size 384")
    func prkdfEC() throws {
        let bytes = PKCS15.belpicPrKDF(keyType: .ec, keySize: 384)
        let rsa = PKCS15.belpicPrKDF(keyType: .rsa, keySize: 384)
        #expect(bytes[0...1] == [0xA0, 0x3A])
        #expect(bytes[60...61] == [0xA0, 0x39])
        #expect(bytes[1..<60] == rsa[1..<60])  // same content, only the outer tag differs
        #expect(bytes[61...] == rsa[61...])
        #expect(bytes[56...59] == [0x02, 0x02, 0x01, 0x80])
        let keys = try PKCS15.parsePrKDF(bytes + [UInt8](repeating: 0, count: 20))
        #expect(keys.map(\.keyType) == [.ec, .ec])
        #expect(keys.map(\.keySize) == [384, 384])
        let authOnly = try PKCS15.parsePrKDF(PKCS15.belpicPrKDF(keyType: .ec, keySize: 384, includeSignatureKey: false))
        #expect(authOnly.map(\.id) == [[0x02]])
    }

    @Test(
        "EF(CDF) shapes round-trip and are zero-filled",
        arguments: [
            (true, true, true, true), (true, false, true, true), (false, false, true, true), (true, true, false, false),
        ]
    )
    func cdf(_ shape: (Bool, Bool, Bool, Bool)) throws {
        let (authentication, signature, ca, root) = shape
        let bytes = try PKCS15.belpicCDF(
            authentication: authentication,
            signature: signature,
            ca: ca,
            root: root,
            paddedTo: 400
        )
        #expect(bytes.count == 400)
        let certificates = try PKCS15.parseCDF(bytes)
        var expected: [PKCS15.CertificateObject] = []
        if authentication { expected.append(.belpicAuthentication) }
        if signature { expected.append(.belpicSignature) }
        if ca { expected.append(.belpicCA) }
        if root { expected.append(.belpicRoot) }
        #expect(certificates == expected)
    }

    @Test("EF(CDF) entry bytes")
    func cdfBytes() throws {
        let bytes = try PKCS15.belpicCDF()
        #expect(bytes.count == 147)
        let authentication = hex(
            """
            30 28 30 13 0C 0E 41 75 74 68 65 6E 74 69 63 61 74 69 6F 6E 04 01 01
            30 03 04 01 02 A1 0C 30 0A 30 08 04 06 3F 00 DF 00 50 38
            """
        )
        #expect(Array(bytes.prefix(authentication.count)) == authentication)
        let certificates = try PKCS15.parseCDF(bytes)
        #expect(certificates.map(\.id) == [[0x02], [0x03], [0x04], [0x06]])
        #expect(certificates.map(\.authority) == [false, false, true, true])
        #expect(certificates.map { $0.path.last } == [0x38, 0x39, 0x3A, 0x3B])
        #expect(certificates.map { $0.common.label } == ["Authentication", "Signature", "CA", "Root"])
        #expect(throws: EIDError.invalidLength("")) { try PKCS15.belpicCDF(paddedTo: 100) }
        #expect(try PKCS15.parseCDF([UInt8](repeating: 0, count: 165)).isEmpty)
    }

    @Test("malformed directory files give typed errors")
    func malformed() throws {
        let cdf = try PKCS15.belpicCDF()
        #expect(throws: EIDError.truncatedTLV("")) { try PKCS15.parseCDF(Array(cdf.prefix(30))) }
        #expect(throws: EIDError.invalidTag("")) { try PKCS15.parseCDF(cdf + [0, 0, 5]) }
        #expect(throws: EIDError.invalidTag("")) { try PKCS15.parseCDF(hex("31 03 02 01 01")) }
        #expect(throws: EIDError.invalidTag("")) { try PKCS15.parsePrKDF(hex("A1 03 02 01 01")) }
        #expect(throws: EIDError.invalidTag("")) { try PKCS15.parseODF(hex("30 0A 30 08 04 06 3F 00 DF 00 50 35")) }
        #expect(throws: EIDError.invalidTag("")) { try PKCS15.parseAODF(hex("04 01 01")) }
        #expect(throws: EIDError.truncatedTLV("")) { try PKCS15.DirectoryRecord(der: []) }
        #expect(throws: EIDError.invalidCardData("")) { try PKCS15.DirectoryRecord(der: hex("61 02 50 00")) }
        #expect(throws: EIDError.invalidTag("")) { try PKCS15.DirectoryRecord(der: hex("62 00")) }
        #expect(throws: EIDError.invalidLength("")) { try PKCS15.TokenInfo(der: hex("30 80 02 01 00 00 00")) }
        #expect(throws: EIDError.invalidTag("")) { try PKCS15.TokenInfo(der: hex("30 03 04 01 00")) }
        #expect(throws: EIDError.invalidLength("")) { try PKCS15.parseCDF(hex("30 85 00 00 00 00 01 00")) }
        #expect(throws: EIDError.invalidTag("")) { try PKCS15.parseCDF(hex("3F 81 00")) }
        #expect(try PKCS15.parsePrKDF([]).isEmpty)
    }

    @Test("random and mutated bytes never crash the parsers")
    func fuzz() throws {
        var rng = SeededGenerator(seed: 0x15)
        let samples = [
            try PKCS15.belpicCDF(paddedTo: 170), PKCS15.belpicPrKDF(keyType: .rsa, keySize: 2048),
            PKCS15.belpicPrKDF(keyType: .ec, keySize: 384), try PKCS15.encodeAODF(), try PKCS15.encodeODF(),
            PKCS15.DirectoryRecord.belpic.derBytes(), PKCS15.TokenInfo(serialNumber: Self.serial).derBytes(),
        ]
        for iteration in 0..<3000 {
            var bytes: [UInt8]
            if iteration % 2 == 0 {
                bytes = rng.bytes(count: Int.random(in: 0...80, using: &rng))
            } else {
                bytes = samples.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            _ = try? PKCS15.parseCDF(bytes)
            _ = try? PKCS15.parsePrKDF(bytes)
            _ = try? PKCS15.parseAODF(bytes)
            _ = try? PKCS15.parseODF(bytes)
            _ = try? PKCS15.DirectoryRecord(der: bytes)
            _ = try? PKCS15.TokenInfo(der: bytes)
        }
    }
}
