import CryptoCore
import Foundation
import FuzzSupport
@testable import VirtualCard

/// libFuzzer target: what pcscd's vpcd driver sends to the virtual card (2-byte length frames,
/// control bytes, APDUs), fed through the connection's real frame reader over a socket pair.
private let emulator: EIDCardEmulator = {
    let key = try! PrivateKey.generateEC(curve: .p384)
    let profile = CardProfile(
        name: "fuzz", applet: .v18, pin: "1234", pinTriesLeft: 3, chipSerial: "534C494E33660013930D29C77F032F16",
        photoHash: nil, nonRepudiationWindow: nil,
        identity: CardProfile.Identity(
            cardNumber: "592000000170", validityBegin: "01.01.2025", validityEnd: "01.01.2035",
            deliveryMunicipality: "Antwerpen", nationalNumber: "71715100070", surname: "Specimen",
            givenNames: "Fuzz", thirdInitial: "A", nationality: "BELG", birthLocation: "Hamont-Achel",
            birthDate: "01 JAN 1971", sex: "F", nobleCondition: "", documentType: "1", specialStatus: "0",
            extraTags: [:]
        ),
        address: CardProfile.Address(streetAndNumber: "Meirbrug 1", zip: "2000", municipality: "Antwerpen")
    )
    let material = CardMaterial(photo: [0xFF, 0xD8, 0xFF, 0xD9], authKey: key, signKey: key, rrnKey: key, basicKey: key)
    return EIDCardEmulator(image: try! CardImage(profile: profile, material: material))
}()

@main
enum FuzzVPCDFrames {
    static func main() {
        _ = emulator
        FuzzDriver.run(fuzzOneInput)
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
