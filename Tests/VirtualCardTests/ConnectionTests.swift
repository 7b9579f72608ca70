import Foundation
import Glibc
import Testing
@testable import VirtualCard

/// A tiny stand-in for vpcd: listens on a random loopback port and speaks the framed protocol.
final class LoopbackServer {
    let listener: Int32
    let port: Int
    var peer: Int32 = -1

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        try #require(bound == 0)
        try #require(listen(fd, 4) == 0)
    }

    deinit {
        if peer >= 0 { close(peer) }
        close(listener)
    }

    /// Accepts the card's connection (waits up to `timeoutMs`).
    func accept(timeoutMs: Int32 = 5000) throws {
        var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        try #require(poll(&poller, 1, timeoutMs) == 1, "the card did not connect")
        if peer >= 0 { close(peer) }
        peer = Glibc.accept(listener, nil, nil)
        try #require(peer >= 0)
    }

    func write(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(peer, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    func sendFrame(_ payload: [UInt8]) { write([UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload) }

    /// Reads exactly `count` bytes; nil on EOF or after `timeoutMs` without data.
    func read(_ count: Int, timeoutMs: Int32 = 5000) -> [UInt8]? {
        var out: [UInt8] = []
        while out.count < count {
            var poller = pollfd(fd: peer, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMs) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: count - out.count)
            let n = buffer.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            out += buffer.prefix(n)
        }
        return out
    }

    func readFrame() -> [UInt8]? {
        guard let header = read(2) else { return nil }
        return read(Int(header[0]) << 8 | Int(header[1]))
    }

    /// True when the card closed its side (EOF) within `timeoutMs`.
    func seesEOF(timeoutMs: Int32 = 5000) -> Bool {
        var poller = pollfd(fd: peer, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMs) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(peer, &byte, 1, 0) == 0
    }

    func closePeer() {
        close(peer)
        peer = -1
    }
}

@Suite("vpcd connection", .serialized)
struct ConnectionTests {
    @Test("framing: ATR on 0x04, split APDU frames, one reply each, power off/reset, removal")
    func framing() throws {
        let server = try LoopbackServer()
        let connection = VirtualCardConnection(
            emulator: Fixtures.emulator(.v17), options: .init(port: server.port, connectTimeout: .seconds(5))
        )
        let serving = connection.serveInBackground()
        try server.accept()

        server.sendFrame([0x01])  // power on: no reply
        server.sendFrame([0x04])
        #expect(server.readFrame() == CardApplet.v17.atr)

        // vpcd's two-write pattern: length, then body; and the body itself split too.
        let select = apdu("00 A4 08 0C 06 3F 00 DF 01 40 31")
        server.write([0x00, UInt8(select.count)])
        usleep(20_000)
        server.write(Array(select.prefix(3)))
        usleep(20_000)
        server.write(Array(select.dropFirst(3)))
        #expect(server.readFrame() == [0x90, 0x00])

        server.sendFrame(apdu("80 E4 00 00 1C"))
        #expect(server.readFrame() == Fixtures.image17.cardData + [0x90, 0x00])

        // PIN right dropped by a reset control byte.
        server.sendFrame(verifyAPDU("1234"))
        #expect(server.readFrame() == [0x90, 0x00])
        server.sendFrame([0x02])
        server.sendFrame([0x04])
        #expect(server.readFrame() == CardApplet.v17.atr)
        server.sendFrame(apdu("00 20 00 01"))
        #expect(server.readFrame() == [0x63, 0xC3])
        server.sendFrame([0x00])
        server.sendFrame(apdu("00 B0 00 00 01"))
        #expect(server.readFrame() == [0x69, 0x86], "power off reset the current file")
        #expect(connection.apduCount == 5)

        connection.remove()
        #expect(server.seesEOF())
        #expect(serving.wait(timeout: .seconds(5)).map { try? $0.get() } == .removed)
        #expect(!connection.isConnected)
    }

    @Test("fault hook: drop after N APDUs; reconnect after the reader closes")
    func dropAndReconnect() throws {
        let server = try LoopbackServer()
        let connection = VirtualCardConnection(
            emulator: Fixtures.emulator(.v18),
            options: .init(port: server.port, retryInterval: .milliseconds(20), reconnect: true, dropAfterAPDUs: 2)
        )
        let serving = connection.serveInBackground()
        try server.accept()
        server.sendFrame(apdu("80 E4 00 00 1C"))
        #expect(server.readFrame().map { sw($0) } == 0x9000)
        server.sendFrame(verifyAPDU("0000"))
        #expect(server.readFrame() == [0x63, 0xC2])
        server.sendFrame(apdu("80 E4 00 00 1C"))
        #expect(server.seesEOF(), "third APDU: the card is pulled without answering")

        // The card comes back (reconnect on), with the PIN counter preserved.
        try server.accept()
        server.sendFrame([0x04])
        #expect(server.readFrame() == CardApplet.v18.atr)
        server.sendFrame(apdu("80 E4 00 01 1F"))
        #expect(server.readFrame()?[28] == 0x02)

        // pcscd restart: the reader closes; the card reconnects.
        server.closePeer()
        try server.accept()
        server.sendFrame([0x04])
        #expect(server.readFrame() == CardApplet.v18.atr)
        #expect(connection.insertions == 3)

        connection.remove()
        #expect(serving.wait(timeout: .seconds(5)).map { try? $0.get() } == .removed)
    }

    @Test("per-APDU delay")
    func delay() throws {
        let server = try LoopbackServer()
        let connection = VirtualCardConnection(
            emulator: Fixtures.emulator(.v17), options: .init(port: server.port, apduDelay: .milliseconds(150))
        )
        let serving = connection.serveInBackground()
        try server.accept()
        let start = ContinuousClock.now
        server.sendFrame(apdu("80 E4 00 00 1C"))
        #expect(server.readFrame() != nil)
        #expect(ContinuousClock.now - start >= .milliseconds(140))
        connection.remove()
        serving.wait()
    }

    @Test("no vpcd: connectFailed at the deadline; the reader closing ends serve() without reconnect")
    func connectFailure() throws {
        let port: Int
        do {
            let server = try LoopbackServer()
            port = server.port
        }
        let connection = VirtualCardConnection(
            emulator: Fixtures.emulator(.v17),
            options: .init(port: port, connectTimeout: .milliseconds(300), retryInterval: .milliseconds(50))
        )
        #expect(throws: VirtualCardError(.connectFailed, "")) { try connection.connect() }

        let server = try LoopbackServer()
        let other = VirtualCardConnection(emulator: Fixtures.emulator(.v17), options: .init(port: server.port))
        try other.connect()
        let serving = other.serveInBackground()
        try server.accept()
        server.closePeer()
        #expect(serving.wait(timeout: .seconds(5)).map { try? $0.get() } == .readerClosed)
    }

    @Test("remove() before serve() returns at once")
    func removeFirst() throws {
        let connection = VirtualCardConnection(emulator: Fixtures.emulator(.v17), options: .init(port: 1))
        connection.remove()
        #expect(try connection.serve() == .removed)
    }
}
