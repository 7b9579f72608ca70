import PCSC
import Testing

@Suite("APDU encoding and T=0 response handling")
struct APDUTests {
    @Test("short and extended command encodings")
    func encodings() {
        #expect(CommandAPDU(cla: 0x80, ins: 0xE6, p1: 0, p2: 0).bytes == [0x80, 0xE6, 0, 0])
        #expect(CommandAPDU(cla: 0x80, ins: 0xE4, p1: 0, p2: 0, le: 0x1C).bytes == [0x80, 0xE4, 0, 0, 0x1C])
        #expect(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 256).bytes == [0, 0xB0, 0, 0, 0])
        #expect(CommandAPDU(cla: 0, ins: 0xA4, p1: 8, p2: 0x0C, data: [0x3F, 0x00]).bytes == [0, 0xA4, 8, 0x0C, 2, 0x3F, 0x00])
        #expect(CommandAPDU(cla: 0, ins: 0x2A, p1: 0x9E, p2: 0x9A, data: [1, 2], le: 256).bytes == [0, 0x2A, 0x9E, 0x9A, 2, 1, 2, 0])
        let ext = CommandAPDU(cla: 0, ins: 0xD6, p1: 0, p2: 0, data: [UInt8](repeating: 7, count: 300), le: 1000).bytes
        #expect(Array(ext.prefix(7)) == [0, 0xD6, 0, 0, 0, 0x01, 0x2C])
        #expect(Array(ext.suffix(2)) == [0x03, 0xE8])
        #expect(ext.count == 4 + 3 + 300 + 2)
    }

    @Test("a sensitive command hides its data when printed")
    func redaction() {
        let verify = CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 1, data: [0x24, 0x12, 0x34, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], isSensitive: true)
        #expect(!verify.description.contains("12 34"))
        #expect(verify.description.contains("8 secret bytes"))
    }

    @Test("response split and status word")
    func response() throws {
        let r = try #require(ResponseAPDU(raw: [1, 2, 0x90, 0x00]))
        #expect(r.data == [1, 2])
        #expect(r.sw == 0x9000)
        #expect(r.isSuccess)
        #expect(ResponseAPDU(raw: [0x90]) == nil)
        #expect(ResponseAPDU(raw: []) == nil)
    }

    @Test("6Cxx re-sends the command with the right Le")
    func wrongLe() throws {
        var sent: [[UInt8]] = []
        let r = try CardConnection.exchange(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 256)) { apdu in
            sent.append(apdu)
            return apdu.last == 0x10 ? [UInt8](repeating: 0xAB, count: 16) + [0x90, 0x00] : [0x6C, 0x10]
        }
        #expect(sent == [[0, 0xB0, 0, 0, 0], [0, 0xB0, 0, 0, 0x10]])
        #expect(r.data.count == 16)
        #expect(r.isSuccess)
    }

    @Test("61xx chains GET RESPONSE and concatenates the data")
    func getResponse() throws {
        var sent: [[UInt8]] = []
        let r = try CardConnection.exchange(CommandAPDU(cla: 0, ins: 0x2A, p1: 0x9E, p2: 0x9A, data: [1])) { apdu in
            sent.append(apdu)
            switch sent.count {
            case 1: return [0x61, 0x00]
            case 2: return [UInt8](repeating: 1, count: 256) + [0x61, 0x04]
            default: return [2, 2, 2, 2, 0x90, 0x00]
            }
        }
        #expect(sent[1] == [0x00, 0xC0, 0, 0, 0x00])
        #expect(sent[2] == [0x00, 0xC0, 0, 0, 0x04])
        #expect(r.data.count == 260)
        #expect(r.sw == 0x9000)
    }

    @Test("a card that answers 61xx forever is cut off with an error, not a hang")
    func endless61() {
        #expect(throws: PCSCError.self) {
            _ = try CardConnection.exchange(CommandAPDU(cla: 0, ins: 0xC0, p1: 0, p2: 0, le: 1)) { _ in [0x61, 0x01] }
        }
    }

    @Test("a one-byte answer is a typed error")
    func shortAnswer() {
        #expect(throws: PCSCError(status: .commError, function: "")) {
            _ = try CardConnection.exchange(CommandAPDU(cla: 0, ins: 0xA4, p1: 0, p2: 0)) { _ in [0x90] }
        }
    }
}

@Suite("PC/SC status codes and part-10 features")
struct PCSCStatusTests {
    @Test("status codes print their C names")
    func names() {
        #expect(PCSCStatus.noService.description == "SCARD_E_NO_SERVICE (0x8010001D)")
        #expect(PCSCStatus.resetCard.name == "SCARD_W_RESET_CARD")
        #expect(PCSCStatus(rawValue: 0x8010_00FF).name == "SCARD_0x801000FF")
        let e = PCSCError(status: .noService, function: "SCardEstablishContext")
        #expect(e.description.contains("pcscd is not running"))
        #expect(PCSCStatus.removedCard.meansCardGone)
        #expect(!PCSCStatus.timeout.meansCardGone)
    }

    @Test("feature list TLVs parse to codes; malformed lists are refused")
    func features() throws {
        // libccid style: VERIFY_PIN_DIRECT 0x42330006, MODIFY_PIN_DIRECT 0x42330007, TLV properties.
        let list: [UInt8] = [0x06, 4, 0x42, 0x33, 0x00, 0x06, 0x07, 4, 0x42, 0x33, 0x00, 0x07, 0x12, 4, 0x42, 0x33, 0x00, 0x12, 0x7F, 4, 0, 0, 0, 1]
        let f = try PCSCFeature.parseList(list)
        #expect(f[.verifyPINDirect] == 0x4233_0006)
        #expect(f[.modifyPINDirect] == 0x4233_0007)
        #expect(f[.getTLVProperties] == 0x4233_0012)
        #expect(f.count == 3)
        #expect(try PCSCFeature.parseList([]).isEmpty)
        #expect(throws: PCSCError.self) { try PCSCFeature.parseList([0x06, 4, 0x42]) }
        #expect(throws: PCSCError.self) { try PCSCFeature.parseList([0x06, 3, 0x42, 0x33, 0x00, 0x06]) }
        #expect(PCSCFeature.getFeatureRequest == 0x4200_0D48)
    }
}
