import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An arbitrary-size non-negative or negative integer backed by an OpenSSL `BIGNUM`.
///
/// Values are immutable: every operation returns a new `BigNum`, so instances can be shared
/// freely between threads. Scratch space comes from one `BN_CTX` per thread, kept for the
/// thread's lifetime, so hot loops do not allocate contexts.
public final class BigNum: @unchecked Sendable {
    let bn: OpaquePointer

    /// Takes ownership of `bn`.
    init(owning bn: OpaquePointer) { self.bn = bn }

    deinit { BN_free(bn) }

    /// Makes a fresh zero, trapping only when the allocator itself fails.
    static func make() -> OpaquePointer {
        guard let bn = BN_new() else { fatalError("BN_new: out of memory") }
        return bn
    }

    /// The value `value`.
    public convenience init(_ value: UInt64) {
        let bn = BigNum.make()
        BN_set_word(bn, UInt(value))
        self.init(owning: bn)
    }

    /// The unsigned big-endian integer in `bytes` (empty bytes give zero).
    public convenience init(bigEndian bytes: [UInt8]) {
        let bn = bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        self.init(owning: bn ?? BigNum.make())
    }

    /// Parses decimal digits (an optional leading `-`). Returns nil for anything else.
    public convenience init?(decimal: String) {
        let digits = decimal.hasPrefix("-") ? decimal.dropFirst() : Substring(decimal)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        var bn: OpaquePointer? = nil
        guard BN_dec2bn(&bn, decimal) > 0, let bn else { _ = drainOpenSSLErrors(); return nil }
        self.init(owning: bn)
    }

    /// Parses hexadecimal digits (no `0x` prefix; an optional leading `-`). Returns nil for anything else.
    public convenience init?(hex: String) {
        let digits = hex.hasPrefix("-") ? hex.dropFirst() : Substring(hex)
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else { return nil }
        var bn: OpaquePointer? = nil
        guard BN_hex2bn(&bn, hex) > 0, let bn else { _ = drainOpenSSLErrors(); return nil }
        self.init(owning: bn)
    }

    /// A uniformly random integer of exactly `bits` bits (top bit set); `odd` sets the lowest bit.
    public static func random(bits: Int, odd: Bool = false) throws -> BigNum {
        let bn = make()
        let result = BigNum(owning: bn)
        try ossl(BN_rand(bn, Int32(bits), BN_RAND_TOP_ONE, odd ? BN_RAND_BOTTOM_ODD : BN_RAND_BOTTOM_ANY), "BN_rand")
        return result
    }

    /// A uniformly random integer in `0 ..< upperBound`.
    public static func random(below upperBound: BigNum) throws -> BigNum {
        let bn = make()
        let result = BigNum(owning: bn)
        try ossl(BN_rand_range(bn, upperBound.bn), "BN_rand_range")
        return result
    }

    /// A random probable prime of exactly `bits` bits (OpenSSL's generator: sieve plus Miller–Rabin).
    public static func generatePrime(bits: Int) throws -> BigNum {
        let bn = make()
        let result = BigNum(owning: bn)
        try ossl(BN_generate_prime_ex2(bn, Int32(bits), 0, nil, nil, nil, BigNum.context), "BN_generate_prime_ex2")
        return result
    }

    // MARK: - Conversions

    /// Minimal big-endian magnitude (empty for zero).
    public var bigEndianBytes: [UInt8] {
        let count = Int((BN_num_bits(bn) + 7) / 8)
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { _ = BN_bn2bin(bn, &out) }
        return out
    }

