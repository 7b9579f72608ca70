import CryptoCore
import Testing

@testable import BelgianEID

@Suite("ECDSASignatureFormat")
struct ECDSASignatureFormatTests {
    @Test("small example: leading zeros stripped, high bit gets 00")
    func smallExample() throws {
        let raw = hex("00 01 02 03") + hex("80 00 00 01")
        let der = try ECDSASignatureFormat.der(fromRaw: raw)
        #expect(der == hex("30 0C 02 03 01 02 03 02 05 00 80 00 00 01"))
        #expect(try ECDSASignatureFormat.raw(fromDER: der, componentSize: 4) == raw)
    }

    @Test("P-384 round trips with leading-zero and high-bit components")
    func p384RoundTrips() throws {
        var rng = SeededGenerator(seed: 0x384)
        for iteration in 0..<500 {
            var r = rng.bytes(count: 48)
            var s = rng.bytes(count: 48)
            switch iteration % 5 {
            case 0:
                r[0] = 0x00
                r[1] = 0x00
                r[2] |= 0x01
            case 1:
                r[0] |= 0x80
                s[0] |= 0x80
            case 2:
                s[0] = 0x00
                s[1] = 0x7F
            case 3:
                s[0] = 0x00
                s[1] = 0x80
            default: break
            }
            if r.allSatisfy({ $0 == 0 }) { r[47] = 1 }
            if s.allSatisfy({ $0 == 0 }) { s[47] = 1 }
            let der = try ECDSASignatureFormat.der(fromRaw: r + s)
            #expect(der[0] == 0x30)
            #expect(try ECDSASignatureFormat.raw(fromDER: der, componentSize: 48) == r + s)
            let padded = der + [UInt8](repeating: 0, count: 256 - der.count)
            #expect(try ECDSASignatureFormat.trimZeroPadding(padded) == der)
            #expect(try ECDSASignatureFormat.trimZeroPadding(der) == der)
        }
    }

    @Test("high-bit components grow to 49 bytes in DER")
    func highBit() throws {
        let raw = [UInt8](repeating: 0xFF, count: 96)
        let der = try ECDSASignatureFormat.der(fromRaw: raw)
        #expect(der.count == 2 + 2 * (2 + 49))
        #expect(der[1] == 0x66)
        #expect(der[2...4] == [0x02, 0x31, 0x00])
    }

    @Test("P-521 uses the long-form length 0x81")
    func longForm() throws {
        let raw = [UInt8](repeating: 0x01, count: 66) + [UInt8](repeating: 0xFF, count: 66)
        let der = try ECDSASignatureFormat.der(fromRaw: raw)
        #expect(der[0...1] == [0x30, 0x81])
        #expect(Int(der[2]) == der.count - 3)
        #expect(try ECDSASignatureFormat.raw(fromDER: der, componentSize: 66) == raw)
        #expect(try ECDSASignatureFormat.trimZeroPadding(der + [0, 0, 0, 0]) == der)
    }

    @Test("raw input checks")
    func rawChecks() {
        for raw in [[], [1], [1, 2, 3], [UInt8](repeating: 1, count: 266)] as [[UInt8]] {
            #expect(throws: EIDError.invalidSignatureFormat("")) { try ECDSASignatureFormat.der(fromRaw: raw) }
        }
        #expect(throws: EIDError.invalidSignatureFormat("")) {
            try ECDSASignatureFormat.der(fromRaw: [0, 0, 0, 1])
        }
    }

    @Test(
        "malformed DER is rejected",
        arguments: [
            "",
            "30",
            "31 06 02 01 01 02 01 01",  // not a SEQUENCE
            "30 06 02 01 01 02 01",  // truncated
            "30 07 02 01 01 02 01 01",  // length beyond end
            "30 06 02 01 01 02 01 01 00",  // trailing byte
            "30 06 02 01 81 02 01 01",  // negative r
            "30 07 02 02 00 01 02 01 01",  // non-minimal r
            "30 06 02 01 00 02 01 01",  // zero r
            "30 03 02 01 01",  // one integer
            "30 09 02 01 01 02 01 01 02 01 01",  // three integers
            "30 06 04 01 01 02 01 01",  // OCTET STRING instead of INTEGER
            "30 80 02 01 01 02 01 01 00 00",  // indefinite length
            "30 81 06 02 01 01 02 01 01",  // non-minimal long form
        ]
    )
    func malformedDER(_ text: String) {
        #expect(throws: EIDError.self) { try ECDSASignatureFormat.raw(fromDER: hex(text), componentSize: 48) }
        do {
            _ = try ECDSASignatureFormat.raw(fromDER: hex(text), componentSize: 48)
        } catch {
            #expect(error.code == .invalidSignatureFormat)
        }
    }

    @Test("integers longer than the component size are rejected")
    func tooLong() throws {
        let der = try ECDSASignatureFormat.der(fromRaw: [UInt8](repeating: 0x7F, count: 96))
        #expect(throws: EIDError.invalidSignatureFormat("")) {
            try ECDSASignatureFormat.raw(fromDER: der, componentSize: 32)
        }
        #expect(throws: EIDError.invalidSignatureFormat("")) {
            try ECDSASignatureFormat.raw(fromDER: der, componentSize: 0)
        }
    }

    @Test("zero padding trimming rejects bad input")
    func trimErrors() throws {
        let der = try ECDSASignatureFormat.der(fromRaw: [UInt8](repeating: 0x42, count: 96))
        #expect(throws: EIDError.invalidSignatureFormat("")) {
            try ECDSASignatureFormat.trimZeroPadding(der + [0, 0, 1])
        }
        #expect(throws: EIDError.invalidSignatureFormat("")) {
            try ECDSASignatureFormat.trimZeroPadding([UInt8](repeating: 0, count: 256))
        }
        #expect(throws: EIDError.invalidSignatureFormat("")) { try ECDSASignatureFormat.trimZeroPadding([]) }
        #expect(throws: EIDError.truncatedTLV("")) { try ECDSASignatureFormat.trimZeroPadding(Array(der.prefix(50))) }
        #expect(throws: EIDError.invalidSignatureFormat("")) {
            try ECDSASignatureFormat.trimZeroPadding(hex("30 03 02 01 01 00 00"))
        }
    }

    @Test("random bytes never crash the converters")
    func fuzz() {
        var rng = SeededGenerator(seed: 0xEC)
        for iteration in 0..<4000 {
            var bytes = rng.bytes(count: Int.random(in: 0...120, using: &rng))
            if iteration % 2 == 0, let der = try? ECDSASignatureFormat.der(fromRaw: rng.bytes(count: 96)) {
                bytes = der + [0, 0]
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
            _ = try? ECDSASignatureFormat.raw(fromDER: bytes, componentSize: 48)
            _ = try? ECDSASignatureFormat.trimZeroPadding(bytes)
            _ = try? ECDSASignatureFormat.der(fromRaw: bytes)
        }
    }
}
