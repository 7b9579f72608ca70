import CryptoCore
import Trust

/// libFuzzer entry: public keys in every format the key check reads (SPKI DER, PEM, PKCS#1,
/// OpenSSH, certificates), the bytes of a file a user hands to `sleutel keys check`.
private let checker = KeyStrengthChecker(options: .init(fermatIterations: 10, primalityTest: false))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPublicKeys(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let key = try? PublicKey(spkiDER: bytes) { _ = try? key.spkiDER() }
    _ = try? PublicKey(pem: String(decoding: bytes, as: UTF8.self))
    _ = try? checker.verdicts(forFile: bytes)
    return 0
}
