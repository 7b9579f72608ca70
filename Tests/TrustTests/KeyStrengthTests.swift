import CryptoCore
import Foundation
import SleutelTestSupport
import Testing
@testable import Trust

/// Weak keys made here, never taken from elsewhere. Only public numbers are kept.
enum WeakKeys {
    static let f4 = BigNum(65537)

    static func prime(_ bits: Int) throws -> BigNum { try BigNum.generatePrime(bits: bits) }

    /// A normal RSA modulus from two fresh primes.
    static func modulus(_ bits: Int) throws -> BigNum { try prime(bits / 2).multiplied(by: prime(bits / 2)) }

    /// The ROCA construction from the paper: p = k·M + (65537^a mod M), M the product of the
    /// primes up to 167 (the fingerprint's primes), k random, until p is prime.
    static func rocaPrime(bits: Int) throws -> BigNum {
        let m = BigNum.primorial(upTo: 167)
        while true {
            let a = try BigNum.random(below: BigNum(1 << 40))
            let g = try f4.power(a, modulo: m)
            let k = try BigNum.random(bits: bits - m.bitCount)
            let p = k.multiplied(by: m).adding(g)
            if p.bitCount == bits, p.isProbablePrime { return p }
        }
    }
}

@Suite("Key strength")
struct KeyStrengthTests {
    let checker = KeyStrengthChecker(policy: .nist)

    func failed(_ n: BigNum, _ e: BigNum = WeakKeys.f4, year: Int = 2026) -> Set<String> {
        Set(checker.verdict(for: .rsa(modulus: n, exponent: e), year: year).failures.map(\.id))
    }

    @Test("a normal RSA-2048 key passes NIST in 2026, through 2030")
    func normalRSA() throws {
        let key = try PrivateKey.generateRSA(bits: 2048)
        let v = try checker.verdicts(forFile: Array(try key.publicKey().spkiDER()), year: 2026)
        #expect(v.count == 1)
        #expect(v[0].isAcceptable, "\(v[0].failures)")
        #expect(v[0].lifetime == .through(year: 2030))
        #expect(v[0].profile == "nist")
        #expect(!checker.verdict(for: try KeyReader.spki(try key.publicKey().spkiDER()), year: 2031).isAcceptable)
    }

    @Test("policy years: BSI refuses RSA-2048 after 2023, ANSSI allows it through 2030")
    func profiles() throws {
        let n = try WeakKeys.modulus(2048)
        let bsi = KeyStrengthChecker(policy: .bsi).verdict(for: .rsa(modulus: n, exponent: WeakKeys.f4), year: 2026)
        #expect(!bsi.isAcceptable && bsi.lifetime == .through(year: 2023))
        let anssi = KeyStrengthChecker(policy: .anssi).verdict(for: .rsa(modulus: n, exponent: WeakKeys.f4), year: 2030)
        #expect(anssi.isAcceptable)
        let n3072 = try WeakKeys.modulus(3072)
        let big = KeyStrengthChecker(policy: .bsi).verdict(for: .rsa(modulus: n3072, exponent: WeakKeys.f4), year: 2040)
        #expect(big.isAcceptable && big.lifetime == .noEndDate)
    }

    @Test("small, even, prime, square and small-factor moduli are flagged")
    func modulusSanity() throws {
        #expect(failed(try WeakKeys.modulus(1024)).contains("rsa.size"))
        let p = try WeakKeys.prime(1024)
        #expect(failed(p.multiplied(by: 2)).isSuperset(of: ["rsa.modulus.even", "rsa.smallFactors"]))
        #expect(failed(try WeakKeys.prime(2048)).contains("rsa.modulus.prime"))
        #expect(failed(p.squared()).isSuperset(of: ["rsa.modulus.power", "rsa.fermat"]))
        #expect(failed(p.power(3)).contains("rsa.modulus.power"))
        #expect(failed(try WeakKeys.prime(2040).multiplied(by: 40_009)) == ["rsa.smallFactors"])
    }

    @Test("exponents: e = 1, 3, even, ≥ 2^256 and ≥ n fail; 65537 passes", arguments: [1, 3, 65536, 65538] as [UInt64])
    func exponents(e: UInt64) throws {
        #expect(failed(try WeakKeys.modulus(2048), BigNum(e)).contains("rsa.exponent"))
    }

    @Test("huge exponents fail")
    func hugeExponent() throws {
        let n = try WeakKeys.modulus(2048)
        #expect(failed(n, BigNum(1).shiftedLeft(by: 256).adding(1)).contains("rsa.exponent"))
        #expect(failed(n, n.adding(2)).contains("rsa.exponent"))
    }

    @Test("close primes are split by Fermat's method")
    func fermat() throws {
        let p = try WeakKeys.prime(1024)
        var q = p.adding(2)
        while !q.isProbablePrime { q = q.adding(2) }
        #expect(failed(p.multiplied(by: q)) == ["rsa.fermat"])
    }

