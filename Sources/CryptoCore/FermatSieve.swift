import CGMP

/// Fermat's factoring method over a quadratic-residue sieve.
///
/// Fermat looks for `a ≥ ⌈√n⌉` with `a² − n = b²`; then `n = (a − b)(a + b)`. For primes `p`, `q`
/// the step count is about `(q − p)² / (8√n)`, so a 2048-bit modulus with `|p − q| ≈ 2⁵²⁰` needs
/// thousands of steps, and one of `2⁵²⁵` about a million. Most `a` cannot work: `a² − n` must be
/// a square modulo every small `m`. The sieve keeps one bit per candidate `a`, 64 to a word:
///
/// 1. `a ≡ n`-dependent classes modulo 4 are the only ones possible (`n = a² − b²` with `n` odd
///    forces the parity of `a`, and for `n ≡ 3 (mod 4)` its class mod 4), so bits step `a` by 2 or 4;
/// 2. the residues modulo 64 repeat within every word: one constant mask;
/// 3. for each of ``wordModuli`` the allowed bits repeat with period `m` words-offsets, so a table
///    of the `m` possible 64-bit windows costs one load and an AND per word;
/// 4. the few bits left are tested modulo the primes of ``bitPrimes`` (a table look-up each);
/// 5. only what survives gets a full perfect-square test with GNU MP (a handful per million steps).
///
/// Everything per modulus is built incrementally without divisions; the modulus and `a` are
/// reduced by two word remainders each.
struct FermatSieve {
    /// Moduli sieved a word at a time (products of small primes, each below 700 windows; the
    /// search loop is written for exactly five).
    static let wordModuli: [Int] = [63, 65, 11 * 13, 17 * 19, 23 * 29]
    /// Primes tested bit by bit on what the word sieve leaves.
    static let bitPrimes: [Int] = [31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79]

    private static let wordProduct: UInt = wordModuli.reduce(64) { $0 * UInt($1) }
    private static let bitProduct: (UInt, UInt) = {
        let half = bitPrimes.count / 2
        return (bitPrimes.prefix(half).reduce(1) { $0 * UInt($1) }, bitPrimes.dropFirst(half).reduce(1) { $0 * UInt($1) })
    }()

    /// For each modulus used, whether each residue is a square modulo it.
    private static let squareTables: [Int: [Bool]] = Dictionary(
        uniqueKeysWithValues: ([64] + wordModuli + bitPrimes).map { ($0, squares(modulo: $0)) })

    /// `table[x]` is true when `x` is a square modulo `m`.
    static func squares(modulo m: Int) -> [Bool] {
        var table = [Bool](repeating: false, count: m)
        for y in 0..<m { table[y * y % m] = true }
        return table
    }

