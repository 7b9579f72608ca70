import CryptoCore
import Testing
@testable import VirtualCard

/// SplitMix64: small, seeded, reproducible.
typealias SeededGenerator = SeededRandom

@Suite("Fuzz")
struct FuzzTests {
    static let instructions: [UInt8] = [0xA4, 0xB0, 0xE4, 0x20, 0x24, 0x22, 0x2A, 0xC0, 0x88, 0x84, 0xE6, 0xB2]

    static func randomAPDU(_ rng: inout SeededGenerator) -> [UInt8] {
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            return bytes(Int.random(in: 0...300, using: &rng))  // anything at all
        case 1:
            return bytes(Int.random(in: 0...6, using: &rng))  // very short
        case 2:
            return verifyAPDU(Int.random(in: 0..<4, using: &rng) == 0 ? "1234" : "0000")
        case 3:
            return mseAPDU(
                algorithm: [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40].randomElement(using: &rng)!,
                key: [0x81, 0x82, 0x83].randomElement(using: &rng)!
            )
        default:
            // Well-formed header of a known command, random parameters and a consistent body.
            let cla: UInt8 = [0x00, 0x80, 0x00, 0x80, 0x0C].randomElement(using: &rng)!
            let ins = instructions.randomElement(using: &rng)!
            var command: [UInt8] = [cla, ins]
            command += Int.random(in: 0..<2, using: &rng) == 0
                ? bytes(2) : [[0x00, 0x00], [0x02, 0x0C], [0x08, 0x0C], [0x9E, 0x9A], [0x00, 0x01], [0x02, 0x81]].randomElement(using: &rng)!
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: break
            case 1: command.append(UInt8.random(in: 0...255, using: &rng))
            case 2:
                let n = Int.random(in: 1...255, using: &rng)
                command += [UInt8(n)] + bytes(n)
            default:
                let n = Int.random(in: 1...80, using: &rng)
                command += [UInt8(n)] + bytes(n) + [UInt8.random(in: 0...255, using: &rng)]
            }
            return command
        }
    }

    @Test("20,000 random APDUs never crash and always answer ≥ 2 bytes", arguments: CardApplet.allCases)
    func fuzz(applet: CardApplet) {
        var rng = SeededGenerator(seed: applet == .v17 ? 0x5EED_0017 : 0x5EED_0018)
        var card = Fixtures.emulator(applet)
        var statusWords: Set<UInt16> = []
        for i in 0..<20_000 {
            let command = Self.randomAPDU(&rng)
            let response = card.process(command)
            #expect(response.count >= 2, "APDU \(command) gave \(response)")
            if response.count < 2 { break }
            statusWords.insert(sw(response))
            if i % 997 == 0 { card.reset() }
        }
        // Sanity: the fuzzer reached a variety of paths.
        #expect(statusWords.count > 10)
    }
}
