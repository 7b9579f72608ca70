import Dispatch
import Foundation
import Glibc
import Synchronization

/// A virtual card inserted into a vpcd reader: a TCP client of pcscd's vpcd driver
/// (virtual-card-rig spec §5) that answers with an ``EIDCardEmulator``.
///
/// Connect = card inserted, socket closed = card removed. ``serve()`` blocks, so run it on a
/// dedicated thread (``serveInBackground()``), never on the Swift concurrency pool; pull the card
/// from any thread with ``remove()``. The emulator's PIN counter lives in this object, so it
/// survives resets and reconnects; to re-insert the same card after ``remove()``, build a new
/// connection from ``withEmulator(_:)``'s copy of the emulator.
public final class VirtualCardConnection: Sendable {
    /// Connection settings and fault hooks.
    public struct Options: Sendable {
        /// vpcd host; pcscd's vpcd listens on all interfaces.
        public var host: String
        /// 35963 = `Virtual PCD 00 00`, 35964 = `Virtual PCD 00 01`.
        public var port: Int
        /// How long the first connection keeps retrying while pcscd is not up.
        public var connectTimeout: Duration
        /// Pause between connection attempts.
        public var retryInterval: Duration
        /// After pcscd closes the connection (restart), connect again (retrying until
        /// ``VirtualCardConnection/remove()``) instead of returning from `serve()`.
        public var reconnect: Bool
        /// Fault hook: sleep this long before answering each APDU (a slow card).
        public var apduDelay: Duration?
        /// Fault hook: answer this many APDUs, then drop the connection when the next one
        /// arrives, without answering it (the card pulled mid-exchange). Fires once.
        public var dropAfterAPDUs: Int?
        /// Fault injection: answer garbage, answer late, or pull the card at a trigger (``CardFault``).
        public var fault: CardFault?
        /// Re-arm `TCP_QUICKACK` after every `recv` (without it vpcd manages ~20 APDU/s).
        public var quickAck: Bool
        /// Receives one line per connection event (never APDU contents).
        public var log: (@Sendable (String) -> Void)?

        public init(
            host: String = "127.0.0.1", port: Int = 35963, connectTimeout: Duration = .seconds(10),
            retryInterval: Duration = .milliseconds(200), reconnect: Bool = false, apduDelay: Duration? = nil,
            dropAfterAPDUs: Int? = nil, fault: CardFault? = nil, quickAck: Bool = true, log: (@Sendable (String) -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.connectTimeout = connectTimeout
            self.retryInterval = retryInterval
            self.reconnect = reconnect
            self.apduDelay = apduDelay
            self.dropAfterAPDUs = dropAfterAPDUs
            self.fault = fault
            self.quickAck = quickAck
            self.log = log
        }
    }

    /// Why ``serve()`` returned.
    public enum Outcome: Sendable, Equatable {
        /// ``remove()`` was called.
        case removed
        /// The reader side closed the connection (pcscd stopped) and `reconnect` is off.
        case readerClosed
        /// The `dropAfterAPDUs` fault fired and `reconnect` is off.
        case dropped
        /// The `pull` ``CardFault`` fired: the card left the reader and stays out (even with `reconnect`).
        case pulled
    }

    private struct SocketState {
        var fd: Int32 = -1
        var removed = false
        var apdus = 0
        var dropArmed = true
        var insertions = 0
        var faultStarted = false
        var faultSpent = false
        var faultAnswers: UInt64 = 0
    }

    public let options: Options
    private let emulator: Mutex<EIDCardEmulator>
    private let state = Mutex(SocketState())

    public init(emulator: EIDCardEmulator, options: Options = Options()) {
        self.emulator = Mutex(emulator)
        self.options = options
    }

    /// Runs `body` on the emulator under the connection's lock (inspect PIN tries, copy it…).
    public func withEmulator<R: Sendable>(_ body: (inout EIDCardEmulator) -> R) -> R {
        emulator.withLock { emulator in
            var copy = emulator
            let result = body(&copy)
            emulator = copy
            return result
        }
    }

    /// True while a socket to vpcd is open.
    public var isConnected: Bool { state.withLock { $0.fd >= 0 } }

    /// APDUs answered so far (all connections).
    public var apduCount: Int { state.withLock { $0.apdus } }

    /// How many times the card has been (re-)inserted.
    public var insertions: Int { state.withLock { $0.insertions } }

