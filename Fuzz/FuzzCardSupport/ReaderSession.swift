import BelgianEID
import Foundation
import FuzzSupport
import PCSC
import VirtualCard

/// What a reader does with an eID card, the same steps for the fuzz targets and for recording
/// their seeds from the virtual card: recognise it (GET CARD DATA), read every file, ask the PIN
/// status, verify the PIN, sign a challenge (and on 1.8 run INTERNAL AUTHENTICATE with the
/// basic key), log off.
public enum ReaderSession {
    public static let pin = "1234"

    /// Runs the steps; failures of single steps are ignored, as a fuzzed card fails most of them.
    public static func run(on channel: any CardChannel, photo: Bool) {
        guard let card = try? EIDCard(channel: channel) else { return }
        _ = try? card.readAll(includePhoto: photo)
        _ = try? card.pinStatus()
        if let pin = try? PIN(pin) { _ = try? card.verifyPIN(pin) }
        _ = try? card.signChallenge([UInt8](repeating: 0x5A, count: 32))
        if card.applet.isEC { _ = try? card.internalAuthenticate([UInt8](repeating: 0xA5, count: 48)) }
        _ = try? card.logOff()
    }

    /// A virtual card of `Hardware/cards/<profile>.json`.
    public static func emulator(_ profile: String) throws -> EIDCardEmulator {
        let url = FuzzDriver.repositoryRoot.appendingPathComponent("Hardware/cards/\(profile).json")
        return EIDCardEmulator(image: try CardImage.load(profileURL: url))
    }

    /// One recorded session with a virtual card: the raw commands sent and responses received.
    public static func record(_ profile: String, photo: Bool) throws -> (commands: [[UInt8]], responses: [[UInt8]]) {
        let channel = RecordingChannel(emulator: try emulator(profile))
        run(on: channel, photo: photo)
        return (channel.commands, channel.responses)
    }
}

/// A card channel wired straight to an ``EIDCardEmulator`` that records the traffic.
public final class RecordingChannel: CardChannel, @unchecked Sendable {
    public var emulator: EIDCardEmulator
    public private(set) var commands: [[UInt8]] = []
    public private(set) var responses: [[UInt8]] = []

    public init(emulator: EIDCardEmulator) {
        self.emulator = emulator
    }

    public var atr: [UInt8] { emulator.atr }

    public func transmit(_ command: CommandAPDU) throws -> ResponseAPDU {
        try CardConnection.exchange(command) { raw in
            let response = emulator.process(raw)
            commands.append(raw)
            responses.append(response)
            return response
        }
    }

    public func control(code: UInt32, input: [UInt8]) throws -> [UInt8] { [] }

    public func withTransaction<R>(_ body: () throws -> R) throws -> R { try body() }
}
