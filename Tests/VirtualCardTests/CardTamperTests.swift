import BelgianEID
import CryptoCore
import Foundation
import Testing
import VirtualCard

/// `CardTamper` without pcscd: each forgery, read through the emulator, fails exactly its check
/// of `EIDCardContents.verifyIntegrity(trustedRoots:)`; the chip check is done by hand here.
@Suite("Tampered card images")
struct CardTamperTests {
    static let hardware = Fixtures.cardsDirectory.deletingLastPathComponent()
    static let roots: [Certificate] = ["rsa", "ec"].map {
        try! Certificate(pem: String(contentsOf: hardware.appendingPathComponent("test-pki/\($0)/root.crt"), encoding: .utf8))
    }

    /// The contents checks that must fail (the basic-key challenge needs the card: see `chip`).
    static let expected: [CardTamper: Set<IntegrityReport.Check>] = [
        .identity: [.identitySignature], .address: [.addressSignature], .addressUnpadded: [.addressSignature],
        .photo: [.photoHash], .identityOtherRRN: [.identitySignature, .addressSignature], .rrnOtherRoot: [.rrnCertificate],
        .rogueRoot: [.rootCertificate], .basicKeyFile: [.basicKeyHash], .basicKeyChallenge: [],
    ]

    static func contents(_ image: CardImage) throws -> (EIDCardContents, EIDCardEmulator) {
        var card = EIDCardEmulator(image: image)
        let cardData = try CardData(bytes: Array(card.process([0x80, 0xE4, 0x00, 0x00, 0x1C]).dropLast(2)))
        return (try EIDCardContents(cardData: cardData, files: try ProfileCrossCheckTests.readAll(&card)), card)
    }

    @Test("text forms parse; unknown ones are refused with the list")
    func parsing() throws {
        for tamper in CardTamper.allCases { #expect(try CardTamper(parsing: " \(tamper.rawValue.uppercased()) ") == tamper) }
        #expect(throws: VirtualCardError(.badField, "")) { try CardTamper(parsing: "everything") }
    }

    @Test("each forgery fails exactly its check", arguments: CardTamper.allCases)
    func forgery(_ tamper: CardTamper) throws {
        for profile in ["specimen-1.8.json", "specimen-1.7.json"] {
            let image = try ProfileCrossCheckTests.load(profile)
            guard image.applet == .v18 || ![.basicKeyFile, .basicKeyChallenge].contains(tamper) else {
                #expect(throws: VirtualCardError(.unsupported, "")) { try tamper.apply(to: image, hardware: Self.hardware) }
                continue
            }
            let (contents, _) = try Self.contents(try tamper.apply(to: image, hardware: Self.hardware))
            let failed = Set(contents.verifyIntegrity(trustedRoots: Self.roots).failures.map(\.check))
            #expect(failed == Self.expected[tamper], "\(profile) \(tamper): \(failed)")
            // Without trusted roots the rogue root is invisible: the card vouches for itself.
            if tamper == .rogueRoot { #expect(contents.verifyIntegrity().isValid) }
        }
    }

    @Test("basic-key-challenge: the chip's INTERNAL AUTHENTICATE answer does not verify with file 4040; genuine and basic-key-file ones do")
    func chip() throws {
        let image = try ProfileCrossCheckTests.load("specimen-1.8.json")
        for (tamper, verifies) in [(nil, true), (CardTamper.basicKeyFile, true), (.basicKeyChallenge, false)] {
            let (contents, emulator) = try Self.contents(try tamper.map { try $0.apply(to: image, hardware: Self.hardware) } ?? image)
            var card = emulator
            let nonce = SecureRandom.bytes(48)
            var answer = card.process([0x00, 0x88, 0x02, 0x81, 0x32, 0x94, 0x30] + nonce)
            #expect(answer.count == 2 && answer[0] == 0x61)
            answer = card.process([0x00, 0xC0, 0x00, 0x00, answer[1]])
            let der = try ECDSASignatureFormat.der(fromRaw: Array(answer.dropLast(2)))
            let key = try PublicKey(spkiDER: try #require(contents.files[.basicPublicKey]))
            #expect(key.verify(signature: der, digest: nonce, algorithm: .sha384) == verifies, "\(tamper.map(\.rawValue) ?? "genuine")")
        }
    }
}
