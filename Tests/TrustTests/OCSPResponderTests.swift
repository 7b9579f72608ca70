import CryptoCore
import Foundation
import Testing
import Transport
import Trust

/// CryptoCore's OCSP checks on real responses from the `openssl ocsp` responders.
@Suite("OCSP responses from the real responders", .revocationResponders)
struct OCSPResponderTests {
    let ca: Certificate
    let leaf: Certificate
    let client = HTTPClient()

    init() throws {
        ca = try RevocationPKI.certificate("rsa/citizen-ca.crt")
        leaf = try RevocationPKI.certificate("persons/specimen-1.7/auth.crt")
    }

    private func fetch(_ request: OCSPRequest, from url: String = "\(RevocationPKI.rsaOCSP)/citizen-ca") throws -> OCSPResponse {
        let reply = try client.post(url, body: request.derEncoded, contentType: OCSPRequest.mediaType)
        try #require(reply.status == 200)
        return try OCSPResponse(der: reply.body)
    }

    @Test("delegated responder: signer is the ocsp-citizen-ca certificate; nonce echoed; good")
    func delegated() throws {
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        let response = try fetch(request)
        #expect(response.responseStatus == .successful)
        guard case .delegated(let signer) = try response.verifySigner(issuer: ca, at: Date()) else {
            Issue.record("expected a delegated signer"); return
        }
        #expect(signer.derEncoded == (try RevocationPKI.certificate("rsa/ocsp-citizen-ca.crt")).derEncoded)
        #expect(try response.nonce() == request.nonce)
        let single = try response.validate(for: request, issuer: ca, at: Date())
        #expect(single.certStatus == .good)
    }

    @Test("issuer-signed responder: signer is the CA")
    func issuerSigned() throws {
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        let response = try fetch(request, from: RevocationPKI.caSignedOCSP)
        guard case .issuer = try response.verifySigner(issuer: ca, at: Date()) else { Issue.record("expected the issuer"); return }
        #expect(response.certificates.count >= 1)
    }

    @Test("a flipped byte inside the signed data fails the signature check")
    func tamperedSignature() throws {
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        let response = try fetch(request)
        let bytes = try #require(RevocationPKI.tampered(response.derEncoded, at: request.nonce!, offset: 5))
        let broken = try OCSPResponse(der: bytes)
        RevocationPKI.expect(OCSPError.Code.badSignature) { try broken.verifySigner(issuer: ca, at: Date()) }
        RevocationPKI.expect(OCSPError.Code.badSignature) { try broken.validate(for: request, issuer: ca, at: Date()) }
    }

    @Test("nonce mismatch, missing nonce, and a CertID not in the response")
    func nonceAndCertID() throws {
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        let response = try fetch(request)
        let otherNonce = try OCSPRequest(certificate: leaf, issuer: ca)
        RevocationPKI.expect(OCSPError.Code.nonceMismatch) { try response.validate(for: otherNonce, issuer: ca, at: Date()) }
        _ = try response.validate(for: otherNonce, issuer: ca, at: Date(), options: .init(nonce: .ignored))
        let otherCert = try OCSPRequest(certificate: RevocationPKI.certificate("persons/revoked-1.7/auth.crt"), issuer: ca, nonce: request.nonce)
        RevocationPKI.expect(OCSPError.Code.responseNotFound) { try response.validate(for: otherCert, issuer: ca, at: Date()) }

        let withoutNonce = try fetch(try OCSPRequest(certificate: leaf, issuer: ca, nonce: nil))
        #expect(try withoutNonce.nonce() == nil)
        RevocationPKI.expect(OCSPError.Code.nonceMissing) { try withoutNonce.validate(for: request, issuer: ca, at: Date()) }
        _ = try withoutNonce.validate(for: request, issuer: ca, at: Date(), options: .init(nonce: .ifPresent))
    }

    @Test("wrong issuer: the EC Citizen CA (same name, other key) is not the signer's issuer")
    func wrongIssuer() throws {
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        let response = try fetch(request)
        let ecCA = try RevocationPKI.certificate("ec/citizen-ca.crt")
        RevocationPKI.expect(OCSPError.Code.unauthorizedSigner) { try response.verifySigner(issuer: ecCA, at: Date()) }
        // The responder certificate is valid 2025–2035: outside that it is refused.
        RevocationPKI.expect(OCSPError.Code.unauthorizedSigner) { try response.verifySigner(issuer: ca, at: Date(timeIntervalSince1970: 2_100_000_000)) }
    }

    @Test("random mutations of a real response never crash and never validate as a different status")
    func mutations() throws {
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        let der = try fetch(request).derEncoded
        var rng = SystemRandomNumberGenerator()
        for length in stride(from: 0, to: der.count, by: 29) {
            RevocationPKI.expect(OCSPError.Code.malformed) { try OCSPResponse(der: Array(der.prefix(length))) }
        }
        for _ in 0..<300 {
            var bytes = der
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            let new = UInt8.random(in: 0...255, using: &rng)
            guard new != bytes[i] else { continue }
            bytes[i] = new
            guard let response = try? OCSPResponse(der: bytes) else { continue }
            _ = response.certificates
            _ = try? response.nonce()
            if let single = try? response.validate(for: request, issuer: ca, at: Date()) {
                // Only bytes outside the signed data (e.g. the carried certificate's own signature) may change.
                #expect(single.certStatus == .good)
            }
        }
    }
}
