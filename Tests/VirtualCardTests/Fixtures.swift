import CryptoCore
import Foundation
import Testing
@testable import VirtualCard

/// Keys and card images built in code (no files needed). Key generation is slow, so each
/// key is made once per test process.
enum Fixtures {
    static let rsaAuth = try! PrivateKey.generateRSA(bits: 2048)
    static let rsaSign = try! PrivateKey.generateRSA(bits: 2048)
    static let rsaRRN = try! PrivateKey.generateRSA(bits: 2048)
    static let ecAuth = try! PrivateKey.generateEC(curve: .p384)
    static let ecSign = try! PrivateKey.generateEC(curve: .p384)
    static let ecRRN = try! PrivateKey.generateEC(curve: .p384)
    static let ecBasic = try! PrivateKey.generateEC(curve: .p384)

    static let serialHex = "534C494E33660013930D29C77F032F16"
    static let photo: [UInt8] = [0xFF, 0xD8] + (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } + [0xFF, 0xD9]

    static let identity = CardProfile.Identity(
        cardNumber: "592000000170", validityBegin: "01.01.2025", validityEnd: "01.01.2035",
        deliveryMunicipality: "Antwerpen", nationalNumber: "71715100070", surname: "Specimen",
        givenNames: "Alice Geldigekaart", thirdInitial: "A", nationality: "BELG", birthLocation: "Hamont-Achel",
        birthDate: "01 JAN 1971", sex: "F", nobleCondition: "", documentType: "1", specialStatus: "0",
        extraTags: ["12": "3030"]
    )
    static let address = CardProfile.Address(streetAndNumber: "Meirbrug 1", zip: "2000", municipality: "Antwerpen")

    static func profile(
        _ applet: CardApplet, pin: String = "1234", tries: Int = 3, photoHash: String? = nil,
        window: Int? = nil
    ) -> CardProfile {
        CardProfile(
            name: "test-\(applet.rawValue)", applet: applet, pin: pin, pinTriesLeft: tries, chipSerial: serialHex,
            photoHash: photoHash, nonRepudiationWindow: window, identity: identity, address: address
        )
    }

    static func material(_ applet: CardApplet, sign: Bool = true) -> CardMaterial {
        switch applet {
        case .v17: CardMaterial(photo: photo, authKey: rsaAuth, signKey: sign ? rsaSign : nil, rrnKey: rsaRRN)
        case .v18: CardMaterial(photo: photo, authKey: ecAuth, signKey: sign ? ecSign : nil, rrnKey: ecRRN, basicKey: ecBasic)
        }
    }

    static let image17 = try! CardImage(profile: profile(.v17), material: material(.v17))
    static let image18 = try! CardImage(profile: profile(.v18), material: material(.v18))

    static func emulator(_ applet: CardApplet) -> EIDCardEmulator {
        EIDCardEmulator(image: applet == .v17 ? image17 : image18)
    }

    /// `Hardware/cards` of this package, located from this source file.
    static let cardsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Hardware/cards")
}

// MARK: - APDU helpers

func apdu(_ hexText: String) -> [UInt8] {
    let digits = hexText.filter { $0.isHexDigit }
    var out: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        out.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return out
}

func sw(_ response: [UInt8]) -> UInt16 {
    guard response.count >= 2 else { return 0 }
    return UInt16(response[response.count - 2]) << 8 | UInt16(response[response.count - 1])
}

func body(_ response: [UInt8]) -> [UInt8] { Array(response.dropLast(2)) }

func pinBlock(_ pin: String) -> [UInt8] {
    var nibbles: [UInt8] = [0x2, UInt8(pin.count)] + pin.utf8.map { $0 - 0x30 }
    while nibbles.count < 16 { nibbles.append(0xF) }
    return stride(from: 0, to: 16, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
}

func verifyAPDU(_ pin: String) -> [UInt8] { [0x00, 0x20, 0x00, 0x01, 0x08] + pinBlock(pin) }

func mseAPDU(algorithm: UInt8, key: UInt8) -> [UInt8] { [0x00, 0x22, 0x41, 0xB6, 0x05, 0x04, 0x80, algorithm, 0x84, key] }

func psoAPDU(_ input: [UInt8], le: Bool = false) -> [UInt8] {
    [0x00, 0x2A, 0x9E, 0x9A, UInt8(input.count)] + input + (le ? [0x00] : [])
}

extension EIDCardEmulator {
    /// SELECT by path (with 3F00) then READ BINARY in 0xFC chunks with 6C handling, eid-mw style.
    mutating func readFile(_ path: [UInt16]) -> [UInt8]? {
        let pathBytes = ([0x3F00] + path).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        guard sw(process([0x00, 0xA4, 0x08, 0x0C, UInt8(pathBytes.count)] + pathBytes)) == 0x9000 else { return nil }
        var content: [UInt8] = []
        while true {
            let offset = content.count
            var response = process([0x00, 0xB0, UInt8(offset >> 8), UInt8(offset & 0xFF), 0xFC])
            if sw(response) >> 8 == 0x6C {
                response = process([0x00, 0xB0, UInt8(offset >> 8), UInt8(offset & 0xFF), UInt8(sw(response) & 0xFF)])
            }
            switch sw(response) {
            case 0x9000:
                content += body(response)
                if response.count - 2 < 0xFC { return content }
            case 0x6B00: return content
            default: return nil
            }
        }
    }

    /// PSO:CDS then GET RESPONSE; returns the signature or the failing status word.
    mutating func sign(_ input: [UInt8], le: Bool = false) -> Result<[UInt8], StatusWordError> {
        let first = process(psoAPDU(input, le: le))
        guard sw(first) >> 8 == 0x61 else { return .failure(StatusWordError(sw: sw(first))) }
        let response = process([0x00, 0xC0, 0x00, 0x00, UInt8(sw(first) & 0xFF)])
        guard sw(response) == 0x9000 else { return .failure(StatusWordError(sw: sw(response))) }
        return .success(body(response))
    }
}

struct StatusWordError: Error, Equatable { let sw: UInt16 }

/// r ‖ s → DER SEQUENCE { r, s } for CryptoCore's verifier.
func derSignature(raw: [UInt8]) -> [UInt8] {
    func integer(_ half: ArraySlice<UInt8>) -> [UInt8] {
        var value = Array(half.drop { $0 == 0 })
        if value.isEmpty { value = [0] }
        if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return [0x02, UInt8(value.count)] + value
    }
    let half = raw.count / 2
    let content = integer(raw[..<half]) + integer(raw[half...])
    return content.count < 0x80 ? [0x30, UInt8(content.count)] + content : [0x30, 0x81, UInt8(content.count)] + content
}

/// Parses a 1-byte-tag/1-byte-length TLV file into (tag, value) pairs, stopping at padding.
func tlvFields(_ bytes: [UInt8]) -> [(tag: UInt8, value: [UInt8])] {
    var out: [(UInt8, [UInt8])] = []
    var i = 0
    while i + 2 <= bytes.count {
        let tag = bytes[i], length = Int(bytes[i + 1])
        if tag == 0 && length == 0 { break }
        guard i + 2 + length <= bytes.count else { break }
        out.append((tag, Array(bytes[i + 2..<i + 2 + length])))
        i += 2 + length
    }
    return out
}
