import CryptoCore
import FuzzSupport

/// libFuzzer target: certificates (DER, zero-padded DER as on the card, PEM bundles), CRLs and
/// OCSP responses as received from a card or a responder, and ECDSA signatures in DER and
/// `r ‖ s` form (the signature of `POST /v1/eid/login`, JWS signatures).
@main
enum FuzzCertificates {
    static func main() {
        FuzzDriver.run(fuzzOneInput)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = FuzzDriver.bytes(data, size)
    if let certificate = try? Certificate(der: bytes) {
        _ = try? certificate.publicKey().spkiDER()
        _ = try? certificate.pem()
        _ = certificate.isSignedBy(certificate)
    }
    _ = try? Certificate(paddedDER: bytes)
    _ = try? Certificate.all(pem: String(decoding: bytes, as: UTF8.self))
    _ = try? CRL(derOrPEM: bytes)
    if let response = try? OCSPResponse(der: bytes) { _ = try? response.nonce() }
    _ = try? ECDSASignatureEncoding.raw(fromDER: bytes, componentLength: 48)
    _ = try? ECDSASignatureEncoding.der(fromRaw: bytes)
    return 0
}
