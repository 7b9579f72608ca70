import CryptoCore
import Testing
@testable import VirtualCard

/// The §5.5 access model: key 82 "PIN once", key 83 "PIN just before" (window 0 on 1.7, 1 on 1.8).
@Suite("PIN access model")
struct PINModelTests {
    /// Runs a script of named commands; returns the final status word of every "sign"
    /// (PSO:CDS, plus GET RESPONSE when it answered 61xx).
    static func script(_ applet: CardApplet, _ commands: [String]) -> [UInt16] {
        var card = Fixtures.emulator(applet)
        let algorithm: UInt8 = applet == .v17 ? 0x08 : 0x02
        let hash = applet == .v17 ? DigestAlgorithm.sha256.hash([7]) : DigestAlgorithm.sha384.hash([7])
        var results: [UInt16] = []
        for command in commands {
            switch command {
            case "mse82": _ = card.process(mseAPDU(algorithm: algorithm, key: 0x82))
            case "mse83": _ = card.process(mseAPDU(algorithm: algorithm, key: 0x83))
            case "verify": _ = card.process(verifyAPDU("1234"))
            case "wrong": _ = card.process(verifyAPDU("0000"))
            case "empty": _ = card.process(apdu("00 20 00 01"))
            case "read": _ = card.process(apdu("80 E4 00 00 1C"))
            case "logoff": _ = card.process(apdu("80 E6 00 00"))
            case "reset": card.reset()
            case "change": _ = card.process([0x00, 0x24, 0x00, 0x01, 0x10] + pinBlock("1234") + pinBlock("1234"))
            case "sign":
                // PSO only; GET RESPONSE is fetched right after (it does not matter for rights).
                let first = card.process(psoAPDU(hash))
                if sw(first) >> 8 == 0x61 {
                    let response = card.process([0x00, 0xC0, 0x00, 0x00, UInt8(sw(first) & 0xFF)])
                    results.append(sw(response))
                } else {
                    results.append(sw(first))
                }
            default: fatalError("unknown step \(command)")
            }
        }
        return results
    }

    @Test("authentication key: PIN once", arguments: CardApplet.allCases)
    func authOnce(applet: CardApplet) {
        #expect(Self.script(applet, ["mse82", "sign"]) == [0x6982])
        #expect(Self.script(applet, ["mse82", "verify", "sign", "sign", "read", "read", "sign"]) == [0x9000, 0x9000, 0x9000])
        #expect(Self.script(applet, ["verify", "read", "read", "mse82", "sign"]) == [0x9000], "any time earlier")
        #expect(Self.script(applet, ["mse82", "verify", "sign", "logoff", "sign"]) == [0x9000, 0x6982])
        #expect(Self.script(applet, ["mse82", "verify", "sign", "wrong", "sign"]) == [0x9000, 0x6982])
        #expect(Self.script(applet, ["mse82", "verify", "sign", "reset", "mse82", "sign"]) == [0x9000, 0x6982])
        #expect(Self.script(applet, ["mse82", "change", "sign"]) == [0x9000], "CHANGE grants like VERIFY")
        #expect(Self.script(applet, ["mse82", "verify", "empty", "sign"]) == [0x9000], "empty VERIFY changes nothing")
    }

    @Test("non-repudiation key: VERIFY immediately before (1.7)")
    func nonRep17() {
        #expect(Self.script(.v17, ["mse83", "sign"]) == [0x6982])
        #expect(Self.script(.v17, ["mse83", "verify", "sign"]) == [0x9000])
        #expect(Self.script(.v17, ["mse83", "verify", "sign", "sign"]) == [0x9000, 0x6982], "every signature needs a VERIFY")
        #expect(Self.script(.v17, ["mse83", "verify", "sign", "verify", "sign"]) == [0x9000, 0x9000])
        #expect(Self.script(.v17, ["verify", "mse83", "sign"]) == [0x6982], "window 0: MSE in between is too much")
        #expect(Self.script(.v17, ["mse83", "verify", "read", "sign"]) == [0x6982])
        #expect(Self.script(.v17, ["mse83", "verify", "wrong", "verify", "sign"]) == [0x9000])
        #expect(Self.script(.v17, ["mse83", "verify", "logoff", "sign"]) == [0x6982])
    }

    @Test("non-repudiation key: one command may sit in between (1.8)")
    func nonRep18() {
        #expect(Self.script(.v18, ["mse83", "verify", "sign"]) == [0x9000])
        #expect(Self.script(.v18, ["verify", "mse83", "sign"]) == [0x9000])
        #expect(Self.script(.v18, ["mse83", "verify", "read", "sign"]) == [0x9000])
        #expect(Self.script(.v18, ["mse83", "verify", "read", "read", "sign"]) == [0x6982])
        #expect(Self.script(.v18, ["mse83", "verify", "sign", "sign"]) == [0x9000, 0x6982])
    }

    @Test("window is configurable (1.8 with window 0)")
    func window0On18() throws {
        let image = try CardImage(profile: Fixtures.profile(.v18, window: 0), material: Fixtures.material(.v18))
        var card = EIDCardEmulator(image: image)
        _ = card.process(verifyAPDU("1234"))
        _ = card.process(apdu("80 E4 00 00 1C"))
        _ = card.process(mseAPDU(algorithm: 0x02, key: 0x83))
        #expect(card.process(psoAPDU(DigestAlgorithm.sha384.hash([1]))) == [0x69, 0x82])
    }

    @Test("mixed use (§5.5 examples)", arguments: CardApplet.allCases)
    func mixed(applet: CardApplet) {
        // Accepted: VERIFY, sign(auth), VERIFY, sign(nonrep), sign(auth).
        #expect(Self.script(applet, ["mse82", "verify", "sign", "mse83", "verify", "sign", "mse82", "sign"]) == [0x9000, 0x9000, 0x9000])
        // Refused: VERIFY, sign(nonrep), sign(auth) — a VERIFY consumed by non-repudiation
        // does not grant the "once" right.
        #expect(Self.script(applet, ["mse83", "verify", "sign", "mse82", "sign"]) == [0x9000, 0x6982])
        // A VERIFY not used for non-repudiation becomes the once right.
        #expect(Self.script(applet, ["mse83", "verify", "read", "read", "mse82", "sign"]) == [0x9000])
        // commons-eid retry: sign → 6982 → VERIFY → sign, without repeating MSE SET.
        #expect(Self.script(applet, ["mse83", "sign", "verify", "sign"]) == [0x6982, 0x9000])
    }
}
