import CryptoCore
import Testing
@testable import VirtualCard

@Suite("Emulator commands")
struct EmulatorTests {
    static let appletSelect = apdu("00 A4 04 00 0F A0 00 00 00 30 29 05 70 00 AD 13 10 01 01 FF")

    @Test("applet SELECT answers a bare 90 00", arguments: [0x00, 0x0C] as [UInt8])
    func appletSelect(p2: UInt8) {
        var card = Fixtures.emulator(.v17)
        var command = Self.appletSelect
        command[3] = p2
        #expect(card.process(command) == [0x90, 0x00])
        #expect(card.process(apdu("00 A4 04 0C 0C A0 00 00 01 77 50 4B 43 53 2D 31 35")) == [0x90, 0x00])
        #expect(card.process(apdu("00 A4 02 0C 02 50 32")) == [0x90, 0x00], "PKCS-15 AID selects DF00")
        #expect(card.process(apdu("00 A4 04 0C 0C A0 00 00 01 77 49 64 46 69 6C 65 73")) == [0x90, 0x00])
        #expect(card.process(apdu("00 A4 02 0C 02 40 31")) == [0x90, 0x00], "IdFiles AID selects DF01")
        #expect(sw(card.process(apdu("00 A4 04 0C 05 A0 00 00 00 01"))) == 0x6A82)
    }

    @Test("SELECT P1=02 walks from the current DF; non-child FIDs give 6A82")
    func selectByFID() {
        var card = Fixtures.emulator(.v17)
        #expect(sw(card.process(apdu("00 A4 02 0C 02 40 31"))) == 0x6A82, "4031 is not a child of the MF")
        #expect(sw(card.process(apdu("00 A4 02 0C 02 3F 00"))) == 0x9000)
        #expect(sw(card.process(apdu("00 A4 02 0C 02 DF 01"))) == 0x9000)
        #expect(sw(card.process(apdu("00 A4 02 0C 02 40 31"))) == 0x9000)
        #expect(sw(card.process(apdu("00 A4 02 0C 02 40 33"))) == 0x9000, "sibling: the parent became the current DF")
        #expect(sw(card.process(apdu("00 A4 02 0C 02 50 38"))) == 0x6A82, "5038 lives in DF00")
        #expect(sw(card.process(apdu("00 A4 02 0C 02 DF 00"))) == 0x6A82, "DF00 is not a child of DF01")
        #expect(sw(card.process(apdu("00 A4 02 0C 02 3F 00"))) == 0x9000, "3F00 from anywhere")
        #expect(sw(card.process(apdu("00 A4 02 0C 02 2F 00"))) == 0x9000)
        #expect(sw(card.process(apdu("00 A4 02 0C 02 40 40"))) == 0x6A82)
        #expect(sw(card.process(apdu("00 A4 02 0C 03 DF 01 00"))) == 0x6A87)
        #expect(sw(card.process(apdu("00 A4 02 0C 01 DF"))) == 0x6A87)
    }

    @Test("SELECT P1=08 with and without the leading 3F00; bad P1/P2")
    func selectByPath() {
        var card = Fixtures.emulator(.v18)
        #expect(sw(card.process(apdu("00 A4 08 0C 06 3F 00 DF 01 40 31"))) == 0x9000)
        #expect(sw(card.process(apdu("00 A4 08 0C 04 DF 01 40 40"))) == 0x9000)
        #expect(sw(card.process(apdu("00 A4 08 0C 02 3F 00"))) == 0x9000)
        #expect(sw(card.process(apdu("00 A4 08 0C 04 DF 00 50 38"))) == 0x9000)
        #expect(sw(card.process(apdu("00 A4 08 0C 06 3F 00 DF 00 40 31"))) == 0x6A82)
        #expect(sw(card.process(apdu("00 A4 08 0C 06 3F 00 2F 00 40 31"))) == 0x6A82, "an EF has no children")
        #expect(sw(card.process(apdu("00 A4 08 0C 03 3F 00 DF"))) == 0x6A87)
        #expect(sw(card.process(apdu("00 A4 01 0C 02 3F 00"))) == 0x6A86)
        #expect(sw(card.process(apdu("00 A4 08 04 02 3F 00"))) == 0x6A86)
        #expect(sw(card.process(apdu("00 A4 08 0C 06 3F 00 DF 01 40 31 00"))) == 0x9000, "case 4 with Le is accepted")
        #expect(sw(card.process(apdu("00 A4 08 0C 06 3F 00 DF 01"))) == 0x6700, "Lc longer than the data")
    }

