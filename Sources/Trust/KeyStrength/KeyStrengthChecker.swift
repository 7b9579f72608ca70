import CryptoCore
import Foundation

/// Judges public keys: structural checks that catch broken or backdoored keys, plus a size and
/// curve policy with end years.
///
/// Check ids (stable; used in JSON output and by the benchmark's comparison with badkeys):
///
/// | id | what |
/// |---|---|
/// | `rsa.size` | modulus size under the profile, with its last acceptable year; at most ``Options/maximumModulusBits`` |
/// | `rsa.exponent` | `e` odd and 65537 ≤ e < 2²⁵⁶ (FIPS 186-5 §A.1.1), and `e < n` |
/// | `rsa.modulus.even` | `n` odd |
/// | `rsa.modulus.prime` | `n` composite (Fermat base-2 screen, then `BN_check_prime`) |
/// | `rsa.modulus.power` | `n` not a perfect power `b^k` |
/// | `rsa.smallFactors` | no prime factor ≤ 65537 (one gcd with the primorial) |
/// | `rsa.fermat` | Fermat's method does not split `n` within ``Options/fermatIterations`` steps |
/// | `rsa.roca` | not the ROCA fingerprint (Nemec et al., CCS 2017) |
/// | `rsa.wiener` | no small private exponent by Wiener's continued fractions (only when e > 2³²) |
/// | `ec.curve` | a named curve the profile accepts, with its last acceptable year |
/// | `ec.point` | point on the curve, not at infinity, in the prime-order subgroup |
/// | `ed.key` | Ed25519/Ed448 key of the right length, canonically encoded, on the curve and not of small order |
/// | `key.purpose` | a signature key: X25519/X448 keys (key agreement only) fail it, whatever their strength |
/// | `key.algorithm` | a supported algorithm at all |
public struct KeyStrengthChecker: Sendable {
    /// Tuning knobs.
    public struct Options: Sendable {
        /// Fermat steps from ⌈√n⌉ (badkeys uses 100). The default million, sieved by quadratic
        /// residues, splits any RSA-2048 modulus whose primes differ by less than about 2^525.
        public var fermatIterations: Int
        /// Run `rsa.modulus.prime` (one full-size modular exponentiation per key).
        public var primalityTest: Bool
        /// Largest RSA modulus judged (default 16384 bits, OpenSSL's own limit for RSA keys). A
        /// larger modulus fails `rsa.size` and gets no other check: the checks' cost grows with
        /// the cube of the size (a 64 KB request could otherwise hold a 370,000-bit modulus).
        public var maximumModulusBits: Int

        public init(fermatIterations: Int = 1_000_000, primalityTest: Bool = true, maximumModulusBits: Int = 16384) {
            self.fermatIterations = fermatIterations
            self.primalityTest = primalityTest
            self.maximumModulusBits = maximumModulusBits
        }
    }

    /// The policy profile.
    public let policy: KeyStrengthPolicy
    /// The options.
    public let options: Options

    /// - Parameters:
    ///   - policy: the profile (default: ``KeyStrengthPolicy/loginDefault``).
    ///   - options: tuning knobs.
    public init(policy: KeyStrengthPolicy = .loginDefault, options: Options = Options()) {
        self.policy = policy
        self.options = options
    }

    /// Judges `key` for `year` (default: the current year, UTC).
    public func verdict(for key: KeyComponents, year: Int = KeyStrengthChecker.currentYear) -> KeyVerdict {
        verdict(for: key, year: year, smallFactorGCD: nil)
    }

    /// Judges many keys; the same verdicts as ``verdict(for:year:)`` one by one, with the
    /// small-factor trial division of all RSA moduli done as one batch (``SmallFactors/gcds(_:)``).
    public func verdicts(for keys: [KeyComponents], year: Int = KeyStrengthChecker.currentYear) -> [KeyVerdict] {
        var moduli: [BigNum] = [], positions: [Int] = []
        for (i, key) in keys.enumerated() {
            if case .rsa(let n, _) = key, (Self.smallestCheckedModulus...options.maximumModulusBits).contains(n.bitCount) {
                moduli.append(n)
                positions.append(i)
            }
        }
        var gcds = [BigNum?](repeating: nil, count: keys.count)
        for (i, g) in zip(positions, SmallFactors.gcds(moduli)) { gcds[i] = g }
        return zip(keys, gcds).map { verdict(for: $0, year: year, smallFactorGCD: $1) }
    }

