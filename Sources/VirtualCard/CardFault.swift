import CryptoCore
import Foundation

/// A misbehaviour of the virtual card, for fault-injection tests through the real pcscd.
///
/// A fault is an ``Action`` that starts at a ``Trigger``: `garbage@read` answers every APDU
/// from the first READ BINARY on with random bytes, `pull@signature` pulls the card when the
/// PSO: COMPUTE DIGITAL SIGNATURE command arrives (without answering it), `slow=3000` answers
/// every APDU 3 s late. Control messages (power, ATR) are not affected, so pcscd still sees
/// the card as present; only APDUs are. The one exception is the `atr` trigger: `garbage@atr`
/// answers every ATR request with the same random bytes (a card pcscd cannot make sense of).
///
/// Text form (`sleutel virtual-card run --fault …`): `ACTION[@TRIGGER]` with
/// - ACTION: `garbage` (= `garbage=random`), `garbage=random`, `garbage=short` (one byte, no
///   status word), `garbage=status` (SW `6F 00` to everything), `slow=MS`, `pull`;
/// - TRIGGER: `start` (the first APDU; the default), `read` (the first READ BINARY),
///   `signature` (the first PSO: COMPUTE DIGITAL SIGNATURE), `apdu=N` (the APDU after N answered),
///   `atr` (garbage only: the ATR itself is `garbage=random` 1…33 random bytes or `garbage=short`
///   the lone byte `3B`; APDUs are answered normally);
/// - shorthands: `pull-during-read` = `pull@read`, `pull-during-signature` = `pull@signature`.
public struct CardFault: Sendable, Hashable, CustomStringConvertible {
    /// What the card does wrong.
    public enum Action: Sendable, Hashable {
        /// Answers malformed responses instead of the real ones.
        case garbage(Garbage)
        /// Answers each APDU this much later (beyond the client's timeout, the card "hangs").
        case delay(Duration)
        /// Closes the connection without answering: the card leaves the reader and stays out.
        case pull
    }

    /// The kind of malformed response.
    public enum Garbage: String, Sendable, Hashable, CaseIterable {
        /// 1…64 random bytes (a seeded generator, so runs repeat).
        case random
        /// A single byte: no status word at all.
        case short
        /// A well-formed answer with the status word `6F 00` (no precise diagnosis).
        case status
    }

    /// When the fault starts. Once started, `garbage` and `delay` last for the rest of the
    /// connection's life; `pull` fires once.
    public enum Trigger: Sendable, Hashable {
        /// The first APDU.
        case start
        /// The first READ BINARY (INS `B0`): the card fails in the middle of reading its files.
        case read
        /// The first PSO: COMPUTE DIGITAL SIGNATURE (INS `2A`): the card fails mid-signature.
        case signature
        /// The APDU after `n` answered ones.
        case afterAPDUs(Int)
        /// Not an APDU: the card's ATR is garbage from insertion on (``CardFault/garbageATR``).
        case atr
    }

    public var action: Action
    public var trigger: Trigger

    public init(_ action: Action, at trigger: Trigger = .start) {
        self.action = action
        self.trigger = trigger
    }

    /// Pulls the card when the first READ BINARY arrives.
    public static let pullDuringRead = CardFault(.pull, at: .read)
    /// Pulls the card when the signature command arrives.
    public static let pullDuringSignature = CardFault(.pull, at: .signature)

    /// Parses the text form described on the type.
    /// - Throws: ``VirtualCardError`` `.badField` naming what is wrong.
    public init(parsing text: String) throws(VirtualCardError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch trimmed {
        case "pull-during-read": self = .pullDuringRead; return
        case "pull-during-signature": self = .pullDuringSignature; return
        default: break
        }
        let parts = trimmed.split(separator: "@", maxSplits: 1).map(String.init)
        guard let head = parts.first, !head.isEmpty else { throw Self.bad(text, "no action") }
        let action: Action
        let (name, value) = Self.split(head)
        switch (name, value) {
        case ("garbage", nil): action = .garbage(.random)
        case ("garbage", let kind?):
            guard let garbage = Garbage(rawValue: kind) else { throw Self.bad(text, "garbage kind must be random, short or status") }
            action = .garbage(garbage)
        case ("slow", let ms?):
            guard let value = Int(ms), value > 0, value <= 3_600_000 else { throw Self.bad(text, "slow=MS needs 1…3600000 ms") }
            action = .delay(.milliseconds(value))
        case ("pull", nil): action = .pull
        default: throw Self.bad(text, "unknown action \(head)")
        }
        var trigger = Trigger.start
        if parts.count == 2 {
            switch Self.split(parts[1]) {
            case ("start", nil): trigger = .start
            case ("read", nil): trigger = .read
            case ("signature", nil): trigger = .signature
            case ("apdu", let n?):
                guard let count = Int(n), count >= 0 else { throw Self.bad(text, "apdu=N needs N ≥ 0") }
                trigger = .afterAPDUs(count)
            case ("atr", nil):
                guard action == .garbage(.random) || action == .garbage(.short) else {
                    throw Self.bad(text, "only garbage=random and garbage=short can garble the ATR")
                }
                trigger = .atr
            default: throw Self.bad(text, "unknown trigger \(parts[1])")
            }
        }
        self.init(action, at: trigger)
    }

    public var description: String {
        let action: String
        switch self.action {
        case .garbage(let kind): action = "garbage=\(kind.rawValue)"
        case .delay(let d):
            let (s, a) = d.components
            action = "slow=\(s * 1000 + a / 1_000_000_000_000_000)"
        case .pull: action = "pull"
        }
        switch trigger {
        case .start: return action
        case .read: return action + "@read"
        case .signature: return action + "@signature"
        case .afterAPDUs(let n): return action + "@apdu=\(n)"
        case .atr: return action + "@atr"
        }
    }

    /// True when `apdu` (the next command, `answered` APDUs after insertion) starts the fault.
    func fires(on apdu: [UInt8], answered: Int) -> Bool {
        let ins = apdu.count >= 2 ? apdu[1] : nil
        switch trigger {
        case .start: return true
        case .read: return ins == 0xB0
        case .signature: return ins == 0x2A
        case .afterAPDUs(let n): return answered >= n
        case .atr: return false
        }
    }

    /// The ATR the card answers instead of its own under an `atr` trigger, nil otherwise: the same
    /// bytes for every request (pcscd asks again at every presence poll), never empty (vpcd would
    /// take an empty frame for a removal) and at most 33 bytes (the longest ATR vpcd passes on).
    public var garbageATR: [UInt8]? {
        guard trigger == .atr, case .garbage(let kind) = action else { return nil }
        switch kind {
        case .short: return [0x3B]
        case .status, .random:
            var generator = SeededRandom(seed: 0xA7A7_5EED)
            let count = Int(generator.next() % 33) + 1
            return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
    }

    /// The malformed answer number `index` (deterministic per index).
    static func garbage(_ kind: Garbage, index: UInt64) -> [UInt8] {
        switch kind {
        case .short: return [0x6F]
        case .status: return [0x6F, 0x00]
        case .random:
            var generator = SeededRandom(seed: 0x5EED_F00D &+ index)
            let count = Int(generator.next() % 64) + 1
            return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
    }

    private static func split(_ text: String) -> (String, String?) {
        let pieces = text.split(separator: "=", maxSplits: 1).map(String.init)
        return (pieces.first ?? "", pieces.count == 2 ? pieces[1] : nil)
    }

    private static func bad(_ text: String, _ why: String) -> VirtualCardError {
        VirtualCardError(.badField, "fault \"\(text)\": \(why) (see `sleutel virtual-card run --help`)")
    }
}