    @Test("READ BINARY: 6C, 6B00, Le 00 = 256, 6986")
    func readBinary() throws {
        var card = Fixtures.emulator(.v17)
        #expect(sw(card.process(apdu("00 B0 00 00 10"))) == 0x6986, "no EF selected")
        let identity = try #require(Fixtures.image17.file(CardImage.Path.identity))
        #expect(card.process(apdu("00 A4 08 0C 06 3F 00 DF 01 40 31")) == [0x90, 0x00])
        #expect(card.process(apdu("00 B0 00 00 FC")) == [0x6C, UInt8(identity.count)])
        #expect(card.process([0x00, 0xB0, 0x00, 0x00, UInt8(identity.count)]) == identity + [0x90, 0x00])
        #expect(card.process(apdu("00 B0 00 02 03")) == Array(identity[2..<5]) + [0x90, 0x00])
        #expect(sw(card.process([0x00, 0xB0, 0x00, UInt8(identity.count), 0x01])) == 0x6B00, "read at EOF")
        #expect(sw(card.process(apdu("00 B0 7F 00 01"))) == 0x6B00, "far beyond EOF")
        #expect(sw(card.process(apdu("00 B0 80 00 01"))) == 0x6B00, "P1 bit 8")
        #expect(sw(card.process(apdu("00 B0 00 00"))) == 0x6700, "no Le")

        // Le 00 = 256 on the photo (larger than 256 bytes).
        #expect(card.process(apdu("00 A4 08 0C 06 3F 00 DF 01 40 35")) == [0x90, 0x00])
        let chunk = card.process(apdu("00 B0 00 00 00"))
        #expect(chunk == Array(Fixtures.photo.prefix(256)) + [0x90, 0x00])
        let last = Fixtures.photo.count - 256 * (Fixtures.photo.count / 256)
        let offset = Fixtures.photo.count - last
        #expect(card.process([0x00, 0xB0, UInt8(offset >> 8), UInt8(offset & 0xFF), 0x00]) == [0x6C, UInt8(last)])
        #expect(card.readFile(CardImage.Path.photo) == Fixtures.photo)
        #expect(card.readFile(CardImage.Path.authCertificate)?.count == 1300)
    }

    @Test("GET CARD DATA: P2 00/01, 6C1C/6C1F, 1.7 has no P2 01")
    func getCardData() {
        var c17 = Fixtures.emulator(.v17)
        #expect(c17.process(apdu("80 E4 00 00 1C")) == Fixtures.image17.cardData + [0x90, 0x00])
        #expect(c17.process(apdu("80 E4 00 00 FF")) == [0x6C, 0x1C])
        #expect(c17.process(apdu("80 E4 00 00")) == [0x6C, 0x1C])
        #expect(sw(c17.process(apdu("80 E4 00 01 1F"))) == 0x6B00)
        #expect(sw(c17.process(apdu("80 E4 01 00 1C"))) == 0x6B00)
        #expect(sw(c17.process(apdu("00 E4 00 00 1C"))) == 0x6E00)

        var c18 = Fixtures.emulator(.v18)
        #expect(c18.process(apdu("80 E4 00 01 1F")) == Fixtures.image18.cardData + [0x03, 0xFF, 0xFF, 0x90, 0x00])
        #expect(c18.process(apdu("80 E4 00 01 1C")) == [0x6C, 0x1F])
        #expect(c18.process(verifyAPDU("0000")) == [0x63, 0xC2])
        #expect(c18.process(apdu("80 E4 00 01 1F"))[28] == 0x02)
    }