    /// Big-endian magnitude left-padded with zeros to `length` bytes, or nil when it does not fit.
    public func bigEndianBytes(paddedTo length: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: length)
        return BN_bn2binpad(bn, &out, Int32(length)) == Int32(length) ? out : nil
    }

    /// Decimal text.
    public var decimalString: String { Self.takeString(BN_bn2dec(bn)) }

    /// Upper-case hexadecimal text without prefix (`0` for zero).
    public var hexString: String { Self.takeString(BN_bn2hex(bn)) }

    private static func takeString(_ p: UnsafeMutablePointer<CChar>?) -> String {
        guard let p else { return "" }
        defer { COpenSSL_free(p) }
        return String(cString: p)
    }

    /// The value as `UInt64` when it is non-negative and fits.
    public var uint64Value: UInt64? {
        guard !isNegative, BN_num_bits(bn) <= 64 else { return nil }
        return UInt64(BN_get_word(bn))
    }

    // MARK: - Properties

    /// Number of significant bits (0 for zero).
    public var bitCount: Int { Int(BN_num_bits(bn)) }
    /// True when the lowest bit is set.
    public var isOdd: Bool { BN_is_odd(bn) == 1 }
    /// True for zero.
    public var isZero: Bool { BN_is_zero(bn) == 1 }
    /// True for one.
    public var isOne: Bool { BN_is_one(bn) == 1 }
    /// True when below zero.
    public var isNegative: Bool { BN_is_negative(bn) == 1 }
    /// True when bit `index` (0 = lowest) is set.
    public func isBitSet(_ index: Int) -> Bool { BN_is_bit_set(bn, Int32(index)) == 1 }

    // MARK: - Arithmetic

    /// Runs an OpenSSL operation that writes into a fresh result. Arithmetic on valid
    /// operands only fails on allocation failure or division by zero, which are programming errors.
    @inline(__always)
    static func compute(_ name: StaticString, _ body: (OpaquePointer, OpaquePointer) -> Int32) -> BigNum {
        let r = make()
        guard body(r, context) == 1 else {
            BN_free(r)
            fatalError("\(name) failed: \(drainOpenSSLErrors())")
        }
        return BigNum(owning: r)
    }

    /// `self + other`.
    public func adding(_ other: BigNum) -> BigNum { Self.compute("BN_add") { r, _ in BN_add(r, bn, other.bn) } }
    /// `self - other`.
    public func subtracting(_ other: BigNum) -> BigNum { Self.compute("BN_sub") { r, _ in BN_sub(r, bn, other.bn) } }
    /// `self * other`.
    public func multiplied(by other: BigNum) -> BigNum { Self.compute("BN_mul") { r, c in BN_mul(r, bn, other.bn, c) } }
    /// `self²`.
    public func squared() -> BigNum { Self.compute("BN_sqr") { r, c in BN_sqr(r, bn, c) } }
    /// `self + word`.
    public func adding(_ word: UInt64) -> BigNum {
        Self.compute("BN_add_word") { r, _ in BN_copy(r, bn) == nil ? 0 : BN_add_word(r, UInt(word)) }
    }
    /// `self - word`.
    public func subtracting(_ word: UInt64) -> BigNum {
        Self.compute("BN_sub_word") { r, _ in BN_copy(r, bn) == nil ? 0 : BN_sub_word(r, UInt(word)) }
    }
    /// `self * word`.
    public func multiplied(by word: UInt64) -> BigNum {
        Self.compute("BN_mul_word") { r, _ in BN_copy(r, bn) == nil ? 0 : BN_mul_word(r, UInt(word)) }
    }

    /// Truncating division. Throws for a zero divisor.
    public func quotientAndRemainder(dividingBy divisor: BigNum) throws -> (quotient: BigNum, remainder: BigNum) {
        guard !divisor.isZero else { throw CryptoError.invalidInput("division by zero") }
        let q = BigNum.make(), r = BigNum.make()
        let (qq, rr) = (BigNum(owning: q), BigNum(owning: r))
        try ossl(BN_div(q, r, bn, divisor.bn, Self.context), "BN_div")
        return (qq, rr)
    }

    /// Non-negative remainder `self mod modulus`. Throws for a zero modulus.
    public func modulo(_ modulus: BigNum) throws -> BigNum {
        guard !modulus.isZero else { throw CryptoError.invalidInput("modulus is zero") }
        return Self.compute("BN_nnmod") { r, c in BN_nnmod(r, bn, modulus.bn, c) }
    }

    /// `items` in order, grouped into runs whose `factor`s multiply to below 2⁶⁴: one word
    /// remainder per group (``remainder(dividingBy:)``) then gives the residue modulo each member's
    /// factor. Every factor must be at least 2.
    public static func wordGroups<T>(_ items: [T], factor: (T) -> UInt64) -> [(word: UInt64, members: [T])] {
        var groups: [(word: UInt64, members: [T])] = []
        for item in items {
            let f = factor(item)
            if let last = groups.last, case let (product, overflow) = last.word.multipliedReportingOverflow(by: f), !overflow {
                groups[groups.count - 1] = (product, last.members + [item])
            } else {
                groups.append((f, [item]))
            }
        }
        return groups
    }

    /// `self mod word` for a non-zero machine word (fast: no allocation).
    public func remainder(dividingBy word: UInt64) -> UInt64 {
        precondition(word != 0, "remainder by zero")
        return UInt64(BN_mod_word(bn, UInt(word)))
    }

    /// `self / word`, truncating.
    public func divided(by word: UInt64) -> BigNum {
        precondition(word != 0, "division by zero")
        return Self.compute("BN_div_word") { r, _ in
            BN_copy(r, bn) == nil || BN_div_word(r, UInt(word)) == UInt.max ? 0 : 1
        }
    }

    /// `self << bits`.
    public func shiftedLeft(by bits: Int) -> BigNum { Self.compute("BN_lshift") { r, _ in BN_lshift(r, bn, Int32(bits)) } }
    /// `self >> bits`.
    public func shiftedRight(by bits: Int) -> BigNum { Self.compute("BN_rshift") { r, _ in BN_rshift(r, bn, Int32(bits)) } }

    /// Greatest common divisor (non-negative). Uses GNU MP's fast (variable-time) gcd for
    /// non-negative operands — operands here are public key material — instead of OpenSSL's
    /// constant-time `BN_gcd` (about 100× slower for 2048-bit values).
    public func gcd(_ other: BigNum) -> BigNum {
        if !isNegative, !other.isNegative {
            return GMPInteger(self).gcd(GMPInteger(other)).bigNum
        }
        return Self.compute("BN_gcd") { r, c in BN_gcd(r, bn, other.bn, c) }
    }

    /// Fermat's factoring method for a from ⌈√self⌉ through ⌈√self⌉ + `maxSteps`, sieved by
    /// quadratic residues so that most steps cost a few word operations (``FermatSieve``).
    /// - Returns: the step and the bit length of b = (q − p)/2 when a² − self = b² is found; nil otherwise.
    public func fermatFactor(maxSteps: Int) -> (step: Int, bBits: Int)? {
        guard !isNegative, bitCount > 2 else { return nil }
        let n = GMPInteger(self)
        return n.fermatFactor(maxSteps: maxSteps)
    }

    /// Wiener's attack on the RSA public key (`self` = n, `e`): the bit length of a small private
    /// exponent d recovered from the continued fraction of e/n (GNU MP, in place), or nil.
    /// At most `maxSteps` convergents; none past d > √n/2, where no convergent can be the key's.
    public func wienerExponentBits(publicExponent e: BigNum, maxSteps: Int) -> Int? {
        guard !isNegative, !e.isNegative, bitCount > 2 else { return nil }
        return GMPInteger(self).wienerExponentBits(e: GMPInteger(e), maxSteps: maxSteps)
    }

    /// `self^exponent mod modulus`. Throws for a zero modulus.
    public func power(_ exponent: BigNum, modulo modulus: BigNum) throws -> BigNum {
        guard !modulus.isZero else { throw CryptoError.invalidInput("modulus is zero") }
        return Self.compute("BN_mod_exp") { r, c in BN_mod_exp(r, bn, exponent.bn, modulus.bn, c) }
    }

    /// `self^exponent` (no modulus; keep exponents small).
    public func power(_ exponent: Int) -> BigNum {
        let e = BigNum(UInt64(exponent))
        return withExtendedLifetime(e) { Self.compute("BN_exp") { r, c in BN_exp(r, bn, e.bn, c) } }
    }

    /// Modular inverse, or nil when `gcd(self, modulus) ≠ 1`.
    public func inverse(modulo modulus: BigNum) -> BigNum? {
        let r = BigNum.make()
        guard BN_mod_inverse(r, bn, modulus.bn, Self.context) != nil else {
            BN_free(r)
            _ = drainOpenSSLErrors()
            return nil
        }
        return BigNum(owning: r)
    }

    /// Probable-prime test (`BN_check_prime`: trial division then Miller–Rabin with OpenSSL's
    /// round count for the size, error probability below 2⁻¹²⁸).
    public var isProbablePrime: Bool {
        let rc = BN_check_prime(bn, Self.context, nil)
        if rc < 0 { _ = drainOpenSSLErrors() }
        return rc == 1
    }

    /// One Fermat test to base 2: false proves `self` composite; true means "probably prime".
    /// About half the cost of one Miller–Rabin round; used as a cheap screen before ``isProbablePrime``.
    public var passesFermatBase2: Bool {
        guard bitCount > 2, isOdd else { return self == BigNum(2) }
        let r = BigNum.make()
        defer { BN_free(r) }
        let exponent = subtracting(1)
        guard withExtendedLifetime(exponent, { BN_mod_exp_mont_word(r, 2, exponent.bn, bn, Self.context, nil) }) == 1 else {
            _ = drainOpenSSLErrors()
            return false
        }
        return BN_is_one(r) == 1
    }

    // MARK: - Roots

    /// Integer square root ⌊√self⌋ (Newton's method); zero for values ≤ 0.
    public func squareRoot() -> BigNum { root(2) }

    /// True when `self` is the square of an integer. Screens with quadratic residues mod
    /// 64·63·65·11 first, so most non-squares cost four word divisions.
    public var isPerfectSquare: Bool {
        if isNegative { return false }
        if !Self.mayBeSquare(self) { return false }
        return GMPInteger(self).isPerfectSquare
    }

    static func mayBeSquare(_ n: BigNum) -> Bool {
        isSquareResidue(n.remainder(dividingBy: squareScreenModulus))
    }

    private static let squareScreenModulus: UInt64 = 64 * 63 * 65 * 11

    /// Whether `m`, an integer's residue modulo 64·63·65·11, is a square modulo each factor.
    private static func isSquareResidue(_ m: UInt64) -> Bool {
        squareResidues.mod64[Int(m % 64)] && squareResidues.mod63[Int(m % 63)]
            && squareResidues.mod65[Int(m % 65)] && squareResidues.mod11[Int(m % 11)]
    }

    private struct SquareResidues {
        let mod64: [Bool], mod63: [Bool], mod65: [Bool], mod11: [Bool]
        init() {
            let table = FermatSieve.squares(modulo:)
            (mod64, mod63, mod65, mod11) = (table(64), table(63), table(65), table(11))
        }
    }
    private static let squareResidues = SquareResidues()

    /// Integer `k`-th root ⌊self^(1/k)⌋ for `k ≥ 2` (Newton's method from an over-estimate);
    /// zero for values ≤ 0.
    public func root(_ k: Int) -> BigNum {
        precondition(k >= 2, "root degree must be at least 2")
        if isNegative || isZero { return BigNum(0) }
        let bits = bitCount
        if bits <= k { return BigNum(1) }
        // Start just above the root, from a 52-bit floating-point estimate, so Newton's
        // method converges quadratically from the first step.
        var x = Self.rootStart(self, k)
        let km1 = UInt64(k - 1)
        while true {
            // y = ((k-1)·x + self / x^(k-1)) / k
            let xk1 = x.power(k - 1)
            guard let (q, _) = try? quotientAndRemainder(dividingBy: xk1) else { return x }
            let y = x.multiplied(by: km1).adding(q).divided(by: UInt64(k))
            if y >= x { break }
            x = y
        }
        // Newton from above ends at the floor; the fix-ups only guard a low start.
        while x.adding(1).power(k) <= self { x = x.adding(1) }
        while x.power(k) > self { x = x.subtracting(1) }
        return x
    }

    /// An over-estimate of self^(1/k) good to about 40 bits.
    private static func rootStart(_ n: BigNum, _ k: Int) -> BigNum {
        let bits = n.bitCount
        let shift = max(0, bits - 64)
        let top = Double(n.shiftedRight(by: shift).uint64Value ?? 1)
        let t = (log2(top) + Double(shift)) / Double(k)
        let whole = Int(t.rounded(.down))
        let mantissa = UInt64(pow(2, t - Double(whole)) * 4503599627370496.0)  // 2^52
        let estimate = whole >= 52
            ? BigNum(mantissa).shiftedLeft(by: whole - 52)
            : BigNum(mantissa >> UInt64(52 - whole))
        return estimate.adding(estimate.shiftedRight(by: 36)).adding(2)
    }

    /// When `self = b^k` for some integer `b ≥ 2` and `k ≥ 2`, returns `(b, k)` with the
    /// largest such `k`'s prime factor tried first; nil otherwise. Checks squares and every
    /// prime exponent up to `bitCount` (or `maxExponent`).
    /// - Parameter maxExponent: largest exponent tried (default: all up to ``bitCount``). When `self`
    ///   has no prime factor below 2ᵗ, exponents above `bitCount / t` are impossible.
    public func perfectPower(maxExponent: Int? = nil) -> (base: BigNum, exponent: Int)? {
        guard !isNegative, bitCount > 1 else { return nil }
        let z = GMPInteger(self)
        // With a small bound (no small prime factors), residues settle the usual answer (no) in
        // about 1 µs for 2048 bits; otherwise GNU MP's test (about 7 µs for an RSA modulus, which
        // tries every exponent). The search below then names b and k.
        if let maxExponent, maxExponent <= Self.screenedExponents, !Self.mayBePerfectPower(z, maxExponent: maxExponent) {
            return nil
        }
        guard z.isPerfectPower else { return nil }
        if isPerfectSquare { return (squareRoot(), 2) }
        let bits = bitCount
        for k in Self.primesTo4096 where k > 2 {
            if k > min(bits, maxExponent ?? bits) { break }
            // A k-th power is a k-th power residue modulo every prime q ≡ 1 (mod k); the exact
            // root then decides. (A floating-point estimate of a word-sized root is not exact
            // enough: for a root near 2^50 it was off by up to a dozen units.)
            guard (Self.residueFilters[k] ?? Self.powerResidueFilter(k)).allSatisfy({ q in
                let r = remainder(dividingBy: q)
                return r == 0 || Self.powMod(r, (q - 1) / UInt64(k), q) == 1
            }) else { continue }
            let r = root(k)
            if r.power(k) == self { return (r, k) }
        }
        return nil
    }

    private static let primesTo4096 = smallPrimes(upTo: 4096)

    /// Largest exponent bound for which ``mayBePerfectPower(_:maxExponent:)`` is used (enough for
    /// 16384-bit moduli without prime factors below 2¹⁶).
    static let screenedExponents = 1024

    private static let residueFilters: [Int: [UInt64]] = Dictionary(
        uniqueKeysWithValues: smallPrimes(upTo: screenedExponents).dropFirst().map { ($0, powerResidueFilter($0)) })

    /// A necessary condition for `z = bᵏ` with some `2 ≤ k ≤ maxExponent` (it suffices to try 2 and
    /// the odd primes): a square modulo 64·63·65·11, or for some odd prime `k` a `k`-th power
    /// residue (or 0) modulo each prime `q ≡ 1 (mod k)` of its filter. False proves `z` is no such power.
    static func mayBePerfectPower(_ z: GMPInteger, maxExponent: Int) -> Bool {
        if isSquareResidue(UInt64(z.remainder(UInt(squareScreenModulus)))) { return true }
        for k in primesTo4096.dropFirst() {
            if k > maxExponent { break }
            guard let filter = residueFilters[k] else { return true }
            let kthPowerEverywhere = filter.allSatisfy { q in
                let r = UInt64(z.remainder(UInt(q)))
                return r == 0 || powMod(r, (q - 1) / UInt64(k), q) == 1
            }
            if kthPowerEverywhere { return true }
        }
        return false
    }

    /// The first six primes q ≡ 1 (mod k) (random values pass each with probability 1/k).
    private static func powerResidueFilter(_ k: Int) -> [UInt64] {
        var out: [UInt64] = []
        var q = UInt64(2 * k + 1)
        while out.count < 6 {
            var isPrime = true
            var d: UInt64 = 3
            while d * d <= q { if q % d == 0 { isPrime = false; break }; d += 2 }
            if isPrime { out.append(q) }
            q += UInt64(2 * k)
        }
        return out
    }

    /// `base^exponent mod modulus` for a modulus below 2³² (products stay within 64 bits).
    static func powMod(_ base: UInt64, _ exponent: UInt64, _ modulus: UInt64) -> UInt64 {
        precondition(modulus < 1 << 32)
        var result: UInt64 = 1, b = base % modulus, e = exponent
        while e > 0 {
            if e & 1 == 1 { result = result * b % modulus }
            b = b * b % modulus
            e >>= 1
        }
        return result
    }

    // MARK: - Small primes

    /// Odd and even primes `≤ limit` by a sieve (cached for the largest limit asked so far within a call).
    public static func smallPrimes(upTo limit: Int) -> [Int] {
        guard limit >= 2 else { return [] }
        var composite = [Bool](repeating: false, count: limit + 1)
        var primes: [Int] = []
        for i in 2...limit where !composite[i] {
            primes.append(i)
            var j = i * i
            while j <= limit { composite[j] = true; j += i }
        }
        return primes
    }

    /// Product of all primes `≤ limit` (a primorial), for trial division by one gcd.
    public static func primorial(upTo limit: Int) -> BigNum {
        productOf(smallPrimes(upTo: limit).map { BigNum(UInt64($0)) })
    }

    /// Product of `values` by a balanced tree (fast for many small factors).
    public static func productOf(_ values: [BigNum]) -> BigNum {
        guard !values.isEmpty else { return BigNum(1) }
        var level = values
        while level.count > 1 {
            var next: [BigNum] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count { next.append(level[i].multiplied(by: level[i + 1])); i += 2 }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level[0]
    }

    // MARK: - Context

    /// This thread's `BN_CTX` (made on first use, freed when the thread ends).
    static var context: OpaquePointer {
        if let p = pthread_getspecific(bnContextKey) { return OpaquePointer(p) }
        guard let ctx = BN_CTX_new() else { fatalError("BN_CTX_new: out of memory") }
        pthread_setspecific(bnContextKey, UnsafeRawPointer(ctx))
        return ctx
    }
}

private let bnContextKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { p in
        if let p { BN_CTX_free(OpaquePointer(p)) }
    }
    return key
}()

extension BigNum: Comparable, Hashable, CustomStringConvertible {
    public static func == (lhs: BigNum, rhs: BigNum) -> Bool { BN_cmp(lhs.bn, rhs.bn) == 0 }
    public static func < (lhs: BigNum, rhs: BigNum) -> Bool { BN_cmp(lhs.bn, rhs.bn) < 0 }
    public func hash(into hasher: inout Hasher) { hasher.combine(bigEndianBytes); hasher.combine(isNegative) }
    /// Decimal text for values up to 128 bits, otherwise a size summary (moduli are long).
    public var description: String { bitCount <= 128 ? decimalString : "BigNum(\(bitCount) bits)" }

    /// `lhs + rhs`.
    public static func + (lhs: BigNum, rhs: BigNum) -> BigNum { lhs.adding(rhs) }
    /// `lhs - rhs`.
    public static func - (lhs: BigNum, rhs: BigNum) -> BigNum { lhs.subtracting(rhs) }
    /// `lhs * rhs`.
    public static func * (lhs: BigNum, rhs: BigNum) -> BigNum { lhs.multiplied(by: rhs) }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