    @Test("ROCA-structured moduli carry the fingerprint; OpenSSL keys do not")
    func roca() throws {
        let n = try WeakKeys.rocaPrime(bits: 512).multiplied(by: try WeakKeys.rocaPrime(bits: 512))
        #expect(KeyStrengthChecker.hasROCAFingerprint(n))
        #expect(failed(n).contains("rsa.roca"))
        for _ in 0..<5 {
            let key = try PrivateKey.generateRSA(bits: 2048)
            guard case .rsa(let m, _) = try KeyReader.spki(try key.publicKey().spkiDER()) else { Issue.record("not RSA"); return }
            #expect(!KeyStrengthChecker.hasROCAFingerprint(m))
        }
    }

    @Test("a small private exponent is found by Wiener's attack")
    func wiener() throws {
        let p = try WeakKeys.prime(1024), q = try WeakKeys.prime(1024)
        let n = p * q
        let phi = p.subtracting(1) * q.subtracting(1)
        var d = try BigNum.random(bits: 200, odd: true)
        while d.gcd(phi) != BigNum(1) { d = d.adding(2) }
        let e = try #require(d.inverse(modulo: phi))
        #expect(failed(n, e).contains("rsa.wiener"))
    }

    @Test("Wiener finds d up to about n^(1/4) and stops past √n/2 without a false hit")
    func wienerBounds() throws {
        let p = try WeakKeys.prime(1024), q = try WeakKeys.prime(1024)
        let n = p * q
        let phi = p.subtracting(1) * q.subtracting(1)
        func key(dBits: Int) throws -> BigNum {
            var d = try BigNum.random(bits: dBits, odd: true)
            while d.gcd(phi) != BigNum(1) { d = d.adding(2) }
            return try #require(d.inverse(modulo: phi))
        }
        // n^(1/4)/3 is about 510 bits here: Wiener's bound.
        #expect(n.wienerExponentBits(publicExponent: try key(dBits: 500), maxSteps: 4096) == 500)
        #expect(failed(n, try key(dBits: 505)).contains("rsa.wiener"))
        // Far past the bound, and an ordinary large e: no hit.
        #expect(n.wienerExponentBits(publicExponent: try key(dBits: 1500), maxSteps: 4096) == nil)
        #expect(!failed(n, try key(dBits: 2040)).contains("rsa.wiener"))
    }

    @Test("a modulus over 16384 bits fails rsa.size and gets no other check")
    func oversizedModulus() throws {
        let n = try BigNum.random(bits: 16385, odd: true)
        let verdict = checker.verdict(for: .rsa(modulus: n, exponent: WeakKeys.f4), year: 2026)
        #expect(verdict.checks.map(\.id) == ["rsa.size"])
        #expect(verdict.checks.first?.detail.contains("over the 16384-bit limit") == true)
        #expect(!verdict.isAcceptable)
        // The same through the batch (its small-factor trial division skips the key).
        let batch = checker.verdicts(
            for: [.rsa(modulus: n, exponent: WeakKeys.f4), .rsa(modulus: try WeakKeys.modulus(2048), exponent: WeakKeys.f4)], year: 2026
        )
        #expect(batch.map(\.isAcceptable) == [false, true])
        let limited = KeyStrengthChecker(policy: .nist, options: .init(maximumModulusBits: 1024))
        #expect(limited.verdict(for: .rsa(modulus: try WeakKeys.modulus(2048), exponent: WeakKeys.f4), year: 2026).failures.map(\.id) == ["rsa.size"])
    }

    @Test("EC: P-256/P-384, Ed25519 and brainpool accepted; secp256k1 never")
    func curves() throws {
        for curve in [NamedCurve.p256, .p384] {
            let key = try PrivateKey.generateEC(curve: curve)
            #expect(checker.verdict(for: try KeyReader.spki(try key.publicKey().spkiDER()), year: 2026).isAcceptable)
        }
        let ed = try Self.opensslPublicKey(["genpkey", "-algorithm", "ed25519"])
        #expect(try checker.verdicts(forFile: ed, year: 2026).allSatisfy(\.isAcceptable))
        let brainpool = try Self.opensslPublicKey(["ecparam", "-name", "brainpoolP256r1", "-genkey", "-noout"])
        for policy in KeyStrengthPolicy.all {  // SP 800-186 for interoperability, BSI TR-02102 and ANSSI recommend them
            #expect(try KeyStrengthChecker(policy: policy).verdicts(forFile: brainpool, year: 2040)[0].isAcceptable, "\(policy.name)")
        }
        let brainpool224 = try Self.opensslPublicKey(["ecparam", "-name", "brainpoolP224r1", "-genkey", "-noout"])
        #expect(try checker.verdicts(forFile: brainpool224, year: 2030)[0].isAcceptable)  // 112-bit strength, like P-224
        #expect(try checker.verdicts(forFile: brainpool224, year: 2031)[0].failures.map(\.id) == ["ec.curve"])
        let k1 = try Self.opensslPublicKey(["ecparam", "-name", "secp256k1", "-genkey", "-noout"])
        for policy in KeyStrengthPolicy.all {
            #expect(!(try KeyStrengthChecker(policy: policy).verdicts(forFile: k1, year: 2026)[0].isAcceptable))
        }
    }