    @Test("VERIFY, empty VERIFY, tries, blocking, bad PIN block")
    func verify() {
        var card = Fixtures.emulator(.v17)
        #expect(card.process(apdu("00 20 00 01")) == [0x63, 0xC3], "empty VERIFY: status only")
        #expect(card.process(apdu("00 20 00 01 00")) == [0x63, 0xC3], "Lc = 00 form")
        #expect(card.pinTriesLeft == 3)
        #expect(card.process(verifyAPDU("1111")) == [0x63, 0xC2])
        #expect(card.process(verifyAPDU("1234")) == [0x90, 0x00])
        #expect(card.pinTriesLeft == 3, "success resets the counter")
        #expect(card.process(apdu("00 20 00 01")) == [0x90, 0x00])
        #expect(card.process(apdu("00 20 00 01 08 24 12 3A FF FF FF FF FF")) == [0x6A, 0x80], "non-BCD digit")
        #expect(card.process(apdu("00 20 00 01 08 23 12 3F FF FF FF FF FF")) == [0x6A, 0x80], "length nibble 3")
        #expect(card.process(apdu("00 20 00 01 08 14 12 34 FF FF FF FF FF")) == [0x6A, 0x80], "control nibble 1")
        #expect(card.process(apdu("00 20 00 01 08 24 12 34 FF FF FF FF F0")) == [0x6A, 0x80], "bad filler")
        #expect(card.process(apdu("00 20 00 01 04 24 12 34 FF")) == [0x67, 0x00])
        #expect(card.process(apdu("00 20 00 02 08 24 12 34 FF FF FF FF FF")) == [0x6A, 0x88])
        #expect(card.process(apdu("00 20 01 01 08 24 12 34 FF FF FF FF FF")) == [0x6A, 0x86])
        #expect(card.pinTriesLeft == 3, "format errors do not count")
        #expect(card.process(verifyAPDU("0000")) == [0x63, 0xC2])
        #expect(card.process(verifyAPDU("0000")) == [0x63, 0xC1])
        #expect(card.process(verifyAPDU("0000")) == [0x63, 0xC0])
        #expect(card.process(verifyAPDU("1234")) == [0x69, 0x83], "blocked even with the right PIN")
        #expect(card.process(apdu("00 20 00 01")) == [0x69, 0x83])
        card.reset()
        #expect(card.process(verifyAPDU("1234")) == [0x69, 0x83], "the counter survives a reset")
    }

    @Test("12-digit PIN and blocked profile")
    func longPINAndBlockedProfile() throws {
        var card = EIDCardEmulator(image: try CardImage(profile: Fixtures.profile(.v18, pin: "123456789012"), material: Fixtures.material(.v18)))
        #expect(card.process(verifyAPDU("123456789012")) == [0x90, 0x00])
        #expect(card.process(apdu("00 20 00 01 08 2C 12 34 56 78 90 12 FF")) == [0x90, 0x00])
        var blocked = EIDCardEmulator(image: try CardImage(profile: Fixtures.profile(.v17, tries: 0), material: Fixtures.material(.v17)))
        #expect(blocked.process(verifyAPDU("1234")) == [0x69, 0x83])
        var oneTry = EIDCardEmulator(image: try CardImage(profile: Fixtures.profile(.v18, tries: 1), material: Fixtures.material(.v18)))
        #expect(oneTry.process(apdu("80 E4 00 01 1F"))[28] == 0x01)
        #expect(oneTry.process(verifyAPDU("9999")) == [0x63, 0xC0])
        #expect(oneTry.process(verifyAPDU("1234")) == [0x69, 0x83])
    }

    @Test("CHANGE REFERENCE DATA")
    func changePIN() {
        var card = Fixtures.emulator(.v17)
        #expect(card.process([0x00, 0x24, 0x00, 0x01, 0x10] + pinBlock("1111") + pinBlock("5678")) == [0x63, 0xC2])
        #expect(!card.isPINVerified)
        #expect(card.process([0x00, 0x24, 0x00, 0x01, 0x10] + pinBlock("1234") + apdu("24 56 7A FF FF FF FF FF")) == [0x6A, 0x80])
        #expect(card.process([0x00, 0x24, 0x00, 0x01, 0x08] + pinBlock("1234")) == [0x67, 0x00])
        #expect(card.process([0x00, 0x24, 0x00, 0x01, 0x10] + pinBlock("1234") + pinBlock("567890")) == [0x90, 0x00])
        #expect(card.isPINVerified, "a successful change grants the right")
        #expect(card.pinTriesLeft == 3)
        card.reset()
        #expect(!card.isPINVerified)
        #expect(card.process(verifyAPDU("1234")) == [0x63, 0xC2])
        #expect(card.process(verifyAPDU("567890")) == [0x90, 0x00])
    }

