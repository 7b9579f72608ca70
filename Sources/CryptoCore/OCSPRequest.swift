import COpenSSL

final class OCSPRequestBox: @unchecked Sendable {
    let request: OpaquePointer
    /// A copy of the CertID added to the request, to find our SingleResponse in the answer.
    let certID: OpaquePointer
    init(request: OpaquePointer, certID: OpaquePointer) {
        self.request = request
        self.certID = certID
    }
    deinit {
        OCSP_CERTID_free(certID)
        OCSP_REQUEST_free(request)
    }
}

/// An OCSP request (RFC 6960) for one certificate: a SHA-256 CertID (issuer name hash, issuer key
/// hash, serial) and, by default, a nonce of 32 fresh random bytes. Unsigned, as responders expect.
public struct OCSPRequest: Sendable {
    /// The media type to POST the request with.
    public static let mediaType = "application/ocsp-request"
    /// The media type of a responder's answer.
    public static let responseMediaType = "application/ocsp-response"

    let box: OCSPRequestBox
    /// The DER encoding, the body of an HTTP POST.
    public let derEncoded: [UInt8]
    /// The nonce sent in the request extension, or nil when the request carries none.
    public let nonce: [UInt8]?
    /// The serial number of the certificate asked about, as upper-case hex.
    public let serialNumberHex: String

    /// Builds a request for `certificate`, issued by `issuer`.
    /// - Parameters:
    ///   - certificate: the certificate whose status is asked.
    ///   - issuer: its issuer (the CA whose name and key are hashed into the CertID).
    ///   - nonce: the nonce to send; by default 32 random bytes. Pass nil for no nonce.
    /// - Throws: ``CryptoError`` when OpenSSL cannot build or encode the request.
    public init(certificate: Certificate, issuer: Certificate, nonce: [UInt8]? = SecureRandom.bytes(32)) throws {
        guard nonce.map({ !$0.isEmpty && $0.count <= 128 }) ?? true else {
            throw CryptoError.invalidInput("an OCSP nonce must be 1…128 bytes")
        }
        let certID = try ossl(OCSP_cert_to_id(EVP_sha256(), certificate.box.x509, issuer.box.x509), "OCSP_cert_to_id")
        guard let copy = OCSP_CERTID_dup(certID) else {
            OCSP_CERTID_free(certID)
            throw CryptoError(.openssl, "OCSP_CERTID_dup failed: \(drainOpenSSLErrors())")
        }
        guard let request = OCSP_REQUEST_new() else {
            OCSP_CERTID_free(certID)
            OCSP_CERTID_free(copy)
            throw CryptoError(.openssl, "OCSP_REQUEST_new failed: \(drainOpenSSLErrors())")
        }
        let box = OCSPRequestBox(request: request, certID: copy)
        guard OCSP_request_add0_id(request, certID) != nil else {
            OCSP_CERTID_free(certID)
            throw CryptoError(.openssl, "OCSP_request_add0_id failed: \(drainOpenSSLErrors())")
        }
        if var value = nonce {
            try ossl(OCSP_request_add1_nonce(request, &value, Int32(value.count)), "OCSP_request_add1_nonce")
        }
        self.box = box
        self.nonce = nonce
        self.serialNumberHex = certificate.serialNumberHex
        self.derEncoded = try derEncode("i2d_OCSP_REQUEST") { i2d_OCSP_REQUEST(request, $0) }
    }
}