    /// Connects to vpcd now, retrying until `connectTimeout`. Optional: ``serve()`` connects
    /// by itself; calling this first lets a caller know the card is in before serving.
    /// - Throws: ``VirtualCardError`` `.connectFailed` at the deadline, `.io` for socket errors.
    public func connect() throws(VirtualCardError) {
        _ = try connectWithRetry(deadline: .now + options.connectTimeout)
    }

    /// Answers vpcd until the card is removed (or the reader goes away without `reconnect`).
    /// Blocks the calling thread.
    public func serve() throws(VirtualCardError) -> Outcome {
        var deadline: ContinuousClock.Instant? = .now + options.connectTimeout
        while true {
            let fd = state.withLock { $0.fd }
            if fd < 0 {
                guard let connected = try connectWithRetry(deadline: deadline) else { return .removed }
                _ = connected
            }
            let end = session(state.withLock { $0.fd })
            closeSocket()
            emulator.withLock { $0.reset() }
            if state.withLock({ $0.removed }) { return .removed }
            if end == .pulled { return .pulled }
            guard options.reconnect else { return end }
            options.log?("reader closed the connection (\(end)); reconnecting to port \(options.port)")
            deadline = nil
        }
    }

    /// Pulls the card: shuts the socket down so vpcd sees the card gone and ``serve()``
    /// returns ``Outcome/removed``. Thread-safe; idempotent.
    public func remove() {
        state.withLock { s in
            s.removed = true
            if s.fd >= 0 { shutdown(s.fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Runs ``serve()`` on a new dedicated thread.
    public func serveInBackground() -> ServingThread {
        let handle = ServingThread()
        let thread = Thread { [self] in
            let result: Result<Outcome, VirtualCardError>
            do throws(VirtualCardError) {
                result = .success(try self.serve())
            } catch {
                result = .failure(error)
            }
            handle.finish(result)
        }
        thread.name = "virtual-card:\(options.port)"
        thread.start()
        return handle
    }

    // MARK: - Socket

    /// Returns the connected fd, or nil when removed while trying.
    private func connectWithRetry(deadline: ContinuousClock.Instant?) throws(VirtualCardError) -> Int32? {
        var lastErrno: Int32 = 0
        while true {
            if state.withLock({ $0.removed }) { return nil }
            let existing = state.withLock { $0.fd }
            if existing >= 0 { return existing }
            switch try connectOnce() {
            case .success(let fd):
                let accepted = state.withLock { s -> Bool in
                    guard !s.removed else { return false }
                    s.fd = fd
                    s.insertions += 1
                    return true
                }
                guard accepted else {
                    close(fd)
                    return nil
                }
                options.log?("card inserted: connected to vpcd at \(options.host):\(options.port)")
                return fd
            case .failure(let code):
                lastErrno = code
            }
            if let deadline, ContinuousClock.now >= deadline {
                throw VirtualCardError(
                    .connectFailed,
                    "no vpcd at \(options.host):\(options.port) (is pcscd running?): \(String(cString: strerror(lastErrno)))"
                )
            }
            Self.sleep(options.retryInterval)
        }
    }

    private enum ConnectResult { case success(Int32), failure(Int32) }

    private func connectOnce() throws(VirtualCardError) -> ConnectResult {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        guard (1...65535).contains(options.port) else { throw VirtualCardError(.io, "port \(options.port) out of range") }
        address.sin_port = UInt16(options.port).bigEndian
        guard inet_pton(AF_INET, options.host, &address.sin_addr) == 1 else {
            throw VirtualCardError(.io, "host \(options.host) is not an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw VirtualCardError(.io, "socket: \(String(cString: strerror(errno)))") }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            return .failure(code)
        }
        Self.setOption(fd, TCP_NODELAY)
        return .success(fd)
    }

    private func closeSocket() {
        state.withLock { s in
            if s.fd >= 0 {
                close(s.fd)
                s.fd = -1
            }
        }
    }

    /// One inserted period: frames until EOF, error or fault. Internal, not private: the vpcd
    /// frame fuzz target (`Fuzz/Targets/FuzzVPCDFrames`) drives it over a socket pair.
    func session(_ fd: Int32) -> Outcome {
        let atr = options.fault?.garbageATR ?? emulator.withLock { $0.atr }
        if let fault = options.fault, fault.trigger == .atr { options.log?("fault \(fault): the ATR is \(atr.count) garbage bytes") }
        while true {
            guard let header = readExactly(fd, 2) else { return .readerClosed }
            let length = Int(header[0]) << 8 | Int(header[1])
            guard length > 0 else { continue }
            guard let message = readExactly(fd, length) else { return .readerClosed }
            if length == 1 {
                switch message[0] {
                case 0x00, 0x02: emulator.withLock { $0.reset() }  // power off / warm reset
                case 0x04: guard sendFrame(fd, atr) else { return .readerClosed }
                default: break  // 0x01 power on: nothing to do
                }
                continue
            }
            let drop = state.withLock { s -> Bool in
                if s.dropArmed, let limit = options.dropAfterAPDUs, s.apdus >= limit {
                    s.dropArmed = false
                    return true
                }
                return false
            }
            if drop {
                options.log?("fault: dropping the connection after \(options.dropAfterAPDUs ?? 0) APDUs")
                return .dropped
            }
            switch faultStep(for: message) {
            case .pull?:
                options.log?("fault: card pulled on APDU INS \(Self.insHex(message)) without answering")
                return .pulled
            case .delay(let delay)?:
                guard pause(delay) else { return .removed }
            case .garbage(let kind)?:
                let index = state.withLock { s -> UInt64 in
                    s.faultAnswers += 1
                    s.apdus += 1
                    return s.faultAnswers
                }
                guard sendFrame(fd, CardFault.garbage(kind, index: index)) else { return .readerClosed }
                continue
            case nil:
                break
            }
            if let delay = options.apduDelay { Self.sleep(delay) }
            let response = emulator.withLock { $0.process(message) }
            state.withLock { $0.apdus += 1 }
            guard sendFrame(fd, response) else { return .readerClosed }
        }
    }

    /// The fault action for this APDU, if the fault has started (or starts now).
    private func faultStep(for apdu: [UInt8]) -> CardFault.Action? {
        guard let fault = options.fault else { return nil }
        return state.withLock { s -> CardFault.Action? in
            guard !s.faultSpent else { return nil }
            if !s.faultStarted {
                guard fault.fires(on: apdu, answered: s.apdus) else { return nil }
                s.faultStarted = true
                options.log?("fault \(fault) starts at APDU INS \(Self.insHex(apdu))")
            }
            if case .pull = fault.action { s.faultSpent = true }
            return fault.action
        }
    }

    /// Sleeps `duration` in short slices; false as soon as the card is removed meanwhile.
    private func pause(_ duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.removed }) { return false }
            Self.sleep(min(.milliseconds(20), ContinuousClock.now.duration(to: deadline)))
        }
        return !state.withLock { $0.removed }
    }

    private static func insHex(_ apdu: [UInt8]) -> String {
        guard apdu.count >= 2 else { return "--" }
        let s = String(apdu[1], radix: 16, uppercase: true)
        return apdu[1] < 16 ? "0" + s : s
    }

    private func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress! + filled, count - filled, 0)
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            filled += n
            // vpcd writes length and body separately; ACK at once or each frame stalls ~40 ms.
            if options.quickAck { Self.setOption(fd, TCP_QUICKACK) }
        }
        return buffer
    }

