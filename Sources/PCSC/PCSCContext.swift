import CPCSC
import Glibc
import Synchronization

/// A PC/SC resource-manager context (one connection to pcscd).
///
/// Calls block the calling thread; run them on a dedicated thread or a GCD queue rather
/// than on the Swift concurrency pool. ``cancel()`` may be called from any thread to end a
/// pending ``waitForChange(_:timeoutMilliseconds:)``.
public final class PCSCContext: Sendable {
    let handle: SCARDCONTEXT

    /// Establishes a system-scope context. Throws `SCARD_E_NO_SERVICE` with a clear
    /// message when pcscd is not running.
    public init() throws {
        var ctx: SCARDCONTEXT = 0
        try check(SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &ctx), "SCardEstablishContext")
        handle = ctx
    }

    deinit { SCardReleaseContext(handle) }

    /// True while pcscd still knows this context.
    public var isValid: Bool { SCardIsValidContext(handle) == SCARD_S_SUCCESS }

    /// Names of the connected readers; empty when there are none.
    public func readers() throws -> [String] {
        var len: DWORD = 0
        let rv = SCardListReaders(handle, nil, nil, &len)
        if PCSCStatus(rv) == .noReadersAvailable { return [] }
        try check(rv, "SCardListReaders")
        var buf = [CChar](repeating: 0, count: Int(len))
        let rv2 = SCardListReaders(handle, nil, &buf, &len)
        if PCSCStatus(rv2) == .noReadersAvailable { return [] }
        try check(rv2, "SCardListReaders")
        return buf.prefix(Int(len)).split(separator: 0).map {
            String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Blocks until the state of one of `states` differs from its `currentState`, or the
    /// timeout passes (then throws `SCARD_E_TIMEOUT`). Updates `eventState` and `atr`.
    public func waitForChange(_ states: inout [ReaderState], timeoutMilliseconds: Int) throws {
        guard !states.isEmpty else { return }
        let names = states.map { strdup($0.reader)! }
        defer { names.forEach { free($0) } }
        var raw = states.enumerated().map { i, s -> SCARD_READERSTATE in
            var r = SCARD_READERSTATE()
            r.szReader = UnsafePointer(names[i])
            r.dwCurrentState = DWORD(s.currentState)
            return r
        }
        let timeout = timeoutMilliseconds < 0 ? DWORD(INFINITE) : DWORD(timeoutMilliseconds)
        try check(SCardGetStatusChange(handle, timeout, &raw, DWORD(raw.count)), "SCardGetStatusChange")
        for i in states.indices {
            states[i].eventState = UInt(raw[i].dwEventState)
            states[i].atr = withUnsafeBytes(of: raw[i].rgbAtr) { Array($0.prefix(Int(raw[i].cbAtr))) }
        }
    }

    /// Waits until `reader` has a card (`present`) or is empty, within the timeout.
    @discardableResult
    public func waitForCard(in reader: String, present: Bool, timeoutMilliseconds: Int) throws -> ReaderState {
        var states = [ReaderState(reader: reader)]
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let ms = max(0, Int(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
            try waitForChange(&states, timeoutMilliseconds: ms)
            if states[0].isUnknown {
                throw PCSCError(status: .unknownReader, function: "SCardGetStatusChange", reason: "reader \(reader) is not connected")
            }
            if present ? states[0].isPresent && !states[0].isMute : states[0].isEmpty { return states[0] }
            states[0].acknowledge()
            if ContinuousClock.now >= deadline {
                throw PCSCError(status: .timeout, function: "SCardGetStatusChange")
            }
        }
    }

    /// Ends a pending ``waitForChange(_:timeoutMilliseconds:)`` with `SCARD_E_CANCELLED`.
    public func cancel() { SCardCancel(handle) }

    /// Connects to the card in `reader`, letting the card choose T=0 or T=1 from its ATR.
    public func connect(reader: String, share: ShareMode = .shared, protocols: CardProtocol = [.t0, .t1]) throws -> CardConnection {
        try CardConnection(context: self, reader: reader, share: share, protocols: protocols)
    }
}

/// How a connection shares the card with other applications.
public enum ShareMode: Sendable {
    case shared, exclusive, direct
    var raw: DWORD {
        switch self {
        case .shared: DWORD(SCARD_SHARE_SHARED)
        case .exclusive: DWORD(SCARD_SHARE_EXCLUSIVE)
        case .direct: DWORD(SCARD_SHARE_DIRECT)
        }
    }
}

/// Transmission protocols.
public struct CardProtocol: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let t0 = CardProtocol(rawValue: UInt(SCARD_PROTOCOL_T0))
    public static let t1 = CardProtocol(rawValue: UInt(SCARD_PROTOCOL_T1))
    public static let raw = CardProtocol(rawValue: UInt(SCARD_PROTOCOL_RAW))
    public var description: String {
        self == .t0 ? "T=0" : self == .t1 ? "T=1" : self == .raw ? "raw" : "protocols(\(rawValue))"
    }
}

/// What happens to the card when a connection ends or reconnects.
public enum CardDisposition: Sendable {
    case leave, reset, unpower
    var raw: DWORD {
        switch self {
        case .leave: DWORD(SCARD_LEAVE_CARD)
        case .reset: DWORD(SCARD_RESET_CARD)
        case .unpower: DWORD(SCARD_UNPOWER_CARD)
        }
    }
}

/// Follows readers and cards: attach/detach through the PnP notification, insert/remove per reader.
public struct CardMonitor: ~Copyable {
    private let context: PCSCContext
    private var states: [ReaderState] = []
    private var primed = false

    public init(context: PCSCContext) { self.context = context }

    /// Waits up to the timeout and returns what changed (the first call reports the
    /// cards already present as insertions). Returns [] on timeout.
    public mutating func next(timeoutMilliseconds: Int) throws -> [ReaderEvent] {
        var events: [ReaderEvent] = []
        if !primed {
            primed = true
            states = [ReaderState(reader: ReaderState.plugAndPlayReader)]
                + (try context.readers()).map { ReaderState(reader: $0) }
            events += states.dropFirst().map { .readerAttached(reader: $0.reader) }
            try context.waitForChange(&states, timeoutMilliseconds: 0)
            for i in states.indices.dropFirst() where states[i].isPresent {
                events.append(.cardInserted(reader: states[i].reader, atr: states[i].atr))
            }
            for i in states.indices { states[i].acknowledge() }
            return events
        }
        do {
            try context.waitForChange(&states, timeoutMilliseconds: timeoutMilliseconds)
        } catch let e as PCSCError where e.status == .timeout {
            return []
        }
        var readersChanged = states[0].isChanged
        for i in states.indices.dropFirst() where states[i].isChanged {
            let was = states[i].currentState & UInt(SCARD_STATE_PRESENT) != 0
            if states[i].isUnknown || states[i].isUnavailable { readersChanged = true; continue }
            if states[i].isPresent && (!was || states[i].eventCount > Int(states[i].currentState >> 16) + 1) {
                if was { events.append(.cardRemoved(reader: states[i].reader)) }
                events.append(.cardInserted(reader: states[i].reader, atr: states[i].atr))
            } else if !states[i].isPresent && was {
                events.append(.cardRemoved(reader: states[i].reader))
            }
        }
        for i in states.indices { states[i].acknowledge() }
        if readersChanged {
            let now = Set(try context.readers())
            let before = Set(states.dropFirst().map(\.reader))
            for r in before.subtracting(now).sorted() {
                if let s = states.first(where: { $0.reader == r }), s.currentState & UInt(SCARD_STATE_PRESENT) != 0 {
                    events.append(.cardRemoved(reader: r))
                }
                events.append(.readerDetached(reader: r))
            }
            states.removeAll { $0.reader != ReaderState.plugAndPlayReader && !now.contains($0.reader) }
            for r in now.subtracting(before).sorted() {
                events.append(.readerAttached(reader: r))
                states.append(ReaderState(reader: r))
            }
        }
        return events
    }
}
