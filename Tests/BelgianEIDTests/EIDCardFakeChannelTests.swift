import BelgianEID
import CryptoCore
import PCSC
import Testing

/// A scripted card: answers APDUs from a closure and records them; its `control` plays a
/// pin-pad reader (vpcd cannot emulate one, so the part-10 path is tested here).
final class ScriptedChannel: CardChannel, @unchecked Sendable {
    let atr: [UInt8]
    var sent: [[UInt8]] = []
    var controls: [(UInt32, [UInt8])] = []
    let answer: ([UInt8]) -> [UInt8]
    let control: (UInt32, [UInt8]) -> [UInt8]

    init(atr: [UInt8] = EIDCard.atrV17, answer: @escaping ([UInt8]) -> [UInt8], control: @escaping (UInt32, [UInt8]) -> [UInt8] = { _, _ in [] }) {
        self.atr = atr
        self.answer = answer
        self.control = control
    }

    func transmit(_ command: CommandAPDU) throws -> ResponseAPDU {
        try CardConnection.exchange(command) { raw in
            sent.append(raw)
            return answer(raw)
        }
    }
    func control(code: UInt32, input: [UInt8]) throws -> [UInt8] {
        controls.append((code, input))
        return control(code, input)
    }
    func withTransaction<R>(_ body: () throws -> R) throws -> R { try body() }

    /// GET CARD DATA for a personalised 1.7 card.
    static let cardData17: [UInt8] = [UInt8](repeating: 0x11, count: 16) + [0x01, 0x02, 0x03, 0x04, 0x05, 0x17, 0x00, 0x03, 0x00, 0x21, 0x01, 0x0F]

    static func basic(_ raw: [UInt8]) -> [UInt8]? {
        if raw.starts(with: [0x80, 0xE4, 0x00, 0x00]) { return cardData17 + [0x90, 0x00] }
        return nil
    }
}

@Suite("EIDCard against a scripted card and a fake pin-pad reader")
struct EIDCardFakeChannelTests {
    static let verifyPINDirect: UInt32 = 0x4233_0006

    func pinPadCard(answer: [UInt8]) -> ScriptedChannel {
        ScriptedChannel(
            answer: { ScriptedChannel.basic($0) ?? [0x6D, 0x00] },
            control: { code, _ in
                if code == PCSCFeature.getFeatureRequest {
                    return [0x06, 0x04, 0x42, 0x33, 0x00, 0x06, 0x12, 0x04, 0x42, 0x33, 0x00, 0x12]
                }
                return code == Self.verifyPINDirect ? answer : [0x6B, 0x80]
            })
    }

    @Test("not an eID ATR is refused before any APDU")
    func wrongATR() {
        let channel = ScriptedChannel(atr: [0x3B, 0x8A, 0x01], answer: { _ in [0x90, 0x00] })
        #expect(throws: EIDError.notBelgianEID("")) { try EIDCard(channel: channel) }
        #expect(channel.sent.isEmpty)
    }

    @Test("the ATR mask accepts the 1.0/1.1/1.7 family and the exact 1.8 ATR")
    func atrMask() {
        #expect(EIDCard.atrLooksLikeEID(EIDCard.atrV17))
        #expect(EIDCard.atrLooksLikeEID([0x3B, 0x98, 0x94, 0x40, 0x0A, 0xA5, 0x03, 0x01, 0x01, 0x01, 0xAD, 0x13, 0x10]))
        #expect(EIDCard.atrLooksLikeEID([0x3B, 0x98, 0x94, 0x40, 0xFF, 0xA5, 0x03, 0x01, 0x01, 0x01, 0xAD, 0x13, 0x10]))
        #expect(EIDCard.atrLooksLikeEID(EIDCard.atrV18))
        #expect(!EIDCard.atrLooksLikeEID(Array(EIDCard.atrV18.dropLast())))
        #expect(!EIDCard.atrLooksLikeEID([0x3B, 0x98, 0x13, 0x40, 0x0A, 0xA5, 0x03, 0x01, 0x01, 0x01, 0xAD, 0x14, 0x11]))
    }

