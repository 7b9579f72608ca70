import CryptoCore
import Foundation
import Testing
@testable import Trust

@Suite("Batch GCD")
struct BatchGCDTests {
    @Test("finds planted shared primes and nothing else", arguments: [true, false])
    func planted(gmp: Bool) throws {
        let primes = try (0..<40).map { _ in try BigNum.generatePrime(bits: 256) }
        // 16 clean moduli, then 0 & 1 share primes[32], 2 & 3 share primes[33] (and 3 is fully shared with 4).
        var moduli = (0..<16).map { primes[2 * $0] * primes[2 * $0 + 1] }
        moduli.append(primes[32] * primes[34])
        moduli.append(primes[32] * primes[35])
        moduli.append(primes[33] * primes[36])
        moduli.append(primes[33] * primes[37])
        moduli.append(primes[37] * primes[36])
        let raw = BigNumProductTree(moduli, threads: 2, preferGMP: gmp).sharedFactors()
        #expect(raw.map(\.index) == [16, 17, 18, 19, 20])
        #expect(raw[0].gcd == primes[32] && raw[1].gcd == primes[32])
        #expect(raw[4].gcd == moduli[20])  // both its primes occur elsewhere
        let hits = BatchGCD().scan(moduli)
        #expect(hits.first { $0.index == 16 }?.sharesWith == [17])
        #expect(hits.first { $0.index == 20 }?.sharesWith == [18, 19])
        #expect(hits.first { $0.index == 20 }?.factored == false)
    }

    @Test("the GMP scaled remainder tree agrees with the OpenSSL tree (mixed sizes, odd counts, shared small factors, duplicates)",
          arguments: [2, 3, 5, 17, 64, 101])
    func scaledAgreesWithOpenSSL(count: Int) throws {
        // Random numbers of 2…700 bits share small primes often, so there are many non-trivial gcds.
        var values = try (0..<count).map { _ in try BigNum.random(bits: Int.random(in: 2...700)) }.map { $0.isZero || $0.isOne ? BigNum(6) : $0 }
        if count > 4 { values[count - 1] = values[1] }  // a duplicate: gcd is the whole value
        let gmp = BigNumProductTree(values, threads: 2).sharedFactors()
        let openssl = BigNumProductTree(values, threads: 2, preferGMP: false).sharedFactors()
        let plain = BigNumProductTree(values, threads: 2).sharedFactors(scaled: false)
        #expect(plain.map(\.index) == openssl.map(\.index))
        #expect(plain.map(\.gcd) == openssl.map(\.gcd))
        #expect(gmp.map(\.index) == openssl.map(\.index))
        #expect(gmp.map(\.gcd) == openssl.map(\.gcd))
        // And both agree with pairwise gcds.
        let pairwise = values.indices.compactMap { i -> (Int, BigNum)? in
            let others = BigNum.productOf(values.indices.filter { $0 != i }.map { values[$0] })
            let g = values[i].gcd(others)
            return g.isOne ? nil : (i, g)
        }
        #expect(gmp.map(\.index) == pairwise.map(\.0))
        #expect(gmp.map(\.gcd) == pairwise.map(\.1))
    }

    @Test("the product equals the plain product; odd leaf counts work")
    func product() throws {
        let values = try (0..<7).map { _ in try BigNum.random(bits: 100) }
        #expect(BigNumProductTree(values).product == BigNum.productOf(values))
        #expect(BigNumProductTree(values, preferGMP: false).product == BigNum.productOf(values))
        #expect(BigNumProductTree([]).sharedFactors().isEmpty)
    }

    @Test("a new modulus is checked against a stored corpus file")
    func corpus() throws {
        let primes = try (0..<8).map { _ in try BigNum.generatePrime(bits: 256) }
        var corpus = ModulusCorpus()
        for i in 0..<4 { corpus.append(primes[2 * i] * primes[2 * i + 1], label: "key\(i).pem") }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID().uuidString).txt")
        try corpus.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let loaded = try ModulusCorpus(contentsOf: url)
        #expect(loaded.labels == corpus.labels && loaded.moduli == corpus.moduli)
        let fresh = try BigNum.generatePrime(bits: 256)
        #expect(BatchGCD().check(primes[5] * fresh, against: loaded) == [2])
        #expect(BatchGCD().check(fresh * fresh.adding(2), against: loaded).isEmpty)
        #expect(throws: TrustError(.configuration, "")) { try ModulusCorpus(serialized: "zz label\n") }
    }
}
