import BelgianEID
import CryptoCore
import Foundation
import Testing
import VirtualCard

/// Loads the real profiles of `Hardware/cards` (with the test PKI) and checks that the
/// reader-side parsers of BelgianEID accept everything the card produces.
@Suite("Hardware profiles × BelgianEID parsers")
struct ProfileCrossCheckTests {
    static let profiles: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.cardsDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }()

    static func load(_ name: String) throws -> CardImage {
        try CardImage.load(profileURL: Fixtures.cardsDirectory.appendingPathComponent(name))
    }

    /// Reads every file through the emulator, the way a reader does.
    static func readAll(_ card: inout EIDCardEmulator) throws -> [EIDFile: [UInt8]] {
        var files: [EIDFile: [UInt8]] = [:]
        for file in EIDFile.allCases {
            let path = stride(from: 2, to: file.path.count, by: 2).map { UInt16(file.path[$0]) << 8 | UInt16(file.path[$0 + 1]) }
            guard let content = card.readFile(path) else { continue }
            if file.isCertificate {
                files[file] = content.first == 0x30 ? Array(content.prefix(derElementLength(content) ?? 0)) : []
            } else {
                files[file] = content
            }
        }
        return files
    }

    @Test("profiles are present")
    func present() {
        #expect(Self.profiles.count >= 2, "Hardware/cards/*.json")
    }

    @Test("profile loads, parses and passes the integrity checks", arguments: profiles)
    func crossCheck(name: String) throws {
        let image = try Self.load(name)
        var card = EIDCardEmulator(image: image)
        #expect(card.process([0x00, 0xA4, 0x04, 0x00, 0x0F] + apdu("A0 00 00 00 30 29 05 70 00 AD 13 10 01 01 FF")) == [0x90, 0x00])
        let cardDataResponse = card.process(apdu("80 E4 00 00 1C"))
        let cardData = try CardData(bytes: body(cardDataResponse))
        #expect(cardData.serialNumber == image.chipSerial)
        #expect(cardData.appletVersion.rawValue == image.applet.cardDataByte)
        #expect(BelgianEID.EIDCard.atrLooksLikeEID(image.atr))

        let files = try Self.readAll(&card)
        let contents = try EIDCardContents(cardData: cardData, files: files)
        #expect(contents.identity.chipNumber == image.chipSerial)
        let report = contents.verifyIntegrity()
        #expect(report.isValid, "\(report.failures)")

        // PKCS#15: parse, and compare with BelgianEID's own encoders of the same spec.
        let tokenInfo = try PKCS15.TokenInfo(der: try #require(files[.tokenInfo]))
        #expect(tokenInfo.serialNumber == image.chipSerial)
        #expect(tokenInfo.label == "BELPIC")
        #expect(files[.dir] == PKCS15.DirectoryRecord.belpic.derBytes())
        #expect(try PKCS15.parseODF(try #require(files[.odf])) == PKCS15.belpicODFEntries)
        #expect(files[.aodf] == PKCS15.PINObject.belpicBasicPIN.derBytes())
        let keyType: PKCS15.PrivateKeyObject.KeyType = image.applet.isEC ? .ec : .rsa
        let keySize = image.applet.isEC ? 384 : 2048
        #expect(files[.prkdf] == PKCS15.belpicPrKDF(keyType: keyType, keySize: keySize, includeSignatureKey: image.signKey != nil))
        let prkdf = try PKCS15.parsePrKDF(try #require(files[.prkdf]))
        #expect(prkdf.compactMap(\.keyReference) == (image.signKey != nil ? [0x82, 0x83] : [0x82]))
        let cdf = try #require(files[.cdf])
        let expectedCDF = try PKCS15.belpicCDF(
            authentication: !(files[.authenticationCertificate] ?? []).isEmpty,
            signature: !(files[.signatureCertificate] ?? []).isEmpty,
            ca: !(files[.caCertificate] ?? []).isEmpty, root: !(files[.rootCertificate] ?? []).isEmpty,
            paddedTo: cdf.count
        )
        #expect(cdf == expectedCDF)
        for entry in try PKCS15.parseCDF(cdf) {
            let fid = UInt16(entry.path[4]) << 8 | UInt16(entry.path[5])
            let certificate = try #require(image.file([0xDF00, fid]))
            #expect(certificate.first == 0x30, "CDF points at a present certificate")
        }
    }

    @Test("authentication signature verifies with the card's certificate", arguments: profiles)
    func signWithCertificate(name: String) throws {
        let image = try Self.load(name)
        guard image.initialPINTries > 0, image.authKey != nil,
              let der = image.file(CardImage.Path.authCertificate), der.first == 0x30
        else { return }
        let certificate = try Certificate(paddedDER: der)
        var card = EIDCardEmulator(image: image)
        let pin = try #require(Self.pin(of: name))
        #expect(card.process(verifyAPDU(pin)) == [0x90, 0x00])
        let key = try certificate.publicKey()
        if image.applet.isEC {
            #expect(card.process(mseAPDU(algorithm: 0x02, key: 0x82)) == [0x90, 0x00])
            let digest = DigestAlgorithm.sha384.hash([1, 2, 3])
            let raw = try card.sign(digest).get()
            #expect(key.verify(signature: try ECDSASignatureFormat.der(fromRaw: raw), digest: digest, algorithm: .sha384))
        } else {
            #expect(card.process(mseAPDU(algorithm: 0x01, key: 0x82)) == [0x90, 0x00])
            let digest = DigestAlgorithm.sha256.hash([1, 2, 3])
            let signature = try card.sign(try HashAlgorithm.sha256.digestInfo(for: digest)).get()
            #expect(key.verify(signature: signature, digest: digest, algorithm: .sha256))
        }
        if image.applet.isEC, let basic = image.file(CardImage.Path.basicPublicKey) {
            let challenge = SecureRandom.bytes(48)
            #expect(card.process([0x00, 0x88, 0x02, 0x81, 0x32, 0x94, 0x30] + challenge) == [0x61, 0x60])
            let raw = body(card.process(apdu("00 C0 00 00 60")))
            let basicKey = try PublicKey(spkiDER: basic)
            #expect(basicKey.verify(signature: try ECDSASignatureFormat.der(fromRaw: raw), digest: challenge, algorithm: .sha384))
        }
    }

    @Test("key/certificate mismatches are refused with .keyMismatch")
    func mismatch() throws {
        let url = Fixtures.cardsDirectory.appendingPathComponent("specimen-1.7.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let profile = try CardProfile.load(from: url)
        let material = try CardMaterial.load(for: profile, relativeTo: Fixtures.cardsDirectory)
        #expect(material.authCertificate != nil)

        var swapped = material
        swapped.authKey = Fixtures.rsaSign
        #expect(throws: VirtualCardError(.keyMismatch, "")) { try CardImage(profile: profile, material: swapped) }
        do {
            _ = try CardImage(profile: profile, material: swapped)
        } catch {
            #expect(error.reason.contains("auth"))
            #expect(!error.description.contains(profile.pin))
        }
        var noKey = material
        noKey.signKey = nil
        #expect(throws: VirtualCardError(.keyMismatch, "")) { try CardImage(profile: profile, material: noKey) }
        var wrongRRN = material
        wrongRRN.rrnKey = Fixtures.rsaRRN
        #expect(throws: VirtualCardError(.keyMismatch, "")) { try CardImage(profile: profile, material: wrongRRN) }
        #expect(throws: Never.self) { try CardImage(profile: profile, material: material) }
    }

    static func pin(of name: String) -> String? {
        guard let data = try? Data(contentsOf: Fixtures.cardsDirectory.appendingPathComponent(name)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["pin"] as? String
    }
}
