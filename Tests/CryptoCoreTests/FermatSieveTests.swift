import CryptoCore
import Testing

@Suite("Fermat sieve")
struct FermatSieveTests {
    /// Fermat's method one step at a time with full-size arithmetic: the reference.
    static func plainFermat(_ n: BigNum, maxSteps: Int) -> (step: Int, bBits: Int)? {
        let root = n.squareRoot()
        if root.squared() == n { return (0, 0) }
        var a = root.adding(1)
        for step in 0...maxSteps {
            let r = a.squared().subtracting(n)
            if r.isPerfectSquare { return (step, r.squareRoot().bitCount) }
            a = a.adding(1)
        }
        return nil
    }

    @Test("agrees with plain Fermat on odd, even and square moduli, near and far primes, at every limit")
    func agreesWithPlain() throws {
        var moduli: [BigNum] = [BigNum(15), BigNum(21), BigNum(9), BigNum(49), BigNum(6), BigNum(8), BigNum(1 << 40), BigNum(2 * 1_000_003)]
        for bits in [20, 31, 48, 64, 200] {
            for gapBits in [2, bits / 2 + 2, bits / 2 + 6, bits / 2 + 8] {  // about 0, 1, 100 and 2000 steps
                let p = try BigNum.generatePrime(bits: bits)
                var q = p.adding(try BigNum.random(bits: gapBits))
                if !q.isOdd { q = q.adding(1) }
                while !q.isProbablePrime { q = q.adding(2) }
                moduli.append(p.multiplied(by: q))
                moduli.append(p.multiplied(by: q).multiplied(by: 4))  // even: a² − b² ≡ 0 (mod 4)
            }
        }
        for _ in 0..<30 { moduli.append(try BigNum.random(bits: 40, odd: true)) }  // both classes mod 4, small factors
        for n in moduli {
            let plain = Self.plainFermat(n, maxSteps: 3000)
            for limit in [0, 1, 2, 3, 63, 64, 65, 127, 128, 129, 1000, 3000] {
                let expected = plain.flatMap { $0.step <= limit ? $0 : nil }
                let sieved = n.fermatFactor(maxSteps: limit)
                #expect(sieved?.step == expected?.step && sieved?.bBits == expected?.bBits, "n = \(n), limit \(limit)")
            }
        }
    }

    @Test("a split at step k is found with limit k and not with k − 1")
    func exactLimit() throws {
        for _ in 0..<20 {
            let p = try BigNum.generatePrime(bits: 256)
            var q = p.adding(BigNum(1).shiftedLeft(by: 136))  // odd: p odd plus an even gap
            while !q.isProbablePrime { q = q.adding(2) }
            let n = p.multiplied(by: q)
            let found = try #require(n.fermatFactor(maxSteps: 1 << 20))
            #expect(found.step > 100)
            #expect(found.bBits == q.subtracting(p).shiftedRight(by: 1).bitCount)
            #expect(n.fermatFactor(maxSteps: found.step)?.step == found.step)
            #expect(n.fermatFactor(maxSteps: found.step - 1) == nil)
        }
    }
}
