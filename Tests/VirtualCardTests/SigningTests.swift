import CryptoCore
import Testing
@testable import VirtualCard

@Suite("PSO:CDS signatures verify with CryptoCore")
struct SigningTests {
    static let message: [UInt8] = Array("challenge from the relying party".utf8)

    static func rsaCard(key: UInt8, algorithm: UInt8) -> EIDCardEmulator {
        var card = Fixtures.emulator(.v17)
        #expect(card.process(mseAPDU(algorithm: algorithm, key: key)) == [0x90, 0x00])
        #expect(card.process(verifyAPDU("1234")) == [0x90, 0x00])
        return card
    }

    @Test("RSA algo 01: DigestInfo(SHA-256)", arguments: [true, false])
    func rsaDigestInfo(caseFour: Bool) throws {
        var card = Self.rsaCard(key: 0x82, algorithm: 0x01)
        let digest = DigestAlgorithm.sha256.hash(Self.message)
        let digestInfo = DigestInfoPrefix.sha256 + digest
        let signature = try card.sign(digestInfo, le: caseFour).get()
        #expect(signature.count == 256)
        let key = try Fixtures.rsaAuth.publicKey()
        #expect(key.verify(signature: signature, digest: digest, algorithm: .sha256))
        #expect(try key.rsaRecoverPKCS1(signature: signature) == digestInfo)
    }

    @Test("RSA algo 02: bare SHA-1 hash")
    func rsaSHA1() throws {
        var card = Self.rsaCard(key: 0x82, algorithm: 0x02)
        let digest = DigestAlgorithm.sha1.hash(Self.message)
        let signature = try card.sign(digest).get()
        #expect(try Fixtures.rsaAuth.publicKey().verify(signature: signature, digest: digest, algorithm: .sha1))
    }

    @Test("RSA algo 08: bare SHA-256 hash, non-repudiation key")
    func rsaSHA256() throws {
        var card = Self.rsaCard(key: 0x83, algorithm: 0x08)
        let digest = DigestAlgorithm.sha256.hash(Self.message)
        let signature = try card.sign(digest).get()
        #expect(try Fixtures.rsaSign.publicKey().verify(signature: signature, digest: digest, algorithm: .sha256))
        #expect(!(try Fixtures.rsaAuth.publicKey().verify(signature: signature, digest: digest, algorithm: .sha256)))
    }

    @Test("RSA algo 04 (MD5) and 20 (PSS SHA-256)")
    func rsaOptional() throws {
        var md5 = Self.rsaCard(key: 0x82, algorithm: 0x04)
        let md5Digest = DigestAlgorithm.md5.hash(Self.message)
        let md5Signature = try md5.sign(md5Digest).get()
        #expect(try Fixtures.rsaAuth.publicKey().rsaRecoverPKCS1(signature: md5Signature) == DigestInfoPrefix.md5 + md5Digest)

        var pss = Self.rsaCard(key: 0x82, algorithm: 0x20)
        let digest = DigestAlgorithm.sha256.hash(Self.message)
        let signature = try pss.sign(digest).get()
        #expect(try Fixtures.rsaAuth.publicKey().verify(signature: signature, digest: digest, algorithm: .sha256, pss: true))
    }

    @Test("EC algo 02: SHA-384, r ‖ s output", arguments: [0x82, 0x83] as [UInt8])
    func ecSHA384(key: UInt8) throws {
        var card = Fixtures.emulator(.v18)
        #expect(card.process(mseAPDU(algorithm: 0x02, key: key)) == [0x90, 0x00])
        #expect(card.process(verifyAPDU("1234")) == [0x90, 0x00])
        let digest = DigestAlgorithm.sha384.hash(Self.message)
        let signature = try card.sign(digest).get()
        #expect(signature.count == 96)
        let publicKey = try (key == 0x82 ? Fixtures.ecAuth : Fixtures.ecSign).publicKey()
        #expect(publicKey.verify(signature: derSignature(raw: signature), digest: digest, algorithm: .sha384))
    }

    @Test("EC algos 01, 04, 40")
    func ecOthers() throws {
        var card = Fixtures.emulator(.v18)
        #expect(card.process(verifyAPDU("1234")) == [0x90, 0x00])
        let key = try Fixtures.ecAuth.publicKey()
        for (algorithm, digestAlgorithm) in [(UInt8(0x01), DigestAlgorithm.sha256), (0x04, .sha512), (0x40, .sha384), (0x40, .sha1)] {
            #expect(card.process(mseAPDU(algorithm: algorithm, key: 0x82)) == [0x90, 0x00])
            let digest = digestAlgorithm.hash(Self.message)
            let signature = try card.sign(digest).get()
            #expect(signature.count == 96)
            #expect(key.verify(signature: derSignature(raw: signature), digest: digest, algorithm: digestAlgorithm))
        }
        #expect(card.process(mseAPDU(algorithm: 0x40, key: 0x82)) == [0x90, 0x00])
        #expect(card.sign([UInt8](repeating: 1, count: 33)) == .failure(StatusWordError(sw: 0x6A80)))
    }

    @Test("r ‖ s conversion keeps leading zeros")
    func rawConversion() throws {
        // r with a leading 00 (high bit set) and a short s.
        let r: [UInt8] = [0x80] + [UInt8](repeating: 0x11, count: 47)
        let s: [UInt8] = [0x01, 0x02]
        let der = derSignature(raw: r + [UInt8](repeating: 0, count: 46) + s)
        let raw = try #require(ECDSASignature.raw(fromDER: der, componentLength: 48))
        #expect(raw == r + [UInt8](repeating: 0, count: 46) + s)
        #expect(ECDSASignature.raw(fromDER: [0x30, 0x02, 0x02, 0x00], componentLength: 48) == nil)
    }
}