    private func verdict(for key: KeyComponents, year: Int, smallFactorGCD: BigNum?) -> KeyVerdict {
        var checks: [KeyCheckResult] = []
        var lifetime: KeyLifetime
        switch key {
        case .rsa(let n, let e):
            (checks, lifetime) = rsaChecks(n: n, e: e, year: year, smallFactorGCD: smallFactorGCD)
        case .ec(let ec):
            (checks, lifetime) = ecChecks(ec, year: year)
        case .edwards(let ed):
            checks.append(Self.edwardsResult(ed))
            lifetime = curveLifetime(ed.name)
            checks.append(curveResult(ed.name, lifetime: lifetime, year: year))
        case .keyAgreement(let name):
            checks.append(KeyCheckResult(id: "key.purpose", passed: false,
                                         detail: "\(name) is a key-agreement key (RFC 7748), not a signature key"))
            lifetime = .never
        case .other(let algorithm):
            checks.append(KeyCheckResult(id: "key.algorithm", passed: false, detail: "unsupported algorithm \(algorithm)"))
            lifetime = .never
        }
        if checks.contains(where: { !$0.passed && !$0.id.hasSuffix("size") && $0.id != "ec.curve" }) {
            lifetime = .never
        }
        let acceptable = checks.allSatisfy(\.passed) && Self.covers(lifetime, year)
        return KeyVerdict(key: key.summary, checks: checks, profile: policy.name, profileDocument: policy.document,
                          year: year, lifetime: lifetime, isAcceptable: acceptable)
    }

    /// Reads every key in `data` (any supported format) and judges each.
    /// - Parameter maximumKeys: the most keys judged; an input with more is refused before any check.
    /// - Throws: `TrustError.unreadableKey` when nothing can be read; `TrustError.tooManyKeys`.
    public func verdicts(forFile data: [UInt8], year: Int = KeyStrengthChecker.currentYear,
                         maximumKeys: Int = .max) throws -> [KeyVerdict] {
        verdicts(for: try Self.readKeys(data, maximumKeys: maximumKeys).map(\.components), year: year)
    }

    /// Reads every key in `data` (any supported format), without judging them.
    /// - Throws: `TrustError.unreadableKey` when nothing can be read; `TrustError.tooManyKeys` for
    ///   more than `maximumKeys`.
    public static func readKeys(_ data: [UInt8], maximumKeys: Int = .max) throws -> [ReadKey] {
        let keys: [ReadKey]
        do { keys = try KeyReader.read(data) } catch {
            throw TrustError(.unreadableKey, "\(error)")
        }
        guard keys.count <= maximumKeys else {
            throw TrustError(.tooManyKeys, "\(keys.count) keys; at most \(maximumKeys) are checked at once")
        }
        return keys
    }

    /// Judges a certificate's key; throws `TrustError.weakKey` naming the failed checks.
    /// This is the call the login path makes on the card's authentication certificate.
    public func requireAcceptable(_ certificate: Certificate, year: Int = KeyStrengthChecker.currentYear) throws {
        let components: KeyComponents
        do { components = try KeyReader.spki(try certificate.publicKey().spkiDER()) } catch {
            throw TrustError(.unreadableKey, "certificate key: \(error)")
        }
        let v = verdict(for: components, year: year)
        guard v.isAcceptable else {
            let failed = v.failures.map { "\($0.id): \($0.detail)" }.joined(separator: "; ")
            throw TrustError(.weakKey, "\(v.key) under \(v.profile) in \(year): \(failed.isEmpty ? "lifetime \(v.lifetime)" : failed)")
        }
    }

