import CryptoCore
@testable import BelgianEID

/// Deterministic pseudo-random generator (SplitMix64) for the fuzz loops.
typealias SeededGenerator = SeededRandom

extension SeededRandom {
    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

/// Bytes from a hex string (spaces allowed).
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0)
    var out: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        out.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return out
}

/// One TLV field with a UTF-8 value.
func field(_ tag: UInt8, _ value: String) -> [UInt8] {
    let bytes = Array(value.utf8)
    return [tag, UInt8(bytes.count)] + bytes
}

/// One TLV field with a binary value.
func field(_ tag: UInt8, bytes: [UInt8]) -> [UInt8] { [tag, UInt8(bytes.count)] + bytes }

enum Specimen {
    static let chipNumber = hex("534C494E3366001393 0D29C77F032F16")
    static let photoHash = hex("28F3EC53") + [UInt8](repeating: 0xA5, count: 16)

    /// The specimen identity file of §3.6 (179 bytes).
    static let identity: [UInt8] =
        field(0x01, "000000128019") + field(0x02, bytes: chipNumber) + field(0x03, "30.04.2010")
        + field(0x04, "30.04.2015") + field(0x05, "Antwerpen") + field(0x06, "71715100070")
        + field(0x07, "SPECIMEN") + field(0x08, "Alice Geldigekaart") + field(0x09, "A")
        + field(0x0A, "BELG") + field(0x0B, "Hamont-Achel") + field(0x0C, "01 JAN 1971") + field(0x0D, "V")
        + field(0x0E, "") + field(0x0F, "1") + field(0x10, "0") + field(0x11, bytes: photoHash)

    /// A specimen-like address file padded to 121 bytes.
    static let address: [UInt8] = {
        let content = field(0x01, "Meirplaats 1 bus 1") + field(0x02, "2000") + field(0x03, "Antwerpen")
        return content + [UInt8](repeating: 0, count: 121 - content.count)
    }()
}
