import CPCSC
import Synchronization

/// What a card-application layer needs from a card: APDU exchange with T=0 response
/// handling, reader control codes and exclusive transactions.
///
/// The real implementation is ``CardConnection`` (pcscd); tests use fakes for what the
/// virtual reader cannot do (a pin-pad's `SCardControl`).
public protocol CardChannel: AnyObject, Sendable {
    /// The card's answer to reset.
    var atr: [UInt8] { get }
    /// Sends a command; `61xx` is followed by GET RESPONSE and `6Cxx` by a re-send with
    /// the right Le, so the result is the complete response.
    func transmit(_ command: CommandAPDU) throws -> ResponseAPDU
    /// Sends a reader control code (`SCardControl`).
    func control(code: UInt32, input: [UInt8]) throws -> [UInt8]
    /// Runs `body` inside an exclusive card transaction.
    func withTransaction<R>(_ body: () throws -> R) throws -> R
}

/// A connection to one card through pcscd.
public final class CardConnection: CardChannel {
    private struct State {
        var handle: SCARDHANDLE
        var activeProtocol: CardProtocol
        var resets: Int
        var connected: Bool
    }

    public let reader: String
    private let context: PCSCContext
    private let share: ShareMode
    private let protocols: CardProtocol
    private let state: Mutex<State>
    /// Receive buffer size: the largest extended-length response plus SW.
    private static let maxResponse = 65_538

    init(context: PCSCContext, reader: String, share: ShareMode, protocols: CardProtocol) throws {
        self.context = context
        self.reader = reader
        self.share = share
        self.protocols = protocols
        let contextHandle = context.handle
        let (rv, handle, active) = try context.bounded("SCardConnect", "connecting to the card in \(reader)") {
            var handle: SCARDHANDLE = 0
            var active: DWORD = 0
            let rv = SCardConnect(contextHandle, reader, share.raw, DWORD(protocols.rawValue), &handle, &active)
            return (rv, handle, active)
        }
        try check(rv, "SCardConnect")
        state = Mutex(State(handle: handle, activeProtocol: CardProtocol(rawValue: UInt(active)), resets: 0, connected: true))
    }

