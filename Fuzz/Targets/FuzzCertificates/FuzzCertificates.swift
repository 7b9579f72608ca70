import CryptoCore

/// libFuzzer entry: certificates (DER, zero-padded DER as on the card, PEM bundles), CRLs and
/// OCSP responses as received from a card or a responder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCertificates(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let certificate = try? Certificate(der: bytes) {
        _ = try? certificate.publicKey().spkiDER()
        _ = try? certificate.pem()
        _ = certificate.isSignedBy(certificate)
    }
    _ = try? Certificate(paddedDER: bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? Certificate.all(pem: text)
    _ = try? CRL(derOrPEM: bytes)
    if let response = try? OCSPResponse(der: bytes) { _ = try? response.nonce() }
    return 0
}
