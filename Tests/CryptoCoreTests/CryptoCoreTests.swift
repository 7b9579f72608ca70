import CryptoCore
import Foundation
import Testing

@Suite("CryptoCore")
struct CryptoCoreTests {
    @Test("digests match the FIPS 180 'abc' vectors")
    func digests() {
        let abc: [UInt8] = Array("abc".utf8)
        #expect(hex(DigestAlgorithm.sha1.hash(abc)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(DigestAlgorithm.sha256.hash(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(DigestAlgorithm.sha384.hash(abc)).hasPrefix("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"))
        #expect(DigestAlgorithm.sha(outputLength: 48) == .sha384)
        #expect(DigestAlgorithm.sha(outputLength: 21) == nil)
    }

    @Test("base64url: the RFC 4648 vectors, the standard alphabet mapped, no padding, and back")
    func base64URL() {
        for (text, encoded) in [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")] {
            #expect(Base64URL.encode(Array(text.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(text.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
        #expect(Base64URL.decode("Zg==") == [0x66])
        #expect(Base64URL.decode("Zm+v") == nil)
        for count in 0..<70 {
            let bytes = SecureRandom.bytes(count)
            let reference = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == reference)
            #expect(Base64URL.encode(bytes[...]) == reference)
            #expect(Base64URL.decode(reference) == bytes)
        }
    }

    @Test("RSA PKCS#1 v1.5: sign a DigestInfo, recover it, verify")
    func rsa() throws {
        let key = try PrivateKey.generateRSA(bits: 2048)
        #expect(key.kind == .rsa(bits: 2048))
        let pub = try key.publicKey()
        let data = Array("challenge".utf8)
        let prefix: [UInt8] = [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]
        let digest = DigestAlgorithm.sha256.hash(data)
        let sig = try key.rsaSignPKCS1(payload: prefix + digest)
        #expect(sig.count == 256)
        #expect(try pub.rsaRecoverPKCS1(signature: sig) == prefix + digest)
        #expect(pub.verify(signature: sig, data: data, algorithm: .sha256))
        #expect(!pub.verify(signature: sig, data: data + [0], algorithm: .sha256))
        var bad = sig
        bad[10] ^= 1
        #expect(throws: CryptoError.self) { try pub.rsaRecoverPKCS1(signature: bad) }
        #expect(throws: CryptoError.self) { try pub.rsaRecoverPKCS1(signature: [1, 2, 3]) }
        let pss = try key.rsaSignPSS(digest: digest, algorithm: .sha256)
        #expect(pub.verify(signature: pss, digest: digest, algorithm: .sha256, pss: true))
        #expect(!pub.verify(signature: pss, digest: digest, algorithm: .sha256))
    }

    @Test("ECDSA P-384 over a digest, DER output")
    func ecdsa() throws {
        let key = try PrivateKey.generateEC(curve: .p384)
        #expect(key.kind == .ec(curve: "P-384", bits: 384))
        let pub = try key.publicKey()
        let digest = DigestAlgorithm.sha384.hash(Array("x".utf8))
        let der = try key.ecdsaSign(digest: digest)
        #expect(der.first == 0x30)
        #expect(pub.verify(signature: der, digest: digest, algorithm: .sha384))
        #expect(!pub.verify(signature: der, digest: DigestAlgorithm.sha384.hash([1]), algorithm: .sha384))
        let spki = try pub.spkiDER()
        #expect(spki.count == 120)  // the size of the eID basic-key file
        #expect(try PublicKey(spkiDER: spki).kind == pub.kind)
        #expect(!key.description.contains("BEGIN"))
    }