    @Test("MSE SET: keys 81–83, algorithms, 6A80, 6A88")
    func mseSet() throws {
        var c17 = Fixtures.emulator(.v17)
        for algo: UInt8 in [0x01, 0x02, 0x04, 0x08, 0x10, 0x20] {
            #expect(c17.process(mseAPDU(algorithm: algo, key: 0x82)) == [0x90, 0x00], "RSA algo \(algo)")
        }
        #expect(c17.process(mseAPDU(algorithm: 0x40, key: 0x82)) == [0x6A, 0x80])
        #expect(c17.process(mseAPDU(algorithm: 0x03, key: 0x83)) == [0x6A, 0x80])
        #expect(c17.process(mseAPDU(algorithm: 0x01, key: 0x84)) == [0x6A, 0x88])
        #expect(c17.process(mseAPDU(algorithm: 0x01, key: 0x81)) == [0x6A, 0x88], "no basic key on the 1.7 emulator")
        #expect(c17.process(apdu("00 22 41 B6 05 04 81 01 84 82")) == [0x6A, 0x80], "wrong tag")
        #expect(c17.process(apdu("00 22 41 B6 03 04 80 01")) == [0x67, 0x00])
        #expect(c17.process(apdu("00 22 41 B8 05 04 80 01 84 82")) == [0x6A, 0x86])

        var c18 = Fixtures.emulator(.v18)
        for algo: UInt8 in [0x01, 0x02, 0x04, 0x40] {
            #expect(c18.process(mseAPDU(algorithm: algo, key: 0x82)) == [0x90, 0x00], "EC algo \(algo)")
        }
        #expect(c18.process(mseAPDU(algorithm: 0x02, key: 0x81)) == [0x90, 0x00], "basic key selectable (commons-eid)")
        #expect(c18.process(mseAPDU(algorithm: 0x03, key: 0x82)) == [0x6A, 0x80])

        var minor = EIDCardEmulator(image: try CardImage(profile: Fixtures.profile(.v18), material: Fixtures.material(.v18, sign: false)))
        #expect(minor.process(mseAPDU(algorithm: 0x02, key: 0x83)) == [0x6A, 0x88], "minor: no signature key")
        #expect(minor.process(mseAPDU(algorithm: 0x02, key: 0x82)) == [0x90, 0x00])
    }

    @Test("PSO:CDS status words, GET RESPONSE 61/6C/6985 behaviour")
    func psoAndGetResponse() {
        var card = Fixtures.emulator(.v18)
        let hash = DigestAlgorithm.sha384.hash([1, 2, 3])
        #expect(card.process(psoAPDU(hash)) == [0x69, 0x85], "no security environment")
        #expect(card.process(mseAPDU(algorithm: 0x02, key: 0x82)) == [0x90, 0x00])
        #expect(card.process(psoAPDU(hash)) == [0x69, 0x82], "PIN not verified")
        #expect(card.process(verifyAPDU("1234")) == [0x90, 0x00])
        #expect(card.process(psoAPDU(Array(hash.prefix(32)))) == [0x6A, 0x80], "wrong input length for algo 02")
        #expect(card.process(apdu("00 2A 9E 9B 02 01 02")) == [0x6A, 0x86])
        #expect(card.process(apdu("00 C0 00 00 60")) == [0x69, 0x85], "nothing pending")
        #expect(card.process(psoAPDU(hash)) == [0x61, 0x60])
        #expect(card.process(apdu("00 C0 00 00 00")) == [0x6C, 0x60], "Le too long")
        let first = card.process(apdu("00 C0 00 00 20"))
        #expect(first.count == 34 && sw(first) == 0x6140, "partial read chains the rest")
        let rest = card.process(apdu("00 C0 00 00 40"))
        #expect(rest.count == 66 && sw(rest) == 0x9000)
        #expect(card.process(apdu("00 C0 00 00 60")) == [0x69, 0x85], "consumed")

        #expect(card.process(psoAPDU(hash, le: true)) == [0x61, 0x60], "case 4 with Le")
        #expect(sw(card.process(apdu("80 E4 00 00 1C"))) == 0x9000)
        #expect(card.process(apdu("00 C0 00 00 60")) == [0x69, 0x85], "any other command drops the pending response")

        var rsa = Fixtures.emulator(.v17)
        #expect(rsa.process(verifyAPDU("1234")) == [0x90, 0x00])
        #expect(rsa.process(mseAPDU(algorithm: 0x08, key: 0x82)) == [0x90, 0x00])
        #expect(rsa.process(psoAPDU(DigestAlgorithm.sha256.hash([1]))) == [0x61, 0x00], "256 bytes → 61 00")
        let signature = rsa.process(apdu("00 C0 00 00 00"))
        #expect(signature.count == 258 && sw(signature) == 0x9000)
        #expect(rsa.process(mseAPDU(algorithm: 0x01, key: 0x82)) == [0x90, 0x00])
        #expect(rsa.process(psoAPDU([UInt8](repeating: 0x30, count: 246))) == [0x6A, 0x80], "DigestInfo too long for RSA-2048")
    }

