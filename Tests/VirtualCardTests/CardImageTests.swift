import CryptoCore
import Foundation
import Testing
@testable import VirtualCard

@Suite("Card image")
struct CardImageTests {
    @Test("identity file: tags ascending, chip number, photo hash by profile algorithm", arguments: CardApplet.allCases)
    func identityFile(applet: CardApplet) throws {
        let image = applet == .v17 ? Fixtures.image17 : Fixtures.image18
        let identity = try #require(image.file(CardImage.Path.identity))
        let fields = tlvFields(identity)
        #expect(fields.map(\.tag) == fields.map(\.tag).sorted())
        #expect(fields.reduce(0) { $0 + 2 + $1.value.count } == identity.count, "exact size, no padding")
        let byTag = Dictionary(fields.map { ($0.tag, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(byTag[0x01] == Array("592000000170".utf8))
        #expect(byTag[0x02] == image.chipSerial)
        #expect(byTag[0x12] == [0x30, 0x30])
        #expect(byTag[0x0E] == [])
        let photo = try #require(image.file(CardImage.Path.photo))
        #expect(photo == Fixtures.photo)
        switch applet {
        case .v17:
            #expect(byTag[0x11] == DigestAlgorithm.sha256.hash(photo))
            #expect(byTag[0x1A] == nil)
            #expect(image.file(CardImage.Path.basicPublicKey) == nil)
        case .v18:
            #expect(byTag[0x11] == DigestAlgorithm.sha384.hash(photo))
            let basic = try #require(image.file(CardImage.Path.basicPublicKey))
            #expect(basic.count == 120)
            #expect(basic == (try Fixtures.ecBasic.publicKey().spkiDER()))
            #expect(byTag[0x1A] == DigestAlgorithm.sha384.hash(basic))
        }
    }

    @Test("SHA-1 photo hash profile signs with SHA-1")
    func sha1Photo() throws {
        let image = try CardImage(profile: Fixtures.profile(.v17, photoHash: "sha1"), material: Fixtures.material(.v17))
        let identity = try #require(image.file(CardImage.Path.identity))
        let hash = tlvFields(identity).first { $0.tag == 0x11 }?.value
        #expect(hash == DigestAlgorithm.sha1.hash(Fixtures.photo))
        let signature = try #require(image.file(CardImage.Path.identitySignature))
        let rrn = try Fixtures.rsaRRN.publicKey()
        #expect(rrn.verify(signature: signature, data: identity, algorithm: .sha1))
        #expect(!rrn.verify(signature: signature, data: identity, algorithm: .sha256))
    }

    @Test("RSA RRN signatures over 4031 and trimmed 4033 ‖ 4032")
    func rsaRRNSignatures() throws {
        let image = Fixtures.image17
        let identity = try #require(image.file(CardImage.Path.identity))
        let sgnID = try #require(image.file(CardImage.Path.identitySignature))
        let address = try #require(image.file(CardImage.Path.address))
        let sgnAddress = try #require(image.file(CardImage.Path.addressSignature))
        #expect(sgnID.count == 256)
        #expect(sgnAddress.count == 256)
        #expect(address.count == 121)
        let trimmed = Array(address.reversed().drop { $0 == 0 }.reversed())
        #expect(trimmed.count == 2 + 10 + 2 + 4 + 2 + 9)
        let rrn = try Fixtures.rsaRRN.publicKey()
        #expect(rrn.verify(signature: sgnID, data: identity, algorithm: .sha256))
        #expect(rrn.verify(signature: sgnAddress, data: trimmed + sgnID, algorithm: .sha256))
        #expect(!rrn.verify(signature: sgnAddress, data: address + sgnID, algorithm: .sha256))
    }

    @Test("EC RRN signatures: DER + zero padding to 256 bytes, SHA-384")
    func ecRRNSignatures() throws {
        let image = Fixtures.image18
        let identity = try #require(image.file(CardImage.Path.identity))
        let sgnID = try #require(image.file(CardImage.Path.identitySignature))
        let address = try #require(image.file(CardImage.Path.address))
        let sgnAddress = try #require(image.file(CardImage.Path.addressSignature))
        #expect(sgnID.count == 256 && sgnAddress.count == 256)
        let derLength = try #require(derElementLength(sgnID))
        #expect(sgnID[derLength...].allSatisfy { $0 == 0 })
        let rrn = try Fixtures.ecRRN.publicKey()
        #expect(rrn.verify(signature: Array(sgnID.prefix(derLength)), data: identity, algorithm: .sha384))
        let trimmed = Array(address.reversed().drop { $0 == 0 }.reversed())
        let addrDER = Array(sgnAddress.prefix(try #require(derElementLength(sgnAddress))))
        #expect(rrn.verify(signature: addrDER, data: trimmed + sgnID, algorithm: .sha384), "full padded SGN#ID is signed")
    }

    @Test("EC RRN key on a 1.7 card (re-keyed card)")
    func rekeyed17() throws {
        var material = Fixtures.material(.v17)
        material.rrnKey = Fixtures.ecRRN
        let image = try CardImage(profile: Fixtures.profile(.v17), material: material)
        let identity = try #require(image.file(CardImage.Path.identity))
        let sgnID = try #require(image.file(CardImage.Path.identitySignature))
        let der = Array(sgnID.prefix(try #require(derElementLength(sgnID))))
        #expect(try Fixtures.ecRRN.publicKey().verify(signature: der, data: identity, algorithm: .sha384))
    }

    @Test("PKCS#15 files per §2.5")
    func pkcs15() throws {
        let image = Fixtures.image17
        let dir = try #require(image.file(CardImage.Path.dir))
        #expect(dir == apdu("61 23 4F 0C A0 00 00 01 77 50 4B 43 53 2D 31 35 50 06 42 45 4C 50 49 43 51 04 3F 00 DF 00 73 05 06 03 60 38 02"))
        #expect(image.file(CardImage.Path.odf) == apdu(
            "A0 0A 30 08 04 06 3F 00 DF 00 50 35 A4 0A 30 08 04 06 3F 00 DF 00 50 37 A8 0A 30 08 04 06 3F 00 DF 00 50 34"))
        let tokenInfo = try #require(image.file(CardImage.Path.tokenInfo))
        #expect(tokenInfo.count == 41)
        #expect(Array(tokenInfo.prefix(7)) == apdu("30 27 02 01 00 04 10"))
        #expect(Array(tokenInfo[7..<23]) == image.chipSerial)
        #expect(Array(tokenInfo[23..<37]) == apdu("80 06 42 45 4C 50 49 43 03 02 04 30 9E 04"))
        let aodf = try #require(image.file(CardImage.Path.aodf))
        #expect(aodf.count == 53)
        #expect(aodf.starts(with: [0x30, 0x33]))
        let prkdf = try #require(image.file(CardImage.Path.prkdf))
        #expect(prkdf.count == 119)
        #expect(prkdf.starts(with: [0x30, 0x3A]))
        #expect(prkdf[60...].starts(with: [0x30, 0x39]))
        #expect(prkdf.contains(subsequence: apdu("A1 0E 30 0C 30 06 04 04 3F 00 DF 00 02 02 08 00")))
        #expect(prkdf.contains(subsequence: apdu("02 02 00 82")) && prkdf.contains(subsequence: apdu("02 02 00 83")))
        #expect(prkdf.contains(subsequence: apdu("03 03 06 00 40")))

        let ec = try #require(Fixtures.image18.file(CardImage.Path.prkdf))
        #expect(ec.count == 119)
        #expect(ec.starts(with: [0xA0, 0x3A]))
        #expect(ec[60...].starts(with: [0xA0, 0x39]))
        #expect(ec.contains(subsequence: apdu("02 02 01 80")))
    }

    @Test("CDF lists present certificates only, zero filled; absent certificate files are zeros")
    func cdfAndCertificateFiles() throws {
        let image = try CardImage(profile: Fixtures.profile(.v18), material: Fixtures.material(.v18, sign: false))
        let cdf = try #require(image.file(CardImage.Path.cdf))
        #expect(cdf.count == CardImage.cdfFileSize)
        #expect(cdf.allSatisfy { $0 == 0 }, "no certificates in this in-code image")
        let auth = try #require(image.file(CardImage.Path.authCertificate))
        #expect(auth.count == 2500 && auth.allSatisfy { $0 == 0 })
        #expect(Fixtures.image17.file(CardImage.Path.signCertificate)?.count == 1300)
        // No signature key: PrkDF has the authentication entry only.
        #expect(image.file(CardImage.Path.prkdf)?.count == 60)
    }

    @Test("GET CARD DATA bytes", arguments: CardApplet.allCases)
    func cardData(applet: CardApplet) {
        let image = applet == .v17 ? Fixtures.image17 : Fixtures.image18
        #expect(image.cardData.count == 28)
        #expect(Array(image.cardData.prefix(16)) == image.chipSerial)
        switch applet {
        case .v17: #expect(Array(image.cardData[21...]) == [0x17, 0x00, 0x03, 0x00, 0x21, 0x01, 0x0F])
        case .v18: #expect(Array(image.cardData[21...]) == [0x18, 0x00, 0x01, 0x00, 0x00, 0x02, 0x0F])
        }
    }

    @Test("profile errors are typed and never show the PIN")
    func errors() throws {
        func failure(_ profile: CardProfile, _ material: CardMaterial) -> VirtualCardError? {
            do {
                _ = try CardImage(profile: profile, material: material)
                return nil
            } catch {
                return error
            }
        }
        var p = Fixtures.profile(.v17, pin: "12a4")
        let e1 = try #require(failure(p, Fixtures.material(.v17)))
        #expect(e1.code == .badPIN)
        #expect(!e1.description.contains("12a4"))
        #expect(failure(Fixtures.profile(.v17, pin: "123"), Fixtures.material(.v17))?.code == .badPIN)
        #expect(failure(Fixtures.profile(.v17, pin: "1234567890123"), Fixtures.material(.v17))?.code == .badPIN)
        #expect(failure(Fixtures.profile(.v17, tries: 4), Fixtures.material(.v17))?.code == .badPIN)
        p = Fixtures.profile(.v17)
        p.chipSerial = "1234"
        #expect(failure(p, Fixtures.material(.v17))?.code == .badField)
        #expect(failure(Fixtures.profile(.v18, photoHash: "sha1"), Fixtures.material(.v18))?.code == .badField)
        p = Fixtures.profile(.v17)
        p.identity.extraTags = ["11": "00"]
        #expect(failure(p, Fixtures.material(.v17))?.code == .badField)
        p.identity.extraTags = ["zz": "00"]
        #expect(failure(p, Fixtures.material(.v17))?.code == .badField)
        p = Fixtures.profile(.v17)
        p.identity.surname = String(repeating: "x", count: 130)
        #expect(failure(p, Fixtures.material(.v17))?.code == .badField)
        // RSA keys on an EC applet.
        #expect(failure(Fixtures.profile(.v18), Fixtures.material(.v17))?.code == .keyMismatch)
    }

    @Test("profile JSON decoding and loading errors")
    func profileJSON() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vc-profile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.rsaRRN.pkcs8PEM().write(to: dir.appendingPathComponent("rrn.key"), atomically: true, encoding: .utf8)
        try Fixtures.rsaAuth.pkcs8PEM().write(to: dir.appendingPathComponent("auth.key"), atomically: true, encoding: .utf8)
        try Data(Fixtures.photo).write(to: dir.appendingPathComponent("photo.jpg"))
        let json = """
            { "name": "json-1.7", "description": "test", "applet": "1.7", "pin": "9876", "pinTriesLeft": 2,
              "chipSerial": "\(Fixtures.serialHex)", "photoHash": "sha256",
              "identity": { "cardNumber": "592000000170", "validityBegin": "01.01.2025", "validityEnd": "01.01.2035",
                "deliveryMunicipality": "Antwerpen", "nationalNumber": "71715100070", "surname": "Specimen",
                "givenNames": "Alice", "thirdInitial": "", "nationality": "BELG", "birthLocation": "Gent",
                "birthDate": "01 JAN 1971", "sex": "F", "nobleCondition": "", "documentType": "1", "specialStatus": "0",
                "extraTags": { "12": "3030" } },
              "address": { "streetAndNumber": "Meirbrug 1", "zip": "2000", "municipality": "Antwerpen" },
              "photo": "photo.jpg",
              "certificates": { "auth": null, "authKey": "auth.key", "sign": null, "signKey": null, "ca": null,
                "root": null, "rrn": null, "rrnKey": "rrn.key", "basicKey": null } }
            """
        let url = dir.appendingPathComponent("card.json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        let image = try CardImage.load(profileURL: url)
        #expect(image.name == "json-1.7")
        #expect(image.initialPINTries == 2)
        #expect(image.file(CardImage.Path.photo) == Fixtures.photo)
        let profile = try CardProfile.load(from: url)
        #expect(!profile.description.contains("9876"))
        #expect(profile.summary == "test")

        #expect(throws: VirtualCardError(.missingFile, "")) { try CardImage.load(profileURL: dir.appendingPathComponent("nope.json")) }
        try json.replacingOccurrences(of: "\"photo.jpg\"", with: "\"missing.jpg\"").write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: VirtualCardError(.missingFile, "")) { try CardImage.load(profileURL: url) }
        try json.replacingOccurrences(of: "\"applet\": \"1.7\",", with: "").write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try CardProfile.load(from: url)
            Issue.record("expected a bad JSON error")
        } catch {
            #expect(error.code == .badJSON)
            #expect(error.reason.contains("applet"))
        }
        try json.replacingOccurrences(of: "\"1.7\"", with: "\"1.9\"").write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: VirtualCardError(.badJSON, "")) { try CardProfile.load(from: url) }
        try json.replacingOccurrences(of: "\"9876\"", with: "\"98x6\"").write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try CardImage.load(profileURL: url)
            Issue.record("expected a bad PIN error")
        } catch {
            #expect(error.code == .badPIN)
            #expect(!error.description.contains("98x6"))
        }
        try json.replacingOccurrences(of: "\"auth.key\"", with: "\"photo.jpg\"").write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: VirtualCardError(.crypto, "")) { try CardImage.load(profileURL: url) }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<$0 + subsequence.count]) == subsequence }
    }
}
