import CGMP
import COpenSSL

/// An `mpz_t` owned by Swift (GNU MP through the `CGMP` system library). Internal to
/// CryptoCore: the big-integer trees and the fast gcd run on it; the public face stays ``BigNum``.
///
/// Value semantics by convention: every operation returns a new instance and never changes
/// its operands, so instances can be shared between threads once built.
final class GMPInteger: @unchecked Sendable {
    let z: UnsafeMutablePointer<__mpz_struct>

    init() {
        z = .allocate(capacity: 1)
        __gmpz_init(z)
    }

    deinit {
        __gmpz_clear(z)
        z.deallocate()
    }

    /// A machine word.
    convenience init(_ word: UInt) {
        self.init()
        __gmpz_set_ui(z, word)
    }

    /// Copies the magnitude of a `BigNum` (limbs are little-endian machine words on both sides).
    convenience init(_ value: BigNum) {
        self.init()
        let bytes = (Int(BN_num_bits(value.bn)) + 7) / 8
        guard bytes > 0 else { return }
        let limbs = (bytes + 7) / 8
        let p = __gmpz_limbs_write(z, limbs)!
        p.withMemoryRebound(to: UInt8.self, capacity: limbs * 8) {
            _ = BN_bn2lebinpad(value.bn, $0, Int32(limbs * 8))
        }
        __gmpz_limbs_finish(z, limbs)
    }

    /// The value as a `BigNum` (magnitude).
    var bigNum: BigNum {
        let limbs = Int(__gmpz_size(z))
        guard limbs > 0 else { return BigNum(0) }
        let p = __gmpz_limbs_read(z)!
        let bn = p.withMemoryRebound(to: UInt8.self, capacity: limbs * 8) { BN_lebin2bn($0, Int32(limbs * 8), nil) }
        guard let bn else { fatalError("BN_lebin2bn: out of memory") }
        return BigNum(owning: bn)
    }

    /// Number of bits of the magnitude (0 for zero).
    var bitCount: Int { z.pointee._mp_size == 0 ? 0 : Int(__gmpz_sizeinbase(z, 2)) }
    var isZero: Bool { z.pointee._mp_size == 0 }
    var isOne: Bool { __gmpz_cmp_ui(z, 1) == 0 }

    private func make(_ body: (UnsafeMutablePointer<__mpz_struct>) -> Void) -> GMPInteger {
        let r = GMPInteger()
        body(r.z)
        return r
    }

    func times(_ other: GMPInteger) -> GMPInteger { make { __gmpz_mul($0, z, other.z) } }
    func squared() -> GMPInteger { make { __gmpz_mul($0, z, z) } }
    func mod(_ modulus: GMPInteger) -> GMPInteger { make { __gmpz_tdiv_r($0, z, modulus.z) } }
    func gcd(_ other: GMPInteger) -> GMPInteger { make { __gmpz_gcd($0, z, other.z) } }
    /// `self / divisor` when the division is known to be exact.
    func exactlyDivided(by divisor: GMPInteger) -> GMPInteger { make { __gmpz_divexact($0, z, divisor.z) } }
    /// `⌊self / divisor⌋` (non-negative operands).
    func quotient(_ divisor: GMPInteger) -> GMPInteger { make { __gmpz_tdiv_q($0, z, divisor.z) } }
    /// `self · 2^bits`.
    func shiftedLeft(_ bits: Int) -> GMPInteger { make { __gmpz_mul_2exp($0, z, mp_bitcnt_t(bits)) } }
    /// `⌊self / 2^bits⌋`.
    func shiftedRight(_ bits: Int) -> GMPInteger { make { __gmpz_fdiv_q_2exp($0, z, mp_bitcnt_t(bits)) } }
    /// `self mod 2^bits`.
    func lowBits(_ bits: Int) -> GMPInteger { make { __gmpz_fdiv_r_2exp($0, z, mp_bitcnt_t(bits)) } }
    /// `(self mod 2^low) >> shift`, one temporary fewer than `lowBits(low).shiftedRight(shift)`.
    func bits(below low: Int, from shift: Int) -> GMPInteger {
        make {
            __gmpz_fdiv_r_2exp($0, z, mp_bitcnt_t(low))
            __gmpz_fdiv_q_2exp($0, $0, mp_bitcnt_t(shift))
        }
    }
    /// `self + word`.
    func adding(_ word: UInt) -> GMPInteger { make { __gmpz_add_ui($0, z, word) } }

    /// `round(self / 2^bits)`, halves up (non-negative values).
    func shiftedRightRounded(_ bits: Int) -> GMPInteger {
        guard bits > 0 else { return self }
        return make {
            __gmpz_setbit($0, mp_bitcnt_t(bits - 1))
            __gmpz_add($0, $0, z)
            __gmpz_fdiv_q_2exp($0, $0, mp_bitcnt_t(bits))
        }
    }

    var isPerfectSquare: Bool { __gmpz_perfect_square_p(z) != 0 }
    var isPerfectPower: Bool { __gmpz_perfect_power_p(z) != 0 }

    /// Fermat's method from a = ⌈√n⌉ through ⌈√n⌉ + `maxSteps`, over a quadratic-residue sieve
    /// (``FermatSieve``).
    func fermatFactor(maxSteps: Int) -> (step: Int, bBits: Int)? { FermatSieve.factor(self, maxSteps: maxSteps) }