    deinit {
        let (connected, handle) = state.withLock { ($0.connected, $0.handle) }
        if connected { context.whenUnblocked { SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD)) } }
    }

    /// The protocol negotiated at connect time.
    public var activeProtocol: CardProtocol { state.withLock { $0.activeProtocol } }

    /// How many times this connection recovered from `SCARD_W_RESET_CARD`; the card lost
    /// its security state (verified PIN) each time.
    public var resetCount: Int { state.withLock { $0.resets } }

    /// The card's ATR as pcscd reports it now.
    public var atr: [UInt8] { (try? status().atr) ?? [] }

    /// Reader name, state bits, protocol and ATR (`SCardStatus`).
    public func status() throws -> (reader: String, state: UInt, protocol: CardProtocol, atr: [UInt8]) {
        let handle = state.withLock { $0.handle }
        let (rv, readerName, st, proto, atr) = try context.bounded("SCardStatus", "reading the card status") {
            var nameLen: DWORD = 256
            var name = [CChar](repeating: 0, count: Int(nameLen))
            var st: DWORD = 0, proto: DWORD = 0
            var atr = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
            var atrLen = DWORD(atr.count)
            let rv = SCardStatus(handle, &name, &nameLen, &st, &proto, &atr, &atrLen)
            let readerName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return (rv, readerName, UInt(st), UInt(proto), Array(atr.prefix(Int(atrLen))))
        }
        try check(rv, "SCardStatus")
        return (readerName, st, CardProtocol(rawValue: proto), atr)
    }

    /// Sends raw bytes and returns the raw answer (data + SW). Recovers once from a card
    /// reset by another application (`SCARD_W_RESET_CARD`) by reconnecting.
    /// - Throws: ``PCSCError``; `SCARD_E_TIMEOUT` when the card does not answer within the
    ///   context's ``PCSCContext/cardTimeout``.
    public func transmitRaw(_ apdu: [UInt8]) throws -> [UInt8] {
        do {
            return try transmitOnce(apdu)
        } catch let error as PCSCError where error.status == .resetCard {
            try reconnect(initialization: .leave)
            state.withLock { $0.resets += 1 }
            return try transmitOnce(apdu)
        }
    }

    private func transmitOnce(_ apdu: [UInt8]) throws -> [UInt8] {
        let (handle, proto) = state.withLock { ($0.handle, $0.activeProtocol) }
        let what = apdu.count >= 2 ? "command INS \([apdu[1]].hex)" : "command"
        let (rv, response) = try context.bounded("SCardTransmit", what) { () -> (Int, [UInt8]) in
            let pci = proto == .t1 ? CPCSC_pci_t1() : proto == .raw ? CPCSC_pci_raw() : CPCSC_pci_t0()
            var length = DWORD(Self.maxResponse)
            var rv = Int(SCARD_S_SUCCESS)
            let response = [UInt8](unsafeUninitializedCapacity: Self.maxResponse) { buffer, count in
                rv = SCardTransmit(handle, pci, apdu, DWORD(apdu.count), nil, buffer.baseAddress, &length)
                count = rv == SCARD_S_SUCCESS ? min(Int(length), Self.maxResponse) : 0
            }
            return (rv, response)
        }
        try check(rv, "SCardTransmit")
        if response.count < 2 {
            // vpcd reports a card pulled mid-exchange as success with no bytes. pcscd notices
            // the removal at its next poll (≤ 0.4 s): wait that long to name the real cause.
            let removed = (try? context.waitForCard(in: reader, present: false, timeoutMilliseconds: 600)) != nil
            throw PCSCError(
                status: removed ? .removedCard : .commError, function: "SCardTransmit",
                reason: removed ? "the card was removed during the exchange (\(what))" : "the card answered \(response.count) bytes, no status word (\(what))"
            )
        }
        return response
    }

    public func transmit(_ command: CommandAPDU) throws -> ResponseAPDU {
        try Self.exchange(command) { try self.transmitRaw($0) }
    }

    /// The T=0 response rules shared by every channel: `6Cxx` → re-send with Le = xx,
    /// `61xx` → GET RESPONSE until the card has no more. Bounded so a misbehaving card
    /// cannot loop forever.
    public static func exchange(_ command: CommandAPDU, send: ([UInt8]) throws -> [UInt8]) throws -> ResponseAPDU {
        var cmd = command
        var raw = try send(cmd.bytes)
        guard var response = ResponseAPDU(raw: raw) else { throw shortResponse(raw) }
        if response.sw1 == 0x6C {
            cmd.le = response.sw2 == 0 ? 256 : Int(response.sw2)
            raw = try send(cmd.bytes)
            guard let again = ResponseAPDU(raw: raw) else { throw shortResponse(raw) }
            response = again
        }
        var data = response.data
        var rounds = 0
        while response.sw1 == 0x61 {
            rounds += 1
            guard rounds <= 256 else {
                throw PCSCError(status: .commError, function: "GET RESPONSE", reason: "card kept answering 61xx")
            }
            let le = response.sw2 == 0 ? 256 : Int(response.sw2)
            raw = try send(CommandAPDU(cla: command.cla & 0x03, ins: 0xC0, p1: 0, p2: 0, le: le).bytes)
            guard let next = ResponseAPDU(raw: raw) else { throw shortResponse(raw) }
            data += next.data
            response = next
        }
        return ResponseAPDU(data: data, sw1: response.sw1, sw2: response.sw2)
    }

    private static func shortResponse(_ raw: [UInt8]) -> PCSCError {
        PCSCError(status: .commError, function: "SCardTransmit", reason: "card answered \(raw.count) bytes, no status word")
    }

    /// Sends a reader control code. Bounded by the context's card timeout, but at least two
    /// minutes: a pin pad waits for the person.
    public func control(code: UInt32, input: [UInt8]) throws -> [UInt8] {
        let handle = state.withLock { $0.handle }
        let (rv, out) = try context.bounded("SCardControl", "control code \(code)", atLeast: .seconds(120)) { () -> (Int, [UInt8]) in
            var out = [UInt8](repeating: 0, count: 1024)
            var outLen: DWORD = 0
            let rv = SCardControl(handle, DWORD(code), input, DWORD(input.count), &out, DWORD(out.count), &outLen)
            return (rv, Array(out.prefix(Int(outLen))))
        }
        try check(rv, "SCardControl")
        return out
    }

    /// The CCID part-10 features the reader offers (`CM_IOCTL_GET_FEATURE_REQUEST`).
    public func features() throws -> [PCSCFeature: UInt32] {
        try PCSCFeature.parseList(control(code: UInt32(CPCSC_feature_request()), input: []))
    }

    public func withTransaction<R>(_ body: () throws -> R) throws -> R {
        try beginTransaction()
        defer { endTransaction() }
        return try body()
    }

    /// `SCardBeginTransaction`, reconnecting once after a reset by another application.
    public func beginTransaction() throws {
        let rv = try beginOnce()
        if PCSCStatus(rv) == .resetCard {
            try reconnect(initialization: .leave)
            state.withLock { $0.resets += 1 }
            try check(try beginOnce(), "SCardBeginTransaction")
            return
        }
        try check(rv, "SCardBeginTransaction")
    }

    private func beginOnce() throws -> Int {
        let handle = state.withLock { $0.handle }
        return try context.bounded("SCardBeginTransaction", "starting a card transaction") { SCardBeginTransaction(handle) }
    }

    /// `SCardEndTransaction` leaving the card as it is; queued behind a stuck call, never waits for it.
    public func endTransaction(_ disposition: CardDisposition = .leave) {
        let handle = state.withLock { $0.handle }
        let raw = disposition.raw
        if context.isBlocked {
            context.whenUnblocked { SCardEndTransaction(handle, raw) }
        } else {
            _ = try? context.bounded("SCardEndTransaction", "ending a card transaction") { SCardEndTransaction(handle, raw) }
        }
    }

    /// Re-establishes the connection: `SCardReconnect`, or a fresh `SCardConnect` when the
    /// old handle died with the card (removed and re-inserted).
    public func reconnect(initialization: CardDisposition = .reset) throws {
        let handle = state.withLock { $0.handle }
        let (share, protocols, reader, contextHandle) = (share, protocols, reader, context.handle)
        let (rv, active) = try context.bounded("SCardReconnect", "reconnecting to the card") { () -> (Int, DWORD) in
            var active: DWORD = 0
            let rv = SCardReconnect(handle, share.raw, DWORD(protocols.rawValue), initialization.raw, &active)
            return (rv, active)
        }
        if rv == SCARD_S_SUCCESS {
            state.withLock { $0.activeProtocol = CardProtocol(rawValue: UInt(active)) }
            return
        }
        let status = PCSCStatus(rv)
        guard status.meansCardGone || status == .invalidHandle else { try check(rv, "SCardReconnect"); return }
        state.withLock { $0.connected = false }
        let (rv2, newHandle, newActive) = try context.bounded("SCardConnect", "connecting to the card in \(reader)") {
            SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD))
            var newHandle: SCARDHANDLE = 0
            var newActive: DWORD = 0
            let rv = SCardConnect(contextHandle, reader, share.raw, DWORD(protocols.rawValue), &newHandle, &newActive)
            return (rv, newHandle, newActive)
        }
        try check(rv2, "SCardConnect")
        state.withLock { s in
            s.handle = newHandle
            s.connected = true
            s.activeProtocol = CardProtocol(rawValue: UInt(newActive))
        }
    }

    /// Ends the connection; `.reset` also drops the card's security state (verified PIN).
    /// Never blocks longer than the card timeout: behind a stuck call it is queued instead.
    public func disconnect(_ disposition: CardDisposition = .leave) {
        let handle: SCARDHANDLE? = state.withLock { s in
            guard s.connected else { return nil }
            s.connected = false
            return s.handle
        }
        guard let handle else { return }
        let raw = disposition.raw
        if context.isBlocked {
            context.whenUnblocked { SCardDisconnect(handle, raw) }
        } else {
            _ = try? context.bounded("SCardDisconnect", "disconnecting from the card") { SCardDisconnect(handle, raw) }
        }
    }
}

