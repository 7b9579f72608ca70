import PCSC

/// What a server with a local card reader reports about it on `/health`.
public struct ReaderHealth: Sendable, Codable, Equatable {
    /// Whether pcscd answered.
    public let pcscdRunning: Bool
    /// Reader names, with whether a card is present.
    public let readers: [Reader]

    public struct Reader: Sendable, Codable, Equatable {
        public let name: String
        public let cardPresent: Bool
        public init(name: String, cardPresent: Bool) {
            self.name = name
            self.cardPresent = cardPresent
        }
    }

    public init(pcscdRunning: Bool, readers: [Reader]) {
        self.pcscdRunning = pcscdRunning
        self.readers = readers
    }

    /// Asks pcscd now, without waiting: its readers and whether each holds a card.
    public static func probe() -> ReaderHealth {
        guard let context = try? PCSCContext(), let names = try? context.readers() else {
            return ReaderHealth(pcscdRunning: false, readers: [])
        }
        var states = names.map { ReaderState(reader: $0) }
        _ = try? context.waitForChange(&states, timeoutMilliseconds: 0)
        return ReaderHealth(pcscdRunning: true, readers: states.map { .init(name: $0.reader, cardPresent: $0.isPresent) })
    }
}
