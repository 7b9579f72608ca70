import CPCSC

/// What `SCardGetStatusChange` reports about one reader.
public struct ReaderState: Sendable, Equatable {
    /// The pseudo reader through which pcscd announces readers being plugged or unplugged.
    public static let plugAndPlayReader = "\\\\?PnP?\\Notification"

    public let reader: String
    /// The state the caller last saw (fed back into the next wait).
    public var currentState: UInt
    /// The state pcscd reports now; the upper 16 bits count events on this reader.
    public var eventState: UInt
    public var atr: [UInt8]

    public init(reader: String, currentState: UInt = UInt(SCARD_STATE_UNAWARE)) {
        self.reader = reader
        self.currentState = currentState
        eventState = 0
        atr = []
    }

    private func has(_ flag: Int32) -> Bool { eventState & UInt(flag) != 0 }
    public var isPresent: Bool { has(SCARD_STATE_PRESENT) }
    public var isEmpty: Bool { has(SCARD_STATE_EMPTY) }
    public var isChanged: Bool { has(SCARD_STATE_CHANGED) }
    public var isInUse: Bool { has(SCARD_STATE_INUSE) }
    public var isExclusive: Bool { has(SCARD_STATE_EXCLUSIVE) }
    public var isMute: Bool { has(SCARD_STATE_MUTE) }
    public var isUnavailable: Bool { has(SCARD_STATE_UNAVAILABLE) }
    public var isUnknown: Bool { has(SCARD_STATE_UNKNOWN) }
    /// pcscd's per-reader event counter (upper 16 bits of the event state).
    public var eventCount: Int { Int(eventState >> 16) }

    /// Accepts the reported state as known, so the next wait blocks until something new happens.
    public mutating func acknowledge() { currentState = eventState & ~UInt(SCARD_STATE_CHANGED) }
}

/// A change seen by ``CardMonitor``.
public enum ReaderEvent: Sendable, Equatable, CustomStringConvertible {
    case readerAttached(reader: String)
    case readerDetached(reader: String)
    case cardInserted(reader: String, atr: [UInt8])
    case cardRemoved(reader: String)

    public var description: String {
        switch self {
        case .readerAttached(let r): "reader attached: \(r)"
        case .readerDetached(let r): "reader detached: \(r)"
        case .cardInserted(let r, let atr): "card inserted: \(r) ATR \(atr.hex)"
        case .cardRemoved(let r): "card removed: \(r)"
        }
    }
}
