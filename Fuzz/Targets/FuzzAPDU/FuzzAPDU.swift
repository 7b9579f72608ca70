import BelgianEID
import FuzzSupport
import PCSC

/// libFuzzer target: what a hostile or broken card answers. The input is a stream of raw
/// responses (each a 1-byte length, then that many bytes: data and status word) played back by
/// a card channel to the real eID reading code: GET CARD DATA, SELECT and READ BINARY of every
/// file (with the `61xx` GET RESPONSE and `6Cxx` re-send loops of ``CardConnection/exchange``),
/// the PIN status, a signature, and the reader's part-10 feature list.
@main
enum FuzzAPDU {
    static func main() {
        FuzzDriver.run(fuzzOneInput)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzDriver.bytes(data, size)
    _ = ResponseAPDU(raw: input)?.description
    _ = try? PCSCFeature.parseList(input)
    let atr = input.first.map { $0 & 1 == 0 } == true ? EIDCard.atrV17 : EIDCard.atrV18
    let channel = PlaybackChannel(atr: atr, responses: Array(input.dropFirst()))
    guard let card = try? EIDCard(channel: channel) else { return 0 }
    _ = try? card.readAll(includePhoto: true)
    _ = try? card.pinStatus()
    _ = try? card.signChallenge([UInt8](repeating: 0x5A, count: 32))
    _ = try? card.logOff()
    return 0
}

/// A card that answers each APDU with the next response of the fuzz input; when the input is
/// used up it answers `6F 00` (no precise diagnosis), so every loop in the reader must end.
final class PlaybackChannel: CardChannel, @unchecked Sendable {
    let atr: [UInt8]
    private let responses: [UInt8]
    private var offset = 0

    init(atr: [UInt8], responses: [UInt8]) {
        self.atr = atr
        self.responses = responses
    }

    private func next() -> [UInt8] {
        guard offset < responses.count else { return [0x6F, 0x00] }
        let length = Int(responses[offset])
        let start = offset + 1
        let end = min(responses.count, start + length)
        offset = end
        return Array(responses[start..<end])
    }

    func transmit(_ command: CommandAPDU) throws -> ResponseAPDU {
        try CardConnection.exchange(command) { _ in next() }
    }

    func control(code: UInt32, input: [UInt8]) throws -> [UInt8] { next() }

    func withTransaction<R>(_ body: () throws -> R) throws -> R { try body() }
}