    @Test("garbage keys and certificates give typed errors")
    func garbage() {
        #expect(throws: CryptoError.self) { try PublicKey(spkiDER: [0x30, 0x03, 1, 2, 3]) }
        #expect(throws: CryptoError.self) { try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
        #expect(throws: CryptoError.self) { try Certificate(der: []) }
        #expect(throws: CryptoError.self) { try Certificate(paddedDER: [0x30, 0x82, 0xFF, 0xFF, 0]) }
        #expect(throws: CryptoError.self) { try Certificate(paddedDER: [UInt8](repeating: 0, count: 100)) }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let n = Int.random(in: 0..<200, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? Certificate(der: bytes)
            _ = try? PublicKey(spkiDER: bytes)
            _ = derElementLength(bytes)
        }
    }

    @Test("DER element length from the header")
    func derLength() {
        #expect(derElementLength([0x30, 0x03, 1, 2, 3, 0, 0]) == 5)
        #expect(derElementLength([0x30, 0x81, 0x02, 1, 2]) == 5)
        #expect(derElementLength([0x30, 0x82, 0x01, 0x00] + [UInt8](repeating: 0, count: 256)) == 260)
        #expect(derElementLength([0x30, 0x05, 1]) == nil)
        #expect(derElementLength([0x30]) == nil)
        #expect(derElementLength([0x30, 0x80]) == nil)
    }

    private func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
}

@Suite("Certificates from the test PKI")
struct CertificateTests {
    static let pki = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Hardware/test-pki")

    func load(_ path: String) throws -> Certificate {
        try Certificate(pem: String(contentsOf: Self.pki.appendingPathComponent(path), encoding: .utf8))
    }

    @Test("names, key usage, chain and keys of the RSA and EC trees", arguments: ["rsa", "ec"])
    func chain(tree: String) throws {
        let root = try load("\(tree)/root.crt")
        let ca = try load("\(tree)/citizen-ca.crt")
        let person = tree == "rsa" ? "specimen-1.7" : "specimen-1.8"
        let auth = try load("persons/\(person)/auth.crt")
        #expect(root.subject.commonName?.contains("TEST") == true)
        #expect(root.isCA && ca.isCA && !auth.isCA)
        #expect(root.isSignedBy(root))
        #expect(ca.isSignedBy(root))
        #expect(auth.isSignedBy(ca))
        #expect(!auth.isSignedBy(root))
        #expect(auth.issuer == ca.subject)
        #expect(auth.keyUsage == .digitalSignature)
        #expect(auth.subject.value(of: DistinguishedName.serialNumberOID)?.count == 11)
        #expect(!auth.subject.redactedDescription.contains(auth.subject.value(of: DistinguishedName.serialNumberOID)!))
        #expect(auth.notBefore < auth.notAfter)
        #expect(try auth.publicKey().kind == (tree == "rsa" ? .rsa(bits: 2048) : .ec(curve: "P-384", bits: 384)))
        // The certificate file on a card is DER plus zero padding.
        let padded = auth.derEncoded + [UInt8](repeating: 0, count: 1100)
        #expect(try Certificate(paddedDER: padded).derEncoded == auth.derEncoded)
        #expect(throws: CryptoError.self) { try Certificate(der: padded) }
        // The private key on file matches the certificate.
        let key = try PrivateKey(pem: String(contentsOf: Self.pki.appendingPathComponent("persons/\(person)/auth.key"), encoding: .utf8))
        let sig = try key.sign(data: [1, 2, 3], algorithm: .sha256)
        #expect(try auth.publicKey().verify(signature: sig, data: [1, 2, 3], algorithm: .sha256))
        #expect(try !root.pem().isEmpty)
    }

    @Test("a PEM bundle yields every certificate")
    func bundle() throws {
        let text = try String(contentsOf: Self.pki.appendingPathComponent("rsa/root.crt"), encoding: .utf8)
            + String(contentsOf: Self.pki.appendingPathComponent("rsa/citizen-ca.crt"), encoding: .utf8)
        #expect(try Certificate.all(pem: text).count == 2)
        // Text around and between the blocks (non-ASCII too), a stray END first and an unfinished
        // BEGIN last: the two certificates come back in order.
        let root = try Certificate(pem: String(contentsOf: Self.pki.appendingPathComponent("rsa/root.crt"), encoding: .utf8))
        let ca = try Certificate(pem: String(contentsOf: Self.pki.appendingPathComponent("rsa/citizen-ca.crt"), encoding: .utf8))
        let decorated = "-----END CERTIFICATE-----\nsubject=Ünïcödé – root ✓\n" + (try root.pem())
            + "issuer=€\n" + (try ca.pem()) + "\n-----BEGIN CERTIFICATE-----\nMIIB"
        #expect(try Certificate.all(pem: decorated).map(\.derEncoded) == [root.derEncoded, ca.derEncoded])
        #expect(try Certificate.all(pem: "no certificates here").isEmpty)
        // A large bundle with blocks back to back (no newline between END and BEGIN).
        let joined = String(repeating: try root.pem().trimmingCharacters(in: .newlines), count: 300)
        let many = try Certificate.all(pem: joined)
        #expect(many.count == 300 && many.allSatisfy { $0.derEncoded == root.derEncoded })
    }
}