    @Test("INTERNAL AUTHENTICATE with the basic key (1.8)")
    func internalAuthenticate() throws {
        var card = Fixtures.emulator(.v18)
        let challenge = SecureRandom.bytes(48)
        #expect(card.process(mseAPDU(algorithm: 0x02, key: 0x82)) == [0x90, 0x00])
        #expect(card.process([0x00, 0x88, 0x02, 0x81, 0x32, 0x94, 0x30] + challenge + [0x00]) == [0x61, 0x60])
        let response = card.process(apdu("00 C0 00 00 60"))
        #expect(sw(response) == 0x9000)
        let basic = try Fixtures.ecBasic.publicKey()
        #expect(basic.verify(signature: derSignature(raw: body(response)), digest: challenge, algorithm: .sha384))
        #expect(card.process(verifyAPDU("1234")) == [0x90, 0x00])
        #expect(card.process(psoAPDU(DigestAlgorithm.sha384.hash([1]))) == [0x69, 0x85], "INTERNAL AUTHENTICATE cleared the SE")

        #expect(card.process([0x00, 0x88, 0x02, 0x81, 0x22, 0x94, 0x20] + challenge.prefix(32)) == [0x6A, 0x80])
        #expect(card.process([0x00, 0x88, 0x02, 0x81, 0x32, 0x95, 0x30] + challenge) == [0x6A, 0x80])
        #expect(card.process([0x00, 0x88, 0x02, 0x82, 0x32, 0x94, 0x30] + challenge) == [0x6A, 0x88])
        #expect(card.process([0x00, 0x88, 0x01, 0x81, 0x22, 0x94, 0x20] + challenge.prefix(32)) == [0x61, 0x60])

        var rsa = Fixtures.emulator(.v17)
        #expect(rsa.process([0x00, 0x88, 0x02, 0x81, 0x32, 0x94, 0x30] + challenge) == [0x6D, 0x00])
    }

    @Test("LOG OFF, GET CHALLENGE, unknown INS, bad CLA")
    func otherCommands() {
        var card = Fixtures.emulator(.v17)
        #expect(card.process(verifyAPDU("1234")) == [0x90, 0x00])
        #expect(card.process(apdu("80 E6 00 00")) == [0x90, 0x00])
        #expect(!card.isPINVerified)
        #expect(card.process(apdu("00 20 00 01")) == [0x63, 0xC3])
        let challenge = card.process(apdu("00 84 00 00 08"))
        #expect(challenge.count == 10 && sw(challenge) == 0x9000)
        #expect(card.process(apdu("00 84 00 00 00")).count == 258)
        #expect(card.process(apdu("00 84 00 00")) == [0x67, 0x00])
        #expect(card.process(apdu("00 84 01 00 08")) == [0x6A, 0x86])
        #expect(card.process(apdu("00 CA 00 00 00")) == [0x6D, 0x00])
        #expect(card.process(apdu("80 50 00 00 08")) == [0x6D, 0x00])
        #expect(card.process(apdu("01 A4 02 0C 02 3F 00")) == [0x6E, 0x00], "logical channel bits")
        #expect(card.process(apdu("A0 A4 02 0C 02 3F 00")) == [0x6E, 0x00])
        #expect(card.process(apdu("FF CA 00 00 00")) == [0x6E, 0x00])
        #expect(card.process([]) == [0x67, 0x00])
        #expect(card.process([0x00, 0xA4]) == [0x67, 0x00])
    }

    @Test("READ RECORD (1.8) returns the TLV fields of a tag range")
    func readRecord() throws {
        var card = Fixtures.emulator(.v18)
        #expect(card.process(apdu("00 A4 08 0C 06 3F 00 DF 01 40 31")) == [0x90, 0x00])
        #expect(card.process(apdu("80 B2 07 07 00")) == [0x07, 0x08] + Array("Specimen".utf8) + [0x90, 0x00])
        #expect(card.process(apdu("80 B2 07 06 00")) == [0x6A, 0x83])
        #expect(card.process(apdu("80 B2 1E 1F 00")) == [0x6A, 0x83])
        #expect(card.process(apdu("00 A4 08 0C 06 3F 00 DF 01 40 35")) == [0x90, 0x00])
        #expect(card.process(apdu("80 B2 01 01 00")) == [0x69, 0x81])
        var c17 = Fixtures.emulator(.v17)
        #expect(c17.process(apdu("80 B2 01 01 00")) == [0x6D, 0x00])
    }

    @Test("reset clears the session but not the PIN counter")
    func reset() {
        var card = Fixtures.emulator(.v18)
        #expect(card.process(apdu("00 A4 08 0C 06 3F 00 DF 01 40 31")) == [0x90, 0x00])
        #expect(card.process(verifyAPDU("1234")) == [0x90, 0x00])
        #expect(card.process(verifyAPDU("1111")) == [0x63, 0xC2])
        card.reset()
        #expect(card.process(apdu("00 B0 00 00 01")) == [0x69, 0x86])
        #expect(card.process(apdu("00 A4 02 0C 02 40 31")) == [0x6A, 0x82], "current DF back to the MF")
        #expect(card.pinTriesLeft == 2)
    }
}
