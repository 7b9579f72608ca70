import CryptoCore
import Testing

@testable import BelgianEID

@Suite("PINBlock")
struct PINBlockTests {
    @Test(
        "examples of §5.2",
        arguments: [
            ("1234", "24 12 34 FF FF FF FF FF"),
            ("12345", "25 12 34 5F FF FF FF FF"),
            ("123456789012", "2C 12 34 56 78 90 12 FF"),
            ("0000", "24 00 00 FF FF FF FF FF"),
            ("98765432109", "2B 98 76 54 32 10 9F FF"),
        ]
    )
    func examples(_ pin: String, _ expected: String) throws {
        let block = try PINBlock(pin: pin)
        #expect(block.bytes == hex(expected))
        #expect(try PINBlock(pin: Array(pin.utf8)).bytes == hex(expected))
        #expect(try PINBlock.digits(fromBlock: hex(expected)) == Array(pin.utf8))
        #expect(try PINBlock(block: hex(expected)).bytes == hex(expected))
    }

    @Test(
        "invalid PINs are rejected without revealing them",
        arguments: [
            "", "123", "1234567890123", "12a4", "12 34", "１２３４", "-1234",
        ]
    )
    func invalidPINs(_ pin: String) {
        do {
            _ = try PINBlock(pin: pin)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidPIN)
            if pin.count >= 2 { #expect(!error.description.contains(pin)) }
        }
    }

    @Test(
        "malformed blocks are rejected",
        arguments: [
            "24 12 34 FF FF FF FF",  // 7 bytes
            "24 12 34 FF FF FF FF FF FF",  // 9 bytes
            "14 12 34 FF FF FF FF FF",  // first nibble 1
            "23 12 3F FF FF FF FF FF",  // length 3
            "2D 12 34 56 78 90 12 3F",  // length 13
            "24 1A 34 FF FF FF FF FF",  // non-BCD digit
            "24 12 34 FE FF FF FF FF",  // fill not F
            "24 12 34 0F FF FF FF FF",  // fill not F
            "20 FF FF FF FF FF FF FF",  // empty template
        ]
    )
    func malformedBlocks(_ text: String) {
        #expect(throws: EIDError.invalidPIN("")) { try PINBlock.digits(fromBlock: hex(text)) }
        #expect(throws: EIDError.invalidPIN("")) { try PINBlock(block: hex(text)) }
    }

    @Test("descriptions are redacted and wipe zeroes the block")
    func redactionAndWipe() throws {
        var block = try PINBlock(pin: "4321")
        #expect(!block.description.contains("43"))
        #expect(!String(reflecting: block).contains("43"))
        var dumped = ""
        dump(block, to: &dumped)
        #expect(!dumped.contains("67"))  // 0x43 = 67 would appear in a byte dump
        block.wipe()
        #expect(block.bytes == [UInt8](repeating: 0, count: 8))
        var buffer: [UInt8] = Array("1234".utf8)
        PINBlock.zero(&buffer)
        #expect(buffer == [0, 0, 0, 0])
        #expect(PINBlock.emptyTemplate == hex("20 FF FF FF FF FF FF FF"))
    }

    @Test("every length from 4 to 12 round-trips")
    func allLengths() throws {
        var rng = SeededGenerator(seed: 0x919)
        for length in 4...12 {
            for _ in 0..<50 {
                let digits = (0..<length).map { _ in UInt8.random(in: 0x30...0x39, using: &rng) }
                let block = try PINBlock(pin: digits)
                #expect(block.bytes[0] == 0x20 | UInt8(length))
                #expect(try PINBlock.digits(fromBlock: block.bytes) == digits)
            }
        }
    }

    @Test("random blocks never crash the decoder")
    func fuzz() {
        var rng = SeededGenerator(seed: 0xB10C)
        for _ in 0..<5000 {
            let bytes = rng.bytes(count: Int.random(in: 0...10, using: &rng))
            do {
                let digits = try PINBlock.digits(fromBlock: bytes)
                #expect((4...12).contains(digits.count))
                #expect(try PINBlock(pin: digits).bytes == bytes)
            } catch {
                #expect(error.code == .invalidPIN)
            }
        }
    }
}