    /// Wiener's continued-fraction attack on the RSA key (`self` = n, `e`), in place: each convergent
    /// k/d of e/n gives a candidate φ = (e·d − 1)/k, and when (n − φ + 1)² − 4n is a square, d is the
    /// private exponent. Stops once d > √n/2, beyond which no convergent can be the key's (a convergent
    /// k/d of e/n is within 1/d² of it, while the key's k/d is at least about 2/(√n·d) away).
    /// - Returns: the bit length of the recovered d, or nil.
    func wienerExponentBits(e: GMPInteger, maxSteps: Int) -> Int? {
        let x = GMPInteger(), y = GMPInteger(), q = GMPInteger(), r = GMPInteger()
        let k0 = GMPInteger(0), k1 = GMPInteger(1), d0 = GMPInteger(1), d1 = GMPInteger(0)
        let t = GMPInteger(), phi = GMPInteger(), rem = GMPInteger(), fourN = GMPInteger()
        __gmpz_set(x.z, e.z)
        __gmpz_set(y.z, z)
        __gmpz_mul_2exp(fourN.z, z, 2)
        let dLimit = bitCount / 2 + 2
        var step = 0
        while step < maxSteps, !y.isZero {
            step += 1
            __gmpz_tdiv_qr(q.z, r.z, x.z, y.z)
            __gmpz_swap(x.z, y.z)
            __gmpz_swap(y.z, r.z)
            // (k0, k1) = (k1, q·k1 + k0), the same for d.
            __gmpz_addmul(k0.z, q.z, k1.z)
            __gmpz_swap(k0.z, k1.z)
            __gmpz_addmul(d0.z, q.z, d1.z)
            __gmpz_swap(d0.z, d1.z)
            if d1.bitCount > dLimit { break }
            if k1.isZero { continue }
            // φ = (e·d − 1)/k must be whole; then p + q = n − φ + 1, and (p+q)² − 4n must be a square.
            __gmpz_mul(t.z, e.z, d1.z)
            __gmpz_sub_ui(t.z, t.z, 1)
            __gmpz_tdiv_qr(phi.z, rem.z, t.z, k1.z)
            guard rem.isZero else { continue }
            __gmpz_sub(t.z, z, phi.z)
            __gmpz_add_ui(t.z, t.z, 1)
            guard t.z.pointee._mp_size >= 0, __gmpz_tstbit(t.z, 0) == 0 else { continue }
            __gmpz_mul(t.z, t.z, t.z)
            __gmpz_sub(t.z, t.z, fourN.z)
            if t.z.pointee._mp_size >= 0, __gmpz_perfect_square_p(t.z) != 0 {
                return d1.bitCount
            }
        }
        return nil
    }

    /// `self mod word` (non-negative `self`).
    func remainder(_ word: UInt) -> UInt { __gmpz_fdiv_ui(z, word) }
}

/// Trial division by every prime up to ``bound`` (65537, as badkeys), for one integer or for
/// many at once.
///
/// One integer: `gcd(n, P)` with `P` the product of those primes (≈ 94,000 bits), which costs a
/// division of `P` by `n` (about 45 µs for a 2048-bit `n`). Many integers: their product is
/// taken modulo `P` by a product tree, and one `G = gcd(P, ∏ nᵢ mod P)` holds every small prime
/// that divides any of them — usually none, or a few. Since `P` is squarefree,
/// `gcd(nᵢ, P) = gcd(nᵢ, G)`, found from word-size residues of `nᵢ` modulo the primes of `G`.
/// The result is the same number either way; the batch costs about a third per integer.
public enum SmallFactors {
    /// The largest prime tried.
    public static let bound = 65537

    private static let primes: [UInt] = BigNum.smallPrimes(upTo: bound).map { UInt($0) }
    private static let primorial: GMPInteger = {
        let p = GMPInteger()
        __gmpz_primorial_ui(p.z, UInt(bound))
        return p
    }()

    /// `gcd(n, P)`: the product of the distinct primes ≤ ``bound`` dividing `n` (its magnitude);
    /// `P` itself for zero.
    public static func gcd(_ n: BigNum) -> BigNum {
        primorial.gcd(GMPInteger(n)).bigNum
    }

    /// ``gcd(_:)`` of each value, in order, computed as a batch.
    public static func gcds(_ values: [BigNum]) -> [BigNum] {
        guard values.count > 1 else { return values.map(gcd) }
        let leaves = values.map { GMPInteger($0) }
        // ∏ nᵢ mod P by a product tree, reduced whenever a node outgrows P.
        let limit = primorial.bitCount
        var level = leaves
        while level.count > 1 {
            var next: [GMPInteger] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                let product = level[i].times(level[i + 1])
                next.append(product.bitCount > limit ? product.mod(primorial) : product)
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        let shared = primorial.gcd(level[0])
        if shared.isOne { return values.map { _ in BigNum(1) } }
        // The primes of G, packed into words (products below 2⁶⁴) for one residue each.
        let found = primes.filter { __gmpz_divisible_ui_p(shared.z, $0) != 0 }
        let groups = BigNum.wordGroups(found) { UInt64($0) }
        return leaves.map { n in
            var g = BigNum(1)
            for (word, group) in groups {
                let r = __gmpz_fdiv_ui(n.z, UInt(word))
                for p in group where r % p == 0 { g = g.multiplied(by: UInt64(p)) }
            }
            return g
        }
    }
}