    @Test("EC points off the curve or at infinity are flagged")
    func badPoints() throws {
        let key = try PrivateKey.generateEC(curve: .p256)
        var der = try key.publicKey().spkiDER()
        der[der.count - 1] ^= 1  // y no longer matches x
        let v = checker.verdict(for: try KeyReader.spki(der), year: 2026)
        #expect(v.failures.map(\.id) == ["ec.point"])
        let algorithm = Array(der[2..<23])  // SEQUENCE { id-ecPublicKey, prime256v1 }
        let infinity = [0x30, UInt8(algorithm.count + 4)] + algorithm + [0x03, 0x02, 0x00, 0x00]  // point = 0x00
        let inf = checker.verdict(for: try KeyReader.spki(infinity), year: 2026)
        #expect(inf.failures.map(\.id) == ["ec.point"])
    }

    @Test("PKCS#1, certificates and OpenSSH lines are read")
    func formats() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let priv = dir.appendingPathComponent("k").path
        try Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ecdsa", "-b", "384", "-N", "", "-f", priv])
        let ssh = try checker.verdicts(forFile: Array(try Data(contentsOf: URL(fileURLWithPath: priv + ".pub"))), year: 2026)
        #expect(ssh.map(\.key) == ["EC P-384"] && ssh[0].isAcceptable)
        try Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", priv + "r"])
        let rsa = try checker.verdicts(forFile: Array(try Data(contentsOf: URL(fileURLWithPath: priv + "r.pub"))), year: 2026)
        #expect(rsa.map(\.key) == ["RSA-2048 e=65537"])
        let cert = try TestPKI.cert("rsa/root.crt")
        #expect(try checker.verdicts(forFile: Array(try cert.pem().utf8), year: 2026).count == 1)
        #expect(try checker.verdicts(forFile: cert.derEncoded, year: 2026).count == 1)
        try checker.requireAcceptable(cert, year: 2026)
        let n = try WeakKeys.modulus(2048)
        let pkcs1 = Array(HandmadeKeys.rsaSPKI(n: n, e: WeakKeys.f4).suffix(from: 24))  // the RSAPublicKey inside
        let pem = "-----BEGIN RSA PUBLIC KEY-----\n\(Data(pkcs1).base64EncodedString(options: .lineLength64Characters))\n-----END RSA PUBLIC KEY-----\n"
        #expect(try checker.verdicts(forFile: Array(pem.utf8), year: 2026)[0].isAcceptable)
    }

    @Test("garbage is unreadable, never a crash", arguments: [
        [], [0x30], [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], Array("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----".utf8),
        Array("ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB".utf8), Array("ssh-rsa AAAA\n".utf8), Array("hello".utf8),
    ] as [[UInt8]])
    func garbage(bytes: [UInt8]) {
        #expect(throws: TrustError(.unreadableKey, "")) { try checker.verdicts(forFile: bytes) }
    }

    @Test("random garbage never crashes the readers")
    func fuzz() throws {
        let base = HandmadeKeys.rsaSPKI(n: try WeakKeys.modulus(1024), e: WeakKeys.f4)
        for _ in 0..<500 {
            var b = base
            for _ in 0..<Int.random(in: 1...8) { b[Int.random(in: 0..<b.count)] = UInt8.random(in: 0...255) }
            _ = try? checker.verdicts(forFile: Array(b.prefix(Int.random(in: 0...b.count))))
        }
    }

    static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TrustError(.configuration, "\(tool) failed") }
    }

    /// Makes a key with openssl and returns only its public half as PEM.
    static func opensslPublicKey(_ genArgs: [String]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-ec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let priv = dir.appendingPathComponent("k.pem").path, pub = dir.appendingPathComponent("p.pem").path
        try run("/usr/bin/openssl", genArgs + ["-out", priv])
        try run("/usr/bin/openssl", ["pkey", "-in", priv, "-pubout", "-out", pub])
        return Array(try Data(contentsOf: URL(fileURLWithPath: pub)))
    }
}

