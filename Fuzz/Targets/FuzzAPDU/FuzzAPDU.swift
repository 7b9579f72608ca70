import BelgianEID
import FuzzCardSupport
import FuzzSupport
import PCSC

/// libFuzzer target: what a hostile or broken card answers. The input is one flags byte (bit 0:
/// ATR of applet 1.7 or 1.8; bit 1: read the photo too) and then a stream of raw responses (each
/// a 2-byte big-endian length, then that many bytes: data and status word) played back by a card
/// channel to the real eID reading code (``ReaderSession``): GET CARD DATA, SELECT and READ
/// BINARY of every file (with the `61xx` GET RESPONSE and `6Cxx` re-send loops of
/// ``CardConnection/exchange``), PIN status and VERIFY, a signature and log-off; plus the
/// reader's part-10 feature list. Seeds: such streams recorded from the virtual specimen cards.
@main
enum FuzzAPDU {
    static func main() {
        FuzzDriver.run(fuzzOneInput) {
            var seeds: [String: [UInt8]] = [:]
            for (profile, flags) in [("specimen-1.7", UInt8(0)), ("specimen-1.8", 1)] {
                let session = try ReaderSession.record(profile, photo: false)
                seeds["\(profile)-session"] = [flags] + FrameStreams.lengthPrefixed(session.responses)
            }
            seeds["features-pinpad"] = [0x06, 0x04, 0x42, 0x33, 0x00, 0x06, 0x12, 0x04, 0x42, 0x33, 0x00, 0x12]
            return seeds
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzDriver.bytes(data, size)
    _ = ResponseAPDU(raw: input)?.description
    _ = try? PCSCFeature.parseList(input)
    let flags = input.first ?? 0
    let channel = PlaybackChannel(atr: flags & 1 == 0 ? EIDCard.atrV17 : EIDCard.atrV18, responses: Array(input.dropFirst()))
    ReaderSession.run(on: channel, photo: flags & 2 != 0)
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
        guard offset + 1 < responses.count else { return [] }
        let length = Int(responses[offset]) << 8 | Int(responses[offset + 1])
        let start = offset + 2
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
