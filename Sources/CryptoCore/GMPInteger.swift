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

    /// Fermat's method from a = ⌈√n⌉: b² = a² − n, then b² += 2a + 1 and a += 1 per step, in place.
    func fermatFactor(maxSteps: Int) -> (step: Int, bBits: Int)? {
        let a = GMPInteger(), b2 = GMPInteger(), twoA1 = GMPInteger()
        __gmpz_sqrtrem(a.z, b2.z, z)
        if b2.isZero { return (0, 0) }
        __gmpz_add_ui(a.z, a.z, 1)
        __gmpz_mul(b2.z, a.z, a.z)
        __gmpz_sub(b2.z, b2.z, z)
        __gmpz_mul_2exp(twoA1.z, a.z, 1)
        __gmpz_add_ui(twoA1.z, twoA1.z, 1)
        for step in 0...maxSteps {
            if __gmpz_perfect_square_p(b2.z) != 0 {
                __gmpz_sqrt(a.z, b2.z)
                return (step, a.bitCount)
            }
            __gmpz_add(b2.z, b2.z, twoA1.z)
            __gmpz_add_ui(twoA1.z, twoA1.z, 2)
        }
        return nil
    }
}

/// A fixed large integer kept in GNU MP form for repeated gcds, e.g. the product of all small
/// primes for trial division by one gcd per key.
public final class GCDOperand: @unchecked Sendable {
    private let value: GMPInteger

    /// Keeps `value` (its magnitude).
    public init(_ value: BigNum) {
        self.value = GMPInteger(value)
    }

    /// `gcd(self, other)` for a non-negative `other`.
    public func gcd(_ other: BigNum) -> BigNum {
        value.gcd(GMPInteger(other)).bigNum
    }
}
