import CryptoCore
import Foundation
import Testing

@Suite("CRL parsing and verification (committed test-PKI CRLs, no network)")
struct CRLTests {
    let citizenCA: Certificate
    let crlDER: [UInt8]

    init() throws {
        citizenCA = try RevocationPKI.certificate("rsa/citizen-ca.crt")
        crlDER = try RevocationPKI.bytes("crl/rsa-citizen-ca.crl")
    }

    @Test("DER and PEM forms parse to the same CRL with two keyCompromise entries")
    func parse() throws {
        let der = try CRL(der: crlDER)
        let pem = try CRL(pem: String(decoding: try RevocationPKI.bytes("crl/rsa-citizen-ca.crl.pem"), as: UTF8.self))
        let sniffed = try CRL(derOrPEM: try RevocationPKI.bytes("crl/rsa-citizen-ca.crl.pem"))
        #expect(pem.derEncoded == der.derEncoded)
        #expect(sniffed.derEncoded == der.derEncoded)
        #expect(der.entries.map(\.serialNumberHex) == ["100D", "100E"])
        #expect(der.entries.allSatisfy { $0.reason == .keyCompromise })
        #expect(der.crlNumberHex == "01")
        let next = try #require(der.nextUpdate)
        #expect(next.timeIntervalSince(der.thisUpdate) > 9 * 365 * 86_400)
    }

    @Test("serial lookup: revoked-1.7 is listed with date and reason, specimen-1.7 is not")
    func lookup() throws {
        let crl = try CRL(der: crlDER)
        let revoked = try RevocationPKI.certificate("persons/revoked-1.7/auth.crt")
        let good = try RevocationPKI.certificate("persons/specimen-1.7/auth.crt")
        let entry = try #require(crl.entry(for: revoked))
        #expect(entry.serialNumberHex == revoked.serialNumberHex)
        #expect(entry.reason == .keyCompromise)
        #expect(entry.revocationDate <= crl.thisUpdate)
        #expect(crl.entry(for: good) == nil)
        #expect(crl.entry(serialNumberHex: "100d")?.reason == .keyCompromise)
        #expect(crl.entry(serialNumberHex: "zz") == nil)
        #expect(crl.entry(serialNumberHex: "") == nil)
        #expect(crl.entry(serialNumberHex: "-1") == nil)
    }

    @Test("signature verifies with the issuing CA only")
    func signature() throws {
        let crl = try CRL(der: crlDER)
        try crl.verify(issuer: citizenCA)
        #expect(crl.isSignedBy(citizenCA))
        // Same subject DN, other key (EC tree's Citizen CA): the signature check must fail.
        let ecCitizen = try RevocationPKI.certificate("ec/citizen-ca.crt")
        RevocationPKI.expect(CRLError.Code.badSignature) { try crl.verify(issuer: ecCitizen) }
        let foreigner = try RevocationPKI.certificate("rsa/foreigner-ca.crt")
        RevocationPKI.expect(CRLError.Code.wrongIssuer) { try crl.verify(issuer: foreigner) }
    }

    @Test("a tampered CRL (one serial changed) fails the signature check")
    func tamperedCRL() throws {
        let bytes = try #require(RevocationPKI.tampered(crlDER, at: [0x02, 0x02, 0x10, 0x0D], offset: 3))
        let crl = try CRL(der: bytes)
        #expect(crl.entry(serialNumberHex: "100C") != nil)
        RevocationPKI.expect(CRLError.Code.badSignature) { try crl.verify(issuer: citizenCA) }
    }

    @Test("freshness: stale after nextUpdate + skew, not yet valid before thisUpdate − skew")
    func freshness() throws {
        let crl = try CRL(der: crlDER)
        let next = try #require(crl.nextUpdate)
        try crl.checkFreshness(at: crl.thisUpdate.addingTimeInterval(60))
        try crl.checkFreshness(at: next.addingTimeInterval(299), clockSkew: 300)
        RevocationPKI.expect(CRLError.Code.stale) { try crl.checkFreshness(at: next.addingTimeInterval(301), clockSkew: 300) }
        RevocationPKI.expect(CRLError.Code.notYetValid) { try crl.checkFreshness(at: crl.thisUpdate.addingTimeInterval(-301), clockSkew: 300) }
    }

    @Test("garbage is refused with a typed error", arguments: [
        [], [0x30], [0x30, 0x00], [0x30, 0x82, 0xFF, 0xFF, 0x01], Array("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n".utf8),
        Array(repeating: 0xFF, count: 64),
    ] as [[UInt8]])
    func garbage(bytes: [UInt8]) {
        RevocationPKI.expect(CRLError.Code.malformed) { try CRL(derOrPEM: bytes) }
    }

    @Test("trailing bytes, a certificate and truncations are refused; random mutations never crash")
    func mutations() throws {
        RevocationPKI.expect(CRLError.Code.malformed) { try CRL(der: crlDER + [0x00]) }
        RevocationPKI.expect(CRLError.Code.malformed) { try CRL(der: citizenCA.derEncoded) }
        RevocationPKI.expect(CRLError.Code.malformed) { try CRL(pem: "not pem") }
        for length in stride(from: 0, to: crlDER.count, by: 37) {
            RevocationPKI.expect(CRLError.Code.malformed) { try CRL(der: Array(crlDER.prefix(length))) }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var bytes = crlDER
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            if let crl = try? CRL(der: bytes) {
                _ = crl.entries
                _ = crl.nextUpdate
                _ = try? crl.verify(issuer: citizenCA)
            }
        }
    }
}
