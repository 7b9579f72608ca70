import CryptoCore
import Foundation
import Testing
import Trust

@Suite("OCSP request building and response parsing (no network)")
struct OCSPUnitTests {
    @Test("request: SHA-256 CertID, 32-byte random nonce, serial; DER is a SEQUENCE")
    func request() throws {
        let leaf = try RevocationPKI.certificate("persons/specimen-1.7/auth.crt")
        let ca = try RevocationPKI.certificate("rsa/citizen-ca.crt")
        let a = try OCSPRequest(certificate: leaf, issuer: ca)
        let b = try OCSPRequest(certificate: leaf, issuer: ca)
        #expect(a.nonce?.count == 32)
        #expect(a.nonce != b.nonce)
        #expect(a.serialNumberHex == "100F")
        #expect(a.derEncoded.first == 0x30)
        #expect(derElementLength(a.derEncoded) == a.derEncoded.count)
        // sha256 AlgorithmIdentifier OID 2.16.840.1.101.3.4.2.1 in the CertID
        let sha256OID: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
        #expect(RevocationPKI.tampered(a.derEncoded, at: sha256OID) != nil)
        #expect(RevocationPKI.tampered(a.derEncoded, at: a.nonce!) != nil)
        let fixed = try OCSPRequest(certificate: leaf, issuer: ca, nonce: [1, 2, 3])
        #expect(fixed.nonce == [1, 2, 3])
        let none = try OCSPRequest(certificate: leaf, issuer: ca, nonce: nil)
        #expect(none.nonce == nil)
        #expect(none.derEncoded.count < a.derEncoded.count)
        #expect(throws: CryptoError.self) { try OCSPRequest(certificate: leaf, issuer: ca, nonce: []) }
    }

    @Test("garbage is refused as malformed", arguments: [
        [], [0x30], [0x30, 0x00], [0x30, 0x03, 0x0A, 0x01], [0x04, 0x02, 0x00, 0x00], Array(repeating: 0x30, count: 100),
        Array("hello, world".utf8),
    ] as [[UInt8]])
    func garbage(bytes: [UInt8]) {
        RevocationPKI.expect(OCSPError.Code.malformed) { try OCSPResponse(der: bytes) }
    }

    @Test("a request or certificate is not a response")
    func wrongObjects() throws {
        let leaf = try RevocationPKI.certificate("persons/specimen-1.7/auth.crt")
        let ca = try RevocationPKI.certificate("rsa/citizen-ca.crt")
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        RevocationPKI.expect(OCSPError.Code.malformed) { try OCSPResponse(der: request.derEncoded) }
        RevocationPKI.expect(OCSPError.Code.malformed) { try OCSPResponse(der: leaf.derEncoded) }
    }

    @Test("unsuccessful statuses parse but never validate")
    func unsuccessful() throws {
        let leaf = try RevocationPKI.certificate("persons/specimen-1.7/auth.crt")
        let ca = try RevocationPKI.certificate("rsa/citizen-ca.crt")
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        for (raw, status) in [(1, OCSPResponse.ResponseStatus.malformedRequest), (2, .internalError), (3, .tryLater), (5, .sigRequired), (6, .unauthorized)] {
            let response = try OCSPResponse(der: [0x30, 0x03, 0x0A, 0x01, UInt8(raw)])
            #expect(response.responseStatus == status)
            #expect(response.producedAt == nil)
            #expect(response.certificates.isEmpty)
            RevocationPKI.expect(OCSPError.Code.unsuccessful) { try response.validate(for: request, issuer: ca, at: Date()) }
            RevocationPKI.expect(OCSPError.Code.unsuccessful) { try response.verifySigner(issuer: ca, at: Date()) }
            RevocationPKI.expect(OCSPError.Code.unsuccessful) { try response.singleResponse(for: request) }
        }
        // "successful" without responseBytes is malformed
        RevocationPKI.expect(OCSPError.Code.malformed) { try OCSPResponse(der: [0x30, 0x03, 0x0A, 0x01, 0x00]) }
    }

    @Test("freshness of a single response: skew, nextUpdate, and maximum age without nextUpdate")
    func freshness() throws {
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        let withNext = OCSPSingleResponse(certStatus: .good, thisUpdate: t, nextUpdate: t.addingTimeInterval(3600), producedAt: t)
        try withNext.checkFreshness(at: t)
        try withNext.checkFreshness(at: t.addingTimeInterval(-299), clockSkew: 300)
        try withNext.checkFreshness(at: t.addingTimeInterval(3600 + 299), clockSkew: 300)
        RevocationPKI.expect(OCSPError.Code.notYetValid) { try withNext.checkFreshness(at: t.addingTimeInterval(-301), clockSkew: 300) }
        RevocationPKI.expect(OCSPError.Code.stale) { try withNext.checkFreshness(at: t.addingTimeInterval(3600 + 301), clockSkew: 300) }
        let noNext = OCSPSingleResponse(certStatus: .good, thisUpdate: t, nextUpdate: nil, producedAt: t)
        try noNext.checkFreshness(at: t.addingTimeInterval(3599), maxAgeWithoutNextUpdate: 3600)
        RevocationPKI.expect(OCSPError.Code.stale) { try noNext.checkFreshness(at: t.addingTimeInterval(3601), maxAgeWithoutNextUpdate: 3600) }
    }
}
