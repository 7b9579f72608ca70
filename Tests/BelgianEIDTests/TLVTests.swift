import CryptoCore
import Testing

@testable import BelgianEID

@Suite("EIDTLV")
struct TLVTests {
    @Test("parses fields in order with offsets")
    func parsesFields() throws {
        let elements = try EIDTLV.parse(field(0x01, "AB") + field(0x03, "") + field(0x7F, "x"))
        #expect(elements.map(\.tag) == [0x01, 0x03, 0x7F])
        #expect(elements.map(\.offset) == [0, 4, 6])
        #expect(elements[0].value == Array("AB".utf8))
        #expect(elements[1].value.isEmpty)
    }

    @Test("empty input and all-zero input give no fields")
    func emptyAndZero() throws {
        #expect(try EIDTLV.parse([]).isEmpty)
        #expect(try EIDTLV.parse([0, 0, 0, 0]).isEmpty)
    }

    @Test("trailing zero padding is ignored")
    func trailingPadding() throws {
        let elements = try EIDTLV.parse(field(0x01, "A") + [0, 0, 0])
        #expect(elements.count == 1)
    }

    @Test("leading tag 0x00 is the file structure version")
    func leadingStructureVersion() throws {
        let elements = try EIDTLV.parse([0x00, 0x02, 0x00, 0x02] + field(0x01, "A"))
        #expect(elements.map(\.tag) == [0x00, 0x01])
        #expect(elements[0].value == [0x00, 0x02])
    }

    @Test("tag 0x00 after the start followed by data is an error")
    func zeroTagInMiddle() {
        #expect(throws: EIDError.invalidTag("")) {
            try EIDTLV.parse(field(0x01, "A") + [0x00, 0x01, 0x41])
        }
        #expect(throws: EIDError.invalidTag("")) {
            try EIDTLV.parse(field(0x01, "A") + [0x00, 0x00, 0x05])
        }
    }

    @Test("out-of-order and repeated tags are errors")
    func ordering() {
        #expect(throws: EIDError.invalidTag("")) { try EIDTLV.parse(field(0x02, "A") + field(0x01, "B")) }
        #expect(throws: EIDError.invalidTag("")) { try EIDTLV.parse(field(0x02, "A") + field(0x02, "B")) }
    }

    @Test("truncated value reports the tag and offset")
    func truncated() {
        do {
            _ = try EIDTLV.parse(field(0x01, "A") + [0x02, 0x05, 0x41])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .truncatedTLV)
            #expect(error.reason.contains("offset 3"))
            #expect(error.reason.contains("0x02"))
        }
        #expect(throws: EIDError.truncatedTLV("")) { try EIDTLV.parse([0x01]) }
        #expect(throws: EIDError.truncatedTLV("")) { try EIDTLV.parse([0x01, 0x7F]) }
    }

    @Test("lengths of 0x80 and above are rejected")
    func longLengths() {
        for length: UInt8 in [0x80, 0x81, 0xFF] {
            #expect(throws: EIDError.invalidLength("")) {
                try EIDTLV.parse([0x01, length] + [UInt8](repeating: 0x41, count: 300))
            }
        }
    }

    @Test("encoder round trip and padding")
    func encoder() throws {
        let elements = [
            EIDTLV.Element(tag: 0x01, value: Array("abc".utf8)), EIDTLV.Element(tag: 0x05, value: []),
        ]
        let bytes = try EIDTLV.encode(elements)
        #expect(bytes == [0x01, 0x03, 0x61, 0x62, 0x63, 0x05, 0x00])
        #expect(try EIDTLV.parse(bytes).map(\.tag) == [0x01, 0x05])
        let padded = try EIDTLV.encode(elements, paddedTo: 10)
        #expect(padded.count == 10)
        #expect(padded.suffix(3) == [0, 0, 0])
        #expect(throws: EIDError.invalidLength("")) { try EIDTLV.encode(elements, paddedTo: 6) }
    }

    @Test("encoder rejects values of 128 bytes or more")
    func encoderLimits() throws {
        let ok = EIDTLV.Element(tag: 0x01, value: [UInt8](repeating: 1, count: 127))
        #expect(try EIDTLV.encode([ok]).count == 129)
        let tooLong = EIDTLV.Element(tag: 0x01, value: [UInt8](repeating: 1, count: 128))
        #expect(throws: EIDError.invalidLength("")) { try EIDTLV.encode([tooLong]) }
    }

    @Test("trailing zeros are trimmed only at the end")
    func trimming() {
        #expect(EIDTLV.trimmingTrailingZeros([1, 0, 2, 0, 0]) == [1, 0, 2])
        #expect(EIDTLV.trimmingTrailingZeros([0, 0]).isEmpty)
    }

    @Test("random bytes never crash the parser")
    func fuzz() {
        var rng = SeededGenerator(seed: 0x7EA1)
        for _ in 0..<4000 {
            let bytes = rng.bytes(count: Int.random(in: 0...64, using: &rng))
            do {
                _ = try EIDTLV.parse(bytes)
            } catch {
                #expect([EIDError.Code.truncatedTLV, .invalidLength, .invalidTag].contains(error.code))
            }
        }
    }
}
