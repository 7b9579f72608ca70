import Foundation
import FuzzCardSupport
import FuzzSupport
@testable import VirtualCard

/// libFuzzer target: what pcscd's vpcd driver sends to the virtual card (2-byte length frames,
/// control bytes, APDUs), fed through the connection's real frame reader over a socket pair to
/// the virtual specimen 1.8 card. Seeds: a power-on, the ATR request and the APDUs of a whole
/// reader session (``ReaderSession``) with each specimen card, as vpcd frames them.
let emulator: EIDCardEmulator = {
    do {
        return try ReaderSession.emulator("specimen-1.8")
    } catch {
        fatalError("cannot load the virtual specimen card: \(error)")
    }
}()

@main
enum FuzzVPCDFrames {
    static func main() {
        _ = emulator
        FuzzDriver.run(fuzzOneInput) {
            var seeds: [String: [UInt8]] = [:]
            for profile in ["specimen-1.7", "specimen-1.8"] {
                let session = try ReaderSession.record(profile, photo: false)
                seeds["\(profile)-session"] = FrameStreams.lengthPrefixed([[0x01], [0x04]] + session.commands)
            }
            seeds["power-cycle"] = FrameStreams.lengthPrefixed([[0x01], [0x04], [0x02], [0x00], [0x04]])
            return seeds
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return 0 }
    defer { close(fds[0]); close(fds[1]) }
    var bufferSize: Int32 = 1 << 20
    for fd in fds { setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size)) }
    // The card's answers go nowhere: a full buffer makes send fail, which ends the session.
    _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
    var written = 0
    while written < size {
        let n = send(fds[0], data + written, size - written, Int32(MSG_NOSIGNAL))
        guard n > 0 else { return 0 }
        written += n
    }
    shutdown(fds[0], Int32(SHUT_WR))
    let connection = VirtualCardConnection(emulator: emulator, options: .init(quickAck: false))
    _ = connection.session(fds[1])
    return 0
}