@Suite("Key strength in batches")
struct KeyStrengthBatchTests {
    @Test("batched small-factor gcds equal gcd with the primorial, one by one")
    func smallFactorBatch() throws {
        let primorial = BigNum.primorial(upTo: SmallFactors.bound)
        var values: [BigNum] = [BigNum(0), BigNum(1), BigNum(2), BigNum(65537), BigNum(65539), primorial, primorial.squared()]
        for _ in 0..<40 { values.append(try WeakKeys.modulus(512)) }
        for _ in 0..<40 { values.append(try BigNum.random(bits: 2048, odd: Bool.random())) }  // mostly with small factors
        values.append(try WeakKeys.prime(1000).multiplied(by: 40_009).multiplied(by: 40_009))
        values.append(try WeakKeys.modulus(512).multiplied(by: 65521 * 3))
        let batch = SmallFactors.gcds(values)
        #expect(batch.count == values.count)
        for (v, g) in zip(values, batch) {
            #expect(g == primorial.gcd(v), "\(v.bitCount)-bit value")
            #expect(SmallFactors.gcd(v) == g)
        }
        // Only clean moduli: the common case, where the batch finds no prime at all.
        let clean = try (0..<20).map { _ in try WeakKeys.modulus(512) }
        let cleanGCDs = SmallFactors.gcds(clean)
        #expect(cleanGCDs.allSatisfy { $0.isOne })
        #expect(SmallFactors.gcds([]).isEmpty)
    }

    @Test("perfect powers b^k of every prime k are found with the residue screen's bound; others agree with GNU MP")
    func perfectPowers() throws {
        // b without prime factors below 2^16, as the bound bits/16 assumes.
        for k in BigNum.smallPrimes(upTo: 127) {
            let b = try WeakKeys.prime(max(24, 2048 / k))
            let n = b.power(k)
            let found = n.perfectPower(maxExponent: n.bitCount / 16)
            #expect(found?.base == b && found?.exponent == k, "k = \(k)")
            // Off by two: no longer a power, under either test.
            #expect(n.adding(2).perfectPower(maxExponent: n.bitCount / 16) == nil, "k = \(k)")
        }
        // Word-sized roots just under 2^50: a root from a floating-point estimate of log2 is off
        // by up to a dozen units there (about one power in ten was missed), so only an exact
        // root finds every one. With and without the screen's bound.
        for k in BigNum.smallPrimes(upTo: 41).dropFirst() {
            for _ in 0..<10 {
                let b = try WeakKeys.prime(49)
                let n = b.power(k)
                for bound in [nil, n.bitCount / 16] {
                    let found = n.perfectPower(maxExponent: bound)
                    #expect(found?.base == b && found?.exponent == k, "k = \(k), b = \(b)")
                }
            }
        }
        // RSA moduli and random odd numbers: the screened answer is GNU MP's.
        var values = try (0..<20).map { _ in try WeakKeys.modulus(1024) }
        values += try (0..<200).map { _ in try BigNum.random(bits: 2048, odd: true) }
        for v in values {
            #expect((v.perfectPower(maxExponent: v.bitCount / 16) == nil) == (v.perfectPower() == nil))
        }
    }

    @Test("verdicts of many keys at once are those of each key alone")
    func batchVerdicts() throws {
        let checker = KeyStrengthChecker(policy: .nist)
        let p = try WeakKeys.prime(1024)
        var keys: [KeyComponents] = [
            .rsa(modulus: try WeakKeys.modulus(2048), exponent: WeakKeys.f4),
            .rsa(modulus: p.multiplied(by: 2), exponent: WeakKeys.f4),
            .rsa(modulus: try WeakKeys.prime(2040).multiplied(by: 40_009), exponent: WeakKeys.f4),
            .rsa(modulus: p.squared(), exponent: BigNum(3)),
            .rsa(modulus: try WeakKeys.prime(2048), exponent: WeakKeys.f4),
            .rsa(modulus: BigNum(15), exponent: BigNum(1)),
            .rsa(modulus: try WeakKeys.rocaPrime(bits: 512).multiplied(by: try WeakKeys.rocaPrime(bits: 512)), exponent: WeakKeys.f4),
            try KeyReader.spki(try PrivateKey.generateEC(curve: .p256).publicKey().spkiDER()),
        ]
        for _ in 0..<10 { keys.append(.rsa(modulus: try WeakKeys.modulus(1024), exponent: WeakKeys.f4)) }
        let batch = checker.verdicts(for: keys, year: 2026)
        #expect(batch.count == keys.count)
        for (key, v) in zip(keys, batch) {
            let alone = checker.verdict(for: key, year: 2026)
            #expect(v.checks == alone.checks && v.isAcceptable == alone.isAcceptable && v.lifetime == alone.lifetime && v.key == alone.key)
        }
        #expect(batch[2].failures.map(\.id) == ["rsa.smallFactors"])
        #expect(batch[4].failures.map(\.id).contains("rsa.modulus.prime"))
        #expect(batch[0].isAcceptable && batch[7].isAcceptable && !batch.last!.isAcceptable)
    }
}
