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

/// Signing commands (PSO: COMPUTE DIGITAL SIGNATURE `2A`, INTERNAL AUTHENTICATE `88`) fed per input.
/// Each costs the card a P-384 signature, about 0.8 ms of OpenSSL arithmetic (not under test here),
/// and inputs repeating them hundreds of times took the run from ~7,000 to ~500 executions/s; a
/// reader session sends two, and the third and later ones take the same paths of the frame reader
/// and the applet as the first.
let maximumSigningCommands = 4

/// The length of the input up to the frame that would be signing command number
/// `maximumSigningCommands + 1` (walking vpcd's 2-byte length frames as the connection does).
func fedLength(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int {
    var offset = 0
    var signing = 0
    while offset + 2 <= size {
        let length = Int(data[offset]) << 8 | Int(data[offset + 1])
        if length >= 2, offset + 2 + length <= size, data[offset + 3] == 0x2A || data[offset + 3] == 0x88 {
            signing += 1
            if signing > maximumSigningCommands { return offset }
        }
        offset += 2 + length
    }
    return size
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let size = fedLength(data, size)
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