/// CCID / PC/SC part-10 feature tags.
public enum PCSCFeature: UInt8, Sendable, CaseIterable {
    case verifyPINStart = 0x01, verifyPINFinish = 0x02, modifyPINStart = 0x03, modifyPINFinish = 0x04
    case getKeyPressed = 0x05, verifyPINDirect = 0x06, modifyPINDirect = 0x07, mctReaderDirect = 0x08
    case mctUniversal = 0x09, ifdPINProperties = 0x0A, abort = 0x0B, setSPEMessage = 0x0C
    case verifyPINDirectAppID = 0x0D, modifyPINDirectAppID = 0x0E, writeDisplay = 0x0F
    case getKey = 0x10, ifdDisplayProperties = 0x11, getTLVProperties = 0x12, ccidESCCommand = 0x13

    /// `CM_IOCTL_GET_FEATURE_REQUEST` on pcsc-lite: `SCARD_CTL_CODE(3400)`.
    public static let getFeatureRequest: UInt32 = 0x4200_0D48

    /// Parses the answer to GET_FEATURE_REQUEST: 6-byte TLVs (tag, `04`, big-endian code).
    /// Unknown tags are skipped; a malformed list throws.
    public static func parseList(_ bytes: [UInt8]) throws -> [PCSCFeature: UInt32] {
        guard bytes.count % 6 == 0 else {
            throw PCSCError(status: .invalidValue, function: "GET_FEATURE_REQUEST", reason: "feature list of \(bytes.count) bytes is not a multiple of 6")
        }
        var out: [PCSCFeature: UInt32] = [:]
        for i in stride(from: 0, to: bytes.count, by: 6) {
            guard bytes[i + 1] == 4 else {
                throw PCSCError(
                    status: .invalidValue, function: "GET_FEATURE_REQUEST",
                    reason: "feature 0x\(String(bytes[i], radix: 16)) has length \(bytes[i + 1]), expected 4"
                )
            }
            let code = bytes[(i + 2)..<(i + 6)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if let feature = PCSCFeature(rawValue: bytes[i]) { out[feature] = code }
        }
        return out
    }
}