    /// Runs Fermat's method on `n` for `a` from `⌈√n⌉` through `⌈√n⌉ + maxSteps`.
    /// - Returns: the step (`a − ⌈√n⌉`, or 0 for a perfect square) and the bit length of `b`; nil
    ///   when no `a` in the range works.
    static func factor(_ n: GMPInteger, maxSteps: Int) -> (step: Int, bBits: Int)? {
        let a0 = GMPInteger(), rem = GMPInteger()
        __gmpz_sqrtrem(a0.z, rem.z, n.z)
        if rem.isZero { return (0, 0) }
        __gmpz_add_ui(a0.z, a0.z, 1)
        guard maxSteps >= 0 else { return nil }

        // The classes of a modulo 64 for which a² − n is a square modulo 64.
        let n64 = Int(n.remainder(64))
        let classes64 = allowedSteps(m: 64, n: n64, a: 0, stride: 1, length: 64)
        let allowed64 = classes64.indices.filter { classes64[$0] }
        guard let first64 = allowed64.first else { return nil }  // n ≡ 2 (mod 4): never a² − b²
        // Stride: 4 when all allowed a share one class mod 4, else 2 when they share a parity.
        let stride = allowed64.allSatisfy({ $0 % 4 == first64 % 4 }) ? 4 : allowed64.allSatisfy({ $0 % 2 == first64 % 2 }) ? 2 : 1
        let a0Low = Int(a0.remainder(UInt(stride)))
        let offset = (first64 % stride - a0Low + stride) % stride
        guard offset <= maxSteps else { return nil }
        // a = a1 + stride·t for t in 0..<count.
        let a1 = a0.adding(UInt(offset))
        let count = (maxSteps - offset) / stride + 1

        let nWord = n.remainder(wordProduct), aWord = a1.remainder(wordProduct)
        let nBits = (n.remainder(bitProduct.0), n.remainder(bitProduct.1))
        let aBits = (a1.remainder(bitProduct.0), a1.remainder(bitProduct.1))
        func residues(_ m: Int) -> (n: Int, a: Int) {
            if wordProduct % UInt(m) == 0 { return (Int(nWord % UInt(m)), Int(aWord % UInt(m))) }
            let (nw, aw) = bitProduct.0 % UInt(m) == 0 ? (nBits.0, aBits.0) : (nBits.1, aBits.1)
            return (Int(nw % UInt(m)), Int(aw % UInt(m)))
        }

        // Bits of one word allowed modulo 64: the period 64/stride divides 64.
        let mask64 = slidingWindows(allowedSteps(m: 64, n: n64, a: Int(aWord % 64), stride: stride, length: 127))[0]

        let windows = wordModuli.map { m -> [UInt64] in
            let (nm, am) = residues(m)
            return slidingWindows(allowedSteps(m: m, n: nm, a: am, stride: stride, length: m + 63))
        }
        let bitTables = bitPrimes.map { q -> (q: Int, a: Int, step: Int, allowed: [Bool]) in
            let (nq, aq) = residues(q)
            return (q, aq, stride % q, allowedSteps(m: q, n: nq, a: 0, stride: 1, length: q))
        }

        let candidate = GMPInteger(), square = GMPInteger()
        // The five word tables side by side in one buffer; each index advances by 64 mod m per word.
        let flat = windows.flatMap { $0 }
        let m = wordModuli, start = [0, m[0], m[0] + m[1], m[0] + m[1] + m[2], m[0] + m[1] + m[2] + m[3]]
        let advance = m.map { 64 % $0 }
        let words = (count + 63) / 64
        return flat.withUnsafeBufferPointer { table -> (step: Int, bBits: Int)? in
            var (i0, i1, i2, i3, i4) = (0, 0, 0, 0, 0)
            for word in 0..<words {
                var bits = mask64 & table[start[0] + i0] & table[start[1] + i1] & table[start[2] + i2]
                    & table[start[3] + i3] & table[start[4] + i4]
                i0 += advance[0]; if i0 >= m[0] { i0 -= m[0] }
                i1 += advance[1]; if i1 >= m[1] { i1 -= m[1] }
                i2 += advance[2]; if i2 >= m[2] { i2 -= m[2] }
                i3 += advance[3]; if i3 >= m[3] { i3 -= m[3] }
                i4 += advance[4]; if i4 >= m[4] { i4 -= m[4] }
                if word == words - 1, count % 64 != 0 { bits &= (1 << UInt64(count % 64)) - 1 }
                while bits != 0 {
                    let t = word * 64 + bits.trailingZeroBitCount
                    bits &= bits - 1
                    guard bitTables.allSatisfy({ $0.allowed[($0.a + $0.step * (t % $0.q)) % $0.q] }) else { continue }
                    __gmpz_add_ui(candidate.z, a1.z, UInt(stride * t))
                    __gmpz_mul(square.z, candidate.z, candidate.z)
                    __gmpz_sub(square.z, square.z, n.z)
                    if __gmpz_perfect_square_p(square.z) != 0 {
                        __gmpz_sqrt(square.z, square.z)
                        return (offset + stride * t, square.bitCount)
                    }
                }
            }
            return nil
        }
    }

    /// For `t` in `0..<length`: whether `a² − n` is a square modulo `m` for `a = a + stride·t`
    /// (residues mod `m`), built with additions only.
    private static func allowedSteps(m: Int, n: Int, a: Int, stride: Int, length: Int) -> [Bool] {
        let squares = squareTables[m]!
        var out = [Bool](repeating: false, count: length)
        // value = a² − n mod m, and its increment (2a·s + s²) as a advances by s = stride.
        let s = stride % m
        var value = ((a * a - n) % m + m) % m
        var delta = (2 * a * s + s * s) % m
        let deltaStep = 2 * s * s % m
        for t in 0..<length {
            out[t] = squares[value]
            value += delta
            if value >= m { value -= m }
            delta += deltaStep
            if delta >= m { delta -= m }
        }
        return out
    }

    /// For a bit pattern of period `m` given over `m + 63` entries: the `m` 64-bit windows
    /// starting at each offset (bit `i` of window `j` is entry `j + i`), each from the last by one shift.
    private static func slidingWindows(_ pattern: [Bool]) -> [UInt64] {
        let m = pattern.count - 63
        var window: UInt64 = 0
        for i in 0..<64 where pattern[i] { window |= 1 << UInt64(i) }
        var out = [UInt64](repeating: 0, count: m)
        out[0] = window
        for j in 1..<m {
            window = window >> 1 | (pattern[j + 63] ? 1 << 63 : 0)
            out[j] = window
        }
        return out
    }
}
