import CPCSC
import Dispatch
import Glibc
import Synchronization

/// A PC/SC resource-manager context (one connection to pcscd).
///
/// Calls block the calling thread; run them on a dedicated thread or a GCD queue rather
/// than on the Swift concurrency pool. ``cancel()`` may be called from any thread to end a
/// pending ``waitForChange(_:timeoutMilliseconds:)``.
///
/// **Bounded card calls.** PC/SC has no timeout for a card that stops answering: with a
/// reader driver that has none either (vpcd), `SCardTransmit` blocks until the card answers
/// or leaves, and pcsclite keeps the whole context locked meanwhile. So every call that talks
/// to a card (connect, transmit, transaction, status, disconnect) runs on the context's own
/// worker thread and the caller waits at most ``cardTimeout``: then it gets `SCARD_E_TIMEOUT`
/// naming the call, and the context is *blocked* until the stuck call returns by itself
/// (``isBlocked``): its calls fail at once with `SCARD_E_TIMEOUT` instead of hanging, and
/// disconnects are queued behind the stuck call. Establish a new context to go on.
public final class PCSCContext: Sendable {
    let handle: SCARDCONTEXT
    /// The longest one card call may take; nil waits forever.
    public let cardTimeout: Duration?
    private let worker = DispatchQueue(label: "be.sleutel.pcsc.card-calls")
    private let blocked = Atomic<Bool>(false)

    /// Establishes a system-scope context. Throws `SCARD_E_NO_SERVICE` with a clear
    /// message when pcscd is not running.
    /// - Parameter cardTimeout: bound for each call that talks to a card (default 5 s: a real
    ///   eID answers any single command, a signature included, well within a second or two).
    public init(cardTimeout: Duration? = .seconds(5)) throws {
        var ctx: SCARDCONTEXT = 0
        try check(SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &ctx), "SCardEstablishContext")
        handle = ctx
        self.cardTimeout = cardTimeout
    }

    deinit { SCardReleaseContext(handle) }

    /// True while pcscd still knows this context.
    public var isValid: Bool {
        guard !isBlocked else { return false }
        return SCardIsValidContext(handle) == SCARD_S_SUCCESS
    }

    /// True while a card call that timed out is still stuck in pcscd; calls then fail at once.
    public var isBlocked: Bool { blocked.load(ordering: .acquiring) }

    /// Runs one card call on the worker and waits at most `cardTimeout` (or `atLeast`, when longer).
    /// - Parameters:
    ///   - function: the PC/SC function, for the error.
    ///   - what: what the call was doing, for the error ("command INS B0").
    func bounded<R: Sendable>(
        _ function: StaticString, _ what: String, atLeast: Duration? = nil, _ body: @escaping @Sendable () -> R
    ) throws -> R {
        try checkNotBlocked(function)
        guard let limit = cardTimeout.map({ max($0, atLeast ?? .zero) }) else { return body() }
        let result = ResultBox<R>()
        let done = DispatchSemaphore(value: 0)
        worker.async { [self] in
            _ = self  // keeps the context (and pcsclite's handle) alive until the call returns
            let value = body()
            result.value.withLock { $0 = value }
            done.signal()
        }
        let (seconds, attoseconds) = limit.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        if done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
            blocked.store(true, ordering: .releasing)
            worker.async { [self] in blocked.store(false, ordering: .releasing) }
            throw PCSCError(
                status: .timeout, function: "\(function)",
                reason: "\(what): no answer from the card within \(Self.format(limit)) (the card hangs; the call was abandoned)"
            )
        }
        return result.value.withLock { $0 }!
    }

    /// Runs `body` now, or after the stuck call when the context is blocked (never waits).
    func whenUnblocked(_ body: @escaping @Sendable () -> Void) {
        if isBlocked {
            worker.async { [self] in _ = self; body() }
        } else {
            body()
        }
    }

    func checkNotBlocked(_ function: StaticString) throws {
        guard isBlocked else { return }
        throw PCSCError(
            status: .timeout, function: "\(function)",
            reason: "an earlier call on this PC/SC context is still waiting for an unresponsive card; establish a new context"
        )
    }

    static func format(_ duration: Duration) -> String {
        let (s, a) = duration.components
        let ms = Int(s) * 1000 + Int(a / 1_000_000_000_000_000)
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }

    /// Names of the connected readers; empty when there are none.
    public func readers() throws -> [String] {
        try checkNotBlocked("SCardListReaders")
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
        try checkNotBlocked("SCardGetStatusChange")
        let names = states.map { strdup($0.reader)! }
        defer { for name in names { free(name) } }
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
        } catch let e as PCSCError where e.status == .timeout && !context.isBlocked {
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

/// Carries one result from the worker thread to the waiting caller.
private final class ResultBox<R: Sendable>: Sendable {
    let value = Mutex<R?>(nil)
}