    @Test("pin pad: the PIN_VERIFY_STRUCTURE is the 32 bytes of spec §5.7 and 90 00 verifies")
    func pinPadSuccess() throws {
        let channel = pinPadCard(answer: [0x90, 0x00])
        let card = try EIDCard(channel: channel)
        try card.verifyPINOnPinPad(language: .dutch)
        let sent = try #require(channel.controls.last)
        #expect(sent.0 == Self.verifyPINDirect)
        #expect(sent.1 == [
            0x1E, 0x1E, 0x89, 0x47, 0x04, 0x0C, 0x04, 0x02, 0x01, 0x13, 0x04, 0x00, 0x00, 0x00, 0x00,
            0x0D, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x01, 0x08, 0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ])
    }

    @Test("pin pad outcomes map to typed errors", arguments: [
        ([UInt8]([0x63, 0xC2]), EIDError.Code.pinIncorrect),
        ([0x69, 0x83], .pinBlocked),
        ([0x64, 0x00], .timeout),
        ([0x64, 0x01], .cancelled),
        ([0x64, 0x03], .invalidPIN),
        ([0x6B, 0x80], .unsupported),
        ([0x90], .transport),
    ])
    func pinPadOutcomes(answer: [UInt8], code: EIDError.Code) throws {
        let card = try EIDCard(channel: pinPadCard(answer: answer))
        do {
            try card.verifyPINOnPinPad()
            Issue.record("expected \(code)")
        } catch let e as EIDError {
            #expect(e.code == code)
            if code == .pinIncorrect { #expect(e.triesLeft == 2) }
        }
    }

    @Test("a reader without VERIFY_PIN_DIRECT (like vpcd) is reported as having no pin pad")
    func noPinPad() throws {
        let channel = ScriptedChannel(answer: { ScriptedChannel.basic($0) ?? [0x6D, 0x00] }, control: { _, _ in [0x12, 0x04, 0x42, 0x33, 0x00, 0x12] })
        let card = try EIDCard(channel: channel)
        #expect(throws: EIDError.unsupported("")) { try card.verifyPINOnPinPad() }
    }

    @Test("VERIFY sends the PIN block; wrong PIN and blocked map to typed errors without the PIN")
    func verify() throws {
        var sw: [UInt8] = [0x63, 0xC1]
        let channel = ScriptedChannel(answer: { ScriptedChannel.basic($0) ?? ($0[1] == 0x20 ? sw : [0x6D, 0x00]) })
        let card = try EIDCard(channel: channel)
        do {
            try card.verifyPIN(PIN("4321"))
            Issue.record("expected a wrong PIN")
        } catch let e as EIDError {
            #expect(e.code == .pinIncorrect)
            #expect(e.triesLeft == 1)
            #expect(!e.description.contains("4321"))
        }
        #expect(channel.sent.last == [0x00, 0x20, 0x00, 0x01, 0x08, 0x24, 0x43, 0x21, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        sw = [0x69, 0x83]
        #expect(throws: EIDError.pinBlocked("")) { try card.verifyPIN(PIN("4321")) }
        sw = [0x90, 0x00]
        try card.verifyPIN(PIN("4321"))
        #expect(throws: EIDError.self) { try PIN("12a4") }
        #expect(throws: EIDError.self) { try PIN("123") }
        #expect(throws: EIDError.self) { try PIN("1234567890123") }
        #expect("\(try PIN("1234"))" == "PIN(redacted)")
    }

    @Test("a garbage GET CARD DATA answer is a typed error")
    func garbageCardData() {
        let channel = ScriptedChannel(answer: { _ in [0x01, 0x02, 0x90, 0x00] })
        #expect(throws: EIDError.self) { try EIDCard(channel: channel) }
    }

    @Test("reading stops on a short chunk and maps 6A 82 to fileNotFound")
    func readChunks() throws {
        let file = [UInt8](repeating: 0x41, count: 300)
        let channel = ScriptedChannel(answer: { raw in
            if let b = ScriptedChannel.basic(raw) { return b }
            if raw[1] == 0xA4 { return raw.suffix(2) == [0x40, 0x35] ? [0x90, 0x00] : [0x6A, 0x82] }
            if raw[1] == 0xB0 {
                let offset = Int(raw[2]) << 8 | Int(raw[3])
                let le = raw[4] == 0 ? 256 : Int(raw[4])
                let rest = file.count - offset
                if rest <= 0 { return [0x6B, 0x00] }
                if le > rest { return [0x6C, UInt8(rest)] }
                return Array(file[offset..<(offset + le)]) + [0x90, 0x00]
            }
            return [0x6D, 0x00]
        })
        let card = try EIDCard(channel: channel)
        #expect(try card.read(.photo) == file)
        #expect(throws: EIDError.fileNotFound("")) { try card.read(.identity) }
    }
}
