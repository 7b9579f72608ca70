import CryptoCore
import Foundation
import Testing
@testable import Trust

/// The cases a labelled key corpus caught after the first key-strength release (issue 19 item 11):
/// medium-close RSA primes, Edwards keys that are no valid points, key-agreement keys offered as
/// signature keys.
@Suite("Key strength: labelled corpus cases")
struct KeyStrengthCorpusTests {
    let checker = KeyStrengthChecker(policy: .nist)

    /// SubjectPublicKeyInfo for a raw key under the one-arc OID 1.3.101.`arc` (RFC 8410).
    static func spki(arc: UInt8, _ raw: [UInt8]) -> [UInt8] {
        let algorithm: [UInt8] = [0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, arc]
        let bits: [UInt8] = [0x03, UInt8(raw.count + 1), 0x00] + raw
        return [0x30, UInt8(algorithm.count + bits.count)] + algorithm + bits
    }

    func edVerdict(_ raw: [UInt8], ed448: Bool = false) throws -> KeyVerdict {
        checker.verdict(for: try KeyReader.spki(Self.spki(arc: ed448 ? 113 : 112, raw)), year: 2026)
    }

    @Test("RSA-2048 with |p − q| ≈ 2^520 is split by the sieved Fermat search; 100 steps (badkeys' depth) would miss it")
    func fermatMediumClose() throws {
        let p = try BigNum.generatePrime(bits: 1024)
        var q = p.adding(BigNum(1).shiftedLeft(by: 520))
        while !q.isProbablePrime { q = q.adding(2) }
        let n = p.multiplied(by: q)
        let verdict = checker.verdict(for: .rsa(modulus: n, exponent: WeakKeys.f4), year: 2026)
        #expect(verdict.failures.map(\.id) == ["rsa.fermat"])
        #expect(!verdict.isAcceptable)
        let shallow = KeyStrengthChecker(policy: .nist, options: .init(fermatIterations: 100))
        #expect(shallow.verdict(for: .rsa(modulus: n, exponent: WeakKeys.f4), year: 2026).isAcceptable)
        #expect(KeyStrengthChecker.Options().fermatIterations >= 1_000_000)
    }

    /// The eight points of order dividing 8 on edwards25519, as encoded (orders 1, 2, 4, 4, 8, 8, 8, 8;
    /// checked with independent affine arithmetic when this test was written).
    static let ed25519Torsion = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ]

    @Test("Ed25519 small-order points are invalid keys")
    func ed25519SmallOrder() throws {
        for text in Self.ed25519Torsion {
            let v = try edVerdict(try #require(Hex.decode(text)))
            #expect(v.failures.map(\.id) == ["ed.key"], "\(text)")
            #expect(v.failures.first?.detail.contains("small-order") == true, "\(text)")
        }
    }

    @Test("Ed25519 non-canonical encodings and off-curve y are invalid keys")
    func ed25519Encodings() throws {
        let little = { (y: BigNum, sign: Bool) -> [UInt8] in
            var bytes = Array(y.bigEndianBytes(paddedTo: 32)!.reversed())
            if sign { bytes[31] |= 0x80 }
            return bytes
        }
        let p = BigNum(1).shiftedLeft(by: 255).subtracting(19)
        let cases: [(String, [UInt8], String)] = [
            ("y = p", little(p, false), "non-canonical"),
            ("y = p + 1 (the identity's y plus p)", little(p.adding(1), false), "non-canonical"),
            ("y = 2^255 − 1", little(BigNum(1).shiftedLeft(by: 255).subtracting(1), false), "non-canonical"),
            ("x = 0 with the sign bit (negative zero)", little(BigNum(1), true), "non-canonical"),
            ("y = 2: no x", little(BigNum(2), false), "no point"),
            ("31 bytes", Array(repeating: 0x11, count: 31), "bytes"),
        ]
        for (name, raw, expected) in cases {
            let v = try edVerdict(raw)
            #expect(v.failures.map(\.id) == ["ed.key"], "\(name)")
            #expect(v.failures.first?.detail.contains(expected) == true, "\(name): \(v.failures.first?.detail ?? "")")
        }
    }

    @Test("Ed448 small-order points, non-canonical and off-curve encodings are invalid; generated keys pass")
    func ed448() throws {
        let p = BigNum(1).shiftedLeft(by: 448).subtracting(BigNum(1).shiftedLeft(by: 224)).subtracting(1)
        let little = { (y: BigNum, sign: Bool) -> [UInt8] in
            var bytes = Array(y.bigEndianBytes(paddedTo: 57)!.reversed())
            if sign { bytes[56] |= 0x80 }
            return bytes
        }
        // Order 1, 2, 4, 4: (0, 1), (0, −1), (±1, 0).
        for (name, raw) in [("identity", little(BigNum(1), false)), ("order 2", little(p.subtracting(1), false)),
                            ("order 4", little(BigNum(0), false)), ("order 4, x negative", little(BigNum(0), true))] {
            let v = try edVerdict(raw, ed448: true)
            #expect(v.failures.first?.detail.contains("small-order") == true, "\(name)")
        }
        for (name, raw, expected) in [("y = p", little(p, false), "non-canonical"), ("y = 2", little(BigNum(2), false), "no point"),
                                      ("bits 448–454 set", little(BigNum(1), false).enumerated().map { $0 == 56 ? 0x01 : $1 }, "non-canonical")] {
            let v = try edVerdict(raw, ed448: true)
            #expect(v.failures.first?.detail.contains(expected) == true, "\(name): \(v.failures.first?.detail ?? "")")
        }
        for _ in 0..<10 {
            let key = try KeyStrengthTests.opensslPublicKey(["genpkey", "-algorithm", "ed448"])
            #expect(try checker.verdicts(forFile: key, year: 2026).allSatisfy(\.isAcceptable))
        }
    }

    @Test("generated Ed25519 keys pass, also with the sign bit flipped (the negated point)")
    func ed25519Generated() throws {
        for _ in 0..<50 {
            let pem = try KeyStrengthTests.opensslPublicKey(["genpkey", "-algorithm", "ed25519"])
            let key = try #require(KeyReader.read(pem).first)
            guard case .edwards(let ed) = key.components else { Issue.record("not Edwards"); return }
            #expect(ed.isValid)
            var negated = ed.encoding
            negated[31] ^= 0x80
            #expect(try edVerdict(negated).isAcceptable)
        }
    }

    @Test("X25519 and X448 keys get their own verdict: a key-agreement key, not a weak or unknown one")
    func keyAgreement() throws {
        for algorithm in ["x25519", "x448"] {
            let key = try KeyStrengthTests.opensslPublicKey(["genpkey", "-algorithm", algorithm])
            let v = try #require(try checker.verdicts(forFile: key, year: 2026).first)
            #expect(v.key == algorithm.uppercased())
            #expect(v.failures.map(\.id) == ["key.purpose"])
            #expect(v.failures.first?.detail.contains("key-agreement") == true)
            #expect(v.lifetime == .never)
        }
    }
}