@Suite("Certificate extensions")
struct CertificateExtensionTests {
    func load(_ path: String) throws -> Certificate {
        try Certificate(pem: String(contentsOf: CertificateTests.pki.appendingPathComponent(path), encoding: .utf8))
    }

    @Test("policies, AIA, CRL distribution points, constraints of a test-PKI leaf and CA")
    func leaf() throws {
        let auth = try load("persons/specimen-1.7/auth.crt")
        #expect(try auth.policyOIDs() == ["2.16.56.12.1.1.2.2"])
        #expect(auth.ocspURLs == ["http://127.0.0.1:8888/citizen-ca"])
        #expect(auth.crlURLs.first?.hasPrefix("http://127.0.0.1:8890/") == true)
        #expect(auth.pathLengthConstraint == nil)
        #expect(!auth.isSelfIssued)
        #expect(!auth.hasUnhandledCriticalExtension)
        #expect(auth.extensions.contains { $0.oid == "2.5.29.15" && $0.isCritical })
        let ca = try load("rsa/citizen-ca.crt")
        #expect(ca.pathLengthConstraint == 0)
        #expect(auth.issuerNameMatches(subjectOf: ca))
        let root = try load("rsa/root.crt")
        #expect(root.isSelfIssued)
        #expect(!auth.issuerNameMatches(subjectOf: root))
        #expect(root.signatureAlgorithm.contains("sha256") || root.signatureAlgorithm.contains("SHA256"))
        let sign = try load("persons/specimen-1.7/sign.crt")
        #expect(sign.hasExtension(Certificate.qcStatementsOID))
        #expect(!auth.hasExtension(Certificate.qcStatementsOID))
        #expect(try auth.publicKeyFingerprint().count == 32)
    }
}

@Suite("BoundedCache")
struct BoundedCacheTests {
    @Test("keeps at most its capacity, and what is in use survives a generation change")
    func bounded() {
        let cache = BoundedCache<Int, String>(capacity: 4)
        cache.remember("a", for: 1)
        cache.remember("b", for: 2)
        cache.remember("c", for: 3)   // young {1,2} becomes old; young {3}
        #expect(cache[1] == "a")       // promoted back to young {3,1}
        cache.remember("d", for: 4)   // young full: old {3,1}, young {4}
        #expect(cache.count <= 4)
        #expect(cache[2] == nil)       // dropped with the first old generation
        #expect(cache[1] == "a" && cache[3] == "c" && cache[4] == "d")
    }

    @Test("value(for:) computes once and does not remember failures")
    func memo() throws {
        let cache = BoundedCache<String, Int>(capacity: 8)
        var calls = 0
        struct Failure: Error {}
        #expect(throws: Failure.self) { try cache.value(for: "x") { () throws(Failure) -> Int in calls += 1; throw Failure() } }
        #expect(try cache.value(for: "x") { () throws(Failure) -> Int in calls += 1; return 7 } == 7)
        #expect(try cache.value(for: "x") { () throws(Failure) -> Int in calls += 1; return 8 } == 7)
        #expect(calls == 2)
    }

    @Test("a remembered certificate is the same certificate; garbage still fails every time")
    func certificates() throws {
        let pem = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Hardware/test-pki/ec/citizen-ca.crt"), encoding: .utf8)
        let der = try Certificate(pem: pem).derEncoded
        let first = try Certificate.remembered(der: der), second = try Certificate.remembered(der: der)
        #expect(first.derEncoded == der && second.derEncoded == der && first.subject == second.subject)
        for _ in 0..<2 { #expect(throws: (any Error).self) { try Certificate.remembered(der: Array(der.dropLast())) } }
    }
}