    private func sendFrame(_ fd: Int32, _ payload: [UInt8]) -> Bool {
        guard (1...0xFFFF).contains(payload.count) else { return false }
        let frame = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        var sent = 0
        while sent < frame.count {
            let n = frame.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + sent, frame.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    private static func setOption(_ fd: Int32, _ option: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), option, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        guard seconds > 0 || attoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}

/// A ``VirtualCardConnection/serve()`` running on its own thread.
public final class ServingThread: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<VirtualCardConnection.Outcome, VirtualCardError>?>(nil)

    init() {}

    func finish(_ result: Result<VirtualCardConnection.Outcome, VirtualCardError>) {
        outcome.withLock { $0 = result }
        done.signal()
    }

    /// The result once `serve()` has returned, else nil.
    public var result: Result<VirtualCardConnection.Outcome, VirtualCardError>? { outcome.withLock { $0 } }

    /// Blocks until `serve()` returns (or `timeout` passes: then nil).
    @discardableResult
    public func wait(timeout: Duration? = nil) -> Result<VirtualCardConnection.Outcome, VirtualCardError>? {
        if let timeout {
            let (s, a) = timeout.components
            let nanos = Int(s) * 1_000_000_000 + Int(a / 1_000_000_000)
            guard done.wait(timeout: .now() + .nanoseconds(nanos)) == .success else { return nil }
        } else {
            done.wait()
        }
        done.signal()  // let later waiters through too
        return result
    }
}