    /// The current year in UTC.
    public static var currentYear: Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.component(.year, from: Date())
    }

    static func covers(_ lifetime: KeyLifetime, _ year: Int) -> Bool {
        switch lifetime {
        case .never: false
        case .through(let last): year <= last
        case .noEndDate: true
        }
    }

    // MARK: - RSA

    /// Moduli below this many bits only get the size, exponent and parity checks.
    static let smallestCheckedModulus = 16

    private func rsaChecks(n: BigNum, e: BigNum, year: Int, smallFactorGCD: BigNum?) -> ([KeyCheckResult], KeyLifetime) {
        var out: [KeyCheckResult] = []
        let bits = n.bitCount
        guard bits <= options.maximumModulusBits else {
            out.append(KeyCheckResult(id: "rsa.size", passed: false,
                                      detail: "\(bits)-bit modulus is over the \(options.maximumModulusBits)-bit limit; not checked further"))
            return (out, .never)
        }
        let lifetime: KeyLifetime = switch policy.rsaLastYear(bits: bits) {
        case .none: .never
        case .some(.none): .noEndDate
        case .some(.some(let y)): .through(year: y)
        }
        out.append(KeyCheckResult(id: "rsa.size", passed: Self.covers(lifetime, year),
                                  detail: "\(bits)-bit modulus: \(lifetime) under \(policy.document)"))

        // Exponent.
        var eProblems: [String] = []
        if !e.isOdd { eProblems.append("even") }
        if e < Self.f4 { eProblems.append("below 65537") }
        if e.bitCount > 256 { eProblems.append("not below 2^256") }
        if e >= n { eProblems.append("not below n") }
        out.append(KeyCheckResult(id: "rsa.exponent", passed: eProblems.isEmpty,
                                  detail: eProblems.isEmpty ? "e = \(e.bitCount <= 64 ? e.decimalString : "\(e.bitCount)-bit")"
                                      : "e \(eProblems.joined(separator: ", "))"))

        guard bits >= Self.smallestCheckedModulus else {
            out.append(KeyCheckResult(id: "rsa.modulus.even", passed: n.isOdd, detail: "modulus of \(bits) bits"))
            return (out, .never)
        }
        out.append(KeyCheckResult(id: "rsa.modulus.even", passed: n.isOdd, detail: n.isOdd ? "odd" : "modulus is even"))
        // Small factors: one gcd of n with the primorial of all primes ≤ 65537.
        let g = smallFactorGCD ?? SmallFactors.gcd(n)
        let power = n.perfectPower(maxExponent: g.isOne ? bits / 16 : bits)
        if options.primalityTest {
            // The full-size exponentiation is skipped when a cheap check already shows n composite.
            let composite = !n.isOdd || (!g.isOne && g != n) || power != nil
            let prime = !composite && n.passesFermatBase2 && n.isProbablePrime
            out.append(KeyCheckResult(id: "rsa.modulus.prime", passed: !prime, detail: prime ? "modulus is prime" : "composite"))
        }
        out.append(KeyCheckResult(id: "rsa.smallFactors", passed: g.isOne,
                                  detail: g.isOne ? "no prime factor ≤ 65537" : "shares a \(g.bitCount)-bit factor with the primes ≤ 65537"))

        if let (base, k) = power {
            out.append(KeyCheckResult(id: "rsa.modulus.power", passed: false,
                                      detail: "modulus is a \(k)-th power of a \(base.bitCount)-bit number"))
        } else {
            out.append(KeyCheckResult(id: "rsa.modulus.power", passed: true, detail: "not a perfect power"))
        }

        out.append(fermat(n))
        out.append(Self.roca(n))
        out.append(wiener(n: n, e: e))
        return (out, lifetime)
    }

    private static let f4 = BigNum(65537)

    /// Fermat's method: with a = ⌈√n⌉, a² − n is a square b² when n = (a−b)(a+b) and the primes are close.
    private func fermat(_ n: BigNum) -> KeyCheckResult {
        guard let (step, bBits) = n.fermatFactor(maxSteps: options.fermatIterations) else {
            return KeyCheckResult(id: "rsa.fermat", passed: true, detail: "not split in \(options.fermatIterations) Fermat steps")
        }
        if bBits == 0 { return KeyCheckResult(id: "rsa.fermat", passed: false, detail: "modulus is a perfect square") }
        return KeyCheckResult(id: "rsa.fermat", passed: false,
                              detail: "factored by Fermat's method after \(step) steps (|p−q| is \(bBits + 1) bits)")
    }

    /// Wiener: when d < n^{1/4}/3, d is the denominator of a convergent of e/n. Only run for
    /// large e (a small d forces a huge e); for e ≤ 2³² it cannot apply.
    private func wiener(n: BigNum, e: BigNum) -> KeyCheckResult {
        guard e.bitCount > 32, e < n else {
            return KeyCheckResult(id: "rsa.wiener", passed: true, detail: "not applicable (small e)")
        }
        if let bits = n.wienerExponentBits(publicExponent: e, maxSteps: 2 * n.bitCount) {
            return KeyCheckResult(id: "rsa.wiener", passed: false,
                                  detail: "private exponent recovered by Wiener's attack (\(bits) bits)")
        }
        return KeyCheckResult(id: "rsa.wiener", passed: true, detail: "no small private exponent")
    }

    // MARK: - ROCA

    /// The primes of the ROCA fingerprint: all odd primes up to 167. Infineon's generator
    /// (Nemec et al., "The Return of Coppersmith's Attack", CCS 2017) made primes
    /// p = k·M + (65537^a mod M) with M a primorial containing at least these primes, so
    /// N mod r lies in the subgroup of (ℤ/r)* generated by 65537 for every such r. A random
    /// modulus passes all of them with probability about 2⁻¹⁵⁴.
    static let rocaPrimes: [UInt64] = BigNum.smallPrimes(upTo: 167).dropFirst().map(UInt64.init)

    private static let rocaProduct = BigNum.productOf(rocaPrimes.map { BigNum($0) })

    /// For each ROCA prime, the set of residues in ⟨65537 mod r⟩, as a 256-bit mask.
    private static let rocaSubgroups: [(prime: UInt64, mask: [UInt64])] = rocaPrimes.map { r in
        var mask = [UInt64](repeating: 0, count: 4)
        let g = 65537 % r
        var x: UInt64 = 1
        repeat {
            mask[Int(x / 64)] |= 1 << (x % 64)
            x = x * g % r
        } while x != 1
        return (r, mask)
    }

    /// The ROCA subgroups packed by consecutive primes into words (products below 2⁶⁴), so one
    /// word division gives the residues for several primes.
    private static let rocaWords = BigNum.wordGroups(rocaSubgroups, factor: \.prime)

    /// True when `n` carries the ROCA fingerprint.
    public static func hasROCAFingerprint(_ n: BigNum) -> Bool {
        guard n.bitCount > 64 else { return false }
        // One reduction modulo the product of the ROCA primes (≈ 230 bits), then one word residue
        // per group of primes; a random modulus usually fails within the first group.
        guard let reduced = try? n.modulo(rocaProduct) else { return false }
        for (word, subgroups) in rocaWords {
            let residues = reduced.remainder(dividingBy: word)
            for (r, mask) in subgroups {
                let residue = residues % r
                if mask[Int(residue / 64)] & (1 << (residue % 64)) == 0 { return false }
            }
        }
        return true
    }

    static func roca(_ n: BigNum) -> KeyCheckResult {
        hasROCAFingerprint(n)
            ? KeyCheckResult(id: "rsa.roca", passed: false, detail: "ROCA fingerprint (Infineon RSALib, CVE-2017-15361)")
            : KeyCheckResult(id: "rsa.roca", passed: true, detail: "no ROCA fingerprint")
    }

    // MARK: - EC and Edwards

    private func curveLifetime(_ name: String) -> KeyLifetime {
        guard let entry = policy.curves[name] else { return .never }
        return entry.map { .through(year: $0) } ?? .noEndDate
    }

    private func curveResult(_ name: String, lifetime: KeyLifetime, year: Int) -> KeyCheckResult {
        if case .never = lifetime {
            return KeyCheckResult(id: "ec.curve", passed: false, detail: "\(name) not accepted: \(policy.curveNote)")
        }
        return KeyCheckResult(id: "ec.curve", passed: Self.covers(lifetime, year), detail: "\(name): \(lifetime) under \(policy.document)")
    }

    static func edwardsResult(_ ed: EdwardsPublicComponents) -> KeyCheckResult {
        let problem: String? =
            !ed.lengthValid ? "\(ed.encoding.count) bytes, not the \(ed.bits == 256 ? 32 : 57) of an \(ed.name) key"
            : !ed.canonical ? "non-canonical encoding (y not below p, or x = 0 with the sign bit set)"
            : !ed.onCurve ? "no point on the curve has this y-coordinate"
            : ed.smallOrder ? "small-order point (identity or torsion point): any signature check with it is meaningless"
            : nil
        return KeyCheckResult(id: "ed.key", passed: problem == nil, detail: problem.map { "\(ed.name): \($0)" } ?? "valid \(ed.name) point")
    }

    private func ecChecks(_ ec: ECPublicComponents, year: Int) -> ([KeyCheckResult], KeyLifetime) {
        var out: [KeyCheckResult] = []
        let lifetime: KeyLifetime = ec.explicitParameters || !ec.curveKnown ? .never : curveLifetime(ec.curveName)
        if ec.explicitParameters {
            out.append(KeyCheckResult(id: "ec.curve", passed: false, detail: "explicit curve parameters (named curves only)"))
        } else {
            out.append(curveResult(ec.curveName, lifetime: lifetime, year: year))
        }
        let pointProblem: String? =
            !ec.curveKnown ? "curve unknown, point not checked"
            : !ec.onCurve ? "point not on the curve"
            : ec.atInfinity ? "point at infinity"
            : ec.smallOrder ? "point not in the prime-order subgroup"
            : nil
        out.append(KeyCheckResult(id: "ec.point", passed: pointProblem == nil, detail: pointProblem ?? "valid point"))
        return (out, lifetime)
    }
}
