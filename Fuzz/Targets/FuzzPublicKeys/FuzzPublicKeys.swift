import CryptoCore
import FuzzSupport
import Trust

/// libFuzzer target: public keys in every format the key check reads (SPKI DER, PEM, PKCS#1,
/// OpenSSH, certificates): the bytes of a file given to `sleutel keys check` or to
/// `POST /v1/keys/check`. Few Fermat steps and no primality test keep one input fast.
@main
enum FuzzPublicKeys {
    static let checker = KeyStrengthChecker(options: .init(fermatIterations: 10, primalityTest: false))

    static func main() {
        _ = checker
        FuzzDriver.run(fuzzOneInput)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = FuzzDriver.bytes(data, size)
    if let key = try? PublicKey(spkiDER: bytes) { _ = try? key.spkiDER() }
    _ = try? PublicKey(pem: String(decoding: bytes, as: UTF8.self))
    _ = try? FuzzPublicKeys.checker.verdicts(forFile: bytes)
    return 0
}
