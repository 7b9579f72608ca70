import CryptoCore
import Testing

@testable import BelgianEID

@Suite("DigestInfo")
struct DigestInfoTests {
    @Test(
        "prefixes of §6.2",
        arguments: [
            (HashAlgorithm.md5, "30 20 30 0C 06 08 2A 86 48 86 F7 0D 02 05 05 00 04 10", 16),
            (.sha1, "30 21 30 09 06 05 2B 0E 03 02 1A 05 00 04 14", 20),
            (.sha224, "30 2D 30 0D 06 09 60 86 48 01 65 03 04 02 04 05 00 04 1C", 28),
            (.sha256, "30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20", 32),
            (.sha384, "30 41 30 0D 06 09 60 86 48 01 65 03 04 02 02 05 00 04 30", 48),
            (.sha512, "30 51 30 0D 06 09 60 86 48 01 65 03 04 02 03 05 00 04 40", 64),
            (.ripemd160, "30 21 30 09 06 05 2B 24 03 02 01 05 00 04 14", 20),
        ]
    )
    func prefixes(_ algorithm: HashAlgorithm, _ prefix: String, _ length: Int) throws {
        #expect(algorithm.digestInfoPrefix == hex(prefix))
        #expect(algorithm.digestLength == length)
        // The DER length byte covers the rest of the structure.
        #expect(Int(algorithm.digestInfoPrefix[1]) == algorithm.digestInfoPrefix.count - 2 + length)
        let digest = (0..<length).map { UInt8($0) }
        let info = try algorithm.digestInfo(for: digest)
        #expect(info == hex(prefix) + digest)
        let (parsedAlgorithm, parsedDigest) = try parseDigestInfo(info)
        #expect(parsedAlgorithm == algorithm)
        #expect(parsedDigest == digest)
        #expect(try HashAlgorithm.parseDigestInfo(info).0 == algorithm)
    }

    @Test("SHA choice by digest length")
    func shaByLength() {
        #expect(HashAlgorithm.sha(digestLength: 20) == .sha1)
        #expect(HashAlgorithm.sha(digestLength: 32) == .sha256)
        #expect(HashAlgorithm.sha(digestLength: 48) == .sha384)
        #expect(HashAlgorithm.sha(digestLength: 64) == .sha512)
        #expect(HashAlgorithm.sha(digestLength: 16) == nil)
    }

    @Test("wrong digest length is refused")
    func wrongLength() {
        #expect(throws: EIDError.invalidLength("")) { try HashAlgorithm.sha256.digestInfo(for: [1, 2, 3]) }
    }

    @Test("non-DigestInfo input is rejected")
    func rejects() throws {
        let valid = try HashAlgorithm.sha256.digestInfo(for: [UInt8](repeating: 1, count: 32))
        #expect(throws: EIDError.invalidSignatureFormat("")) { try parseDigestInfo([]) }
        #expect(throws: EIDError.invalidSignatureFormat("")) { try parseDigestInfo(Array(valid.dropLast())) }
        #expect(throws: EIDError.invalidSignatureFormat("")) { try parseDigestInfo(valid + [0]) }
        var wrongOID = valid
        wrongOID[14] = 0x09
        #expect(throws: EIDError.invalidSignatureFormat("")) { try parseDigestInfo(wrongOID) }
        var rng = SeededGenerator(seed: 0xD16)
        for _ in 0..<3000 { _ = try? parseDigestInfo(rng.bytes(count: Int.random(in: 0...90, using: &rng))) }
    }
}
