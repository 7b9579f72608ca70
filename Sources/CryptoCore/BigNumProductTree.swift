import COpenSSL
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A product tree over many integers, with Bernstein's remainder tree for batch GCD
/// ("How to find smooth parts of integers", D. J. Bernstein, 2004; as used by Heninger et al.,
/// "Mining your Ps and Qs", 2012).
///
/// Leaves are multiplied pairwise up to the root `P`; going back down, each node keeps
/// `P mod node²`, so each leaf `nᵢ` ends with `rᵢ = P mod nᵢ²`, and `gcd(nᵢ, rᵢ / nᵢ)` is
/// the product of the primes `nᵢ` shares with any other leaf.
///
/// OpenSSL's `BIGNUM` multiplies by Karatsuba at best and divides in quadratic time, which is
/// hopeless for the multi-megabyte numbers near the root. When the GNU MP library
/// (`libgmp.so.10`, FFT multiplication and sub-quadratic division) can be loaded at run
/// time, the tree runs on it; otherwise it falls back to OpenSSL (correct, much slower).
/// ``backend`` says which one ran. Work on each level is split across `threads` threads.
public final class BigNumProductTree: @unchecked Sendable {
    /// The arithmetic library the tree runs on.
    public enum Backend: String, Sendable, Codable {
        /// GNU MP, loaded with `dlopen`.
        case gmp
        /// OpenSSL `BIGNUM` (fallback).
        case openssl
    }

    private enum Storage {
        case gmp([[GMPInteger]])
        case openssl([[BigNum]])
    }

    private let storage: Storage
    private let threads: Int

    /// Number of leaves.
    public let count: Int

    /// Which arithmetic library built this tree.
    public var backend: Backend {
        if case .gmp = storage { .gmp } else { .openssl }
    }

    /// True when GNU MP could be loaded on this machine.
    public static var isGMPAvailable: Bool { GMP.functions != nil }

    /// Builds the tree over `leaves` (which must be positive).
    /// - Parameters:
    ///   - leaves: the integers, e.g. RSA moduli; order is kept in results.
    ///   - threads: how many threads share the work on each level (default 2).
    ///   - preferGMP: set to false to force the OpenSSL backend (for measurements).
    public init(_ leaves: [BigNum], threads: Int = 2, preferGMP: Bool = true) {
        self.count = leaves.count
        self.threads = max(1, threads)
        if preferGMP, let gmp = GMP.functions {
            let converted = parallelMap(leaves, threads: self.threads) { GMPInteger($0, gmp) }
            storage = .gmp(Self.build(converted, threads: self.threads))
        } else {
            storage = .openssl(Self.build(leaves, threads: self.threads))
        }
    }

    /// The product of all leaves (1 for an empty tree).
    public var product: BigNum {
        switch storage {
        case .gmp(let levels): levels.last?.first?.bigNum ?? BigNum(1)
        case .openssl(let levels): levels.last?.first ?? BigNum(1)
        }
    }

    /// The batch GCD: for each leaf `nᵢ`, `gcd(nᵢ, ∏_{j≠i} nⱼ)`, reported only where it is not 1.
    /// A result equal to `nᵢ` means every prime of `nᵢ` occurs elsewhere (or `nᵢ` occurs twice).
    /// - Returns: leaf indices (ascending) with their non-trivial gcd.
    public func sharedFactors() -> [(index: Int, gcd: BigNum)] {
        switch storage {
        case .gmp(let levels): Self.remainderTree(levels, threads: threads)
        case .openssl(let levels): Self.remainderTree(levels, threads: threads)
        }
    }

    /// `gcd(x, P)`: the part of `x` shared with the leaves, for checking one new modulus
    /// against a stored corpus without rebuilding the tree.
    public func gcdWithProduct(_ x: BigNum) -> BigNum {
        switch storage {
        case .gmp(let levels):
            guard let root = levels.last?.first, let gmp = GMP.functions else { return x }
            let xz = GMPInteger(x, gmp)
            return root.mod(xz).gcd(xz).bigNum
        case .openssl(let levels):
            guard let root = levels.last?.first else { return x }
            return ((try? root.modulo(x)) ?? BigNum(0)).gcd(x)
        }
    }

    // MARK: - Generic tree

    private static func build<T: TreeNumber>(_ leaves: [T], threads: Int) -> [[T]] {
        guard !leaves.isEmpty else { return [] }
        var levels = [leaves]
        while let top = levels.last, top.count > 1 {
            let pairs = (top.count + 1) / 2
            let next: [T] = parallelMap(Array(0..<pairs), threads: threads) { i in
                2 * i + 1 < top.count ? top[2 * i].times(top[2 * i + 1]) : top[2 * i]
            }
            levels.append(next)
        }
        return levels
    }

    private static func remainderTree<T: TreeNumber>(_ levels: [[T]], threads: Int) -> [(index: Int, gcd: BigNum)] {
        guard levels.count > 1 else { return [] }
        var remainders = levels[levels.count - 1]  // [P]
        for l in stride(from: levels.count - 2, through: 0, by: -1) {
            let nodes = levels[l]
            let parents = remainders
            let belowRoot = l == levels.count - 2 && nodes.count == 2
            remainders = parallelMap(Array(0..<nodes.count), threads: threads) { i in
                // Under the root P = L·R, so P mod L² = L·(R mod L): a cheap same-size division.
                belowRoot ? nodes[i].times(nodes[1 - i].mod(nodes[i])) : parents[i / 2].mod(nodes[i].squared())
            }
        }
        let leaves = levels[0]
        let gcds: [BigNum?] = parallelMap(Array(0..<leaves.count), threads: threads) { i in
            leaves[i].leafGCD(remainder: remainders[i])
        }
        return gcds.enumerated().compactMap { i, g in g.map { (i, $0) } }
    }
}

/// Splits `items` into `threads` contiguous chunks and maps them on that many threads
/// (the caller's thread takes the first chunk), keeping order.
func parallelMap<T, R>(_ items: [T], threads: Int, _ transform: @escaping (T) -> R) -> [R] {
    let n = items.count
    if threads <= 1 || n < 2 { return items.map(transform) }
    let chunks = min(threads, n)
    var results = [R?](repeating: nil, count: n)
    results.withUnsafeMutableBufferPointer { out in
        let base = UncheckedSendable(out)
        let input = UncheckedSendable(items)
        do {
            let f = UncheckedSendable(transform)
            let work = { @Sendable (c: Int) in
                let lo = n * c / chunks, hi = n * (c + 1) / chunks
                for i in lo..<hi { base.value[i] = f.value(input.value[i]) }
            }
            let done = DispatchSemaphore(value: 0)
            for c in 1..<chunks {
                let thread = Thread {
                    work(c)
                    done.signal()
                }
                thread.stackSize = 1 << 22
                thread.start()
            }
            work(0)
            for _ in 1..<chunks { done.wait() }
        }
    }
    return results.map { $0! }
}

private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Arithmetic the trees need, over GMP or OpenSSL.
private protocol TreeNumber: AnyObject {
    func times(_ other: Self) -> Self
    func squared() -> Self
    func mod(_ modulus: Self) -> Self
    /// `gcd(self, remainder / self)`, or nil when it is 1.
    func leafGCD(remainder: Self) -> BigNum?
}

extension BigNum: TreeNumber {
    fileprivate func times(_ other: BigNum) -> BigNum { multiplied(by: other) }
    fileprivate func mod(_ modulus: BigNum) -> BigNum { (try? modulo(modulus)) ?? BigNum(0) }
    fileprivate func leafGCD(remainder: BigNum) -> BigNum? {
        guard let (q, _) = try? remainder.quotientAndRemainder(dividingBy: self) else { return nil }
        let g = q.gcd(self)
        return g.isOne ? nil : g
    }
}

// MARK: - GNU MP through dlopen

/// The handful of GMP entry points the trees use, resolved once with `dlopen`/`dlsym`.
struct GMPFunctions: @unchecked Sendable {
    typealias Unary = @convention(c) (UnsafeMutableRawPointer) -> Void
    typealias Binary = @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer, UnsafeRawPointer) -> Void
    let initialize: Unary
    let clear: Unary
    let mul: Binary
    let tdivR: Binary
    let divexact: Binary
    let gcd: Binary
    let limbsWrite: @convention(c) (UnsafeMutableRawPointer, Int) -> UnsafeMutablePointer<UInt64>
    let limbsFinish: @convention(c) (UnsafeMutableRawPointer, Int) -> Void
    let limbsRead: @convention(c) (UnsafeRawPointer) -> UnsafePointer<UInt64>
    let size: @convention(c) (UnsafeRawPointer) -> Int
}

enum GMP {
    /// Loaded on first use; nil when `libgmp.so.10` is missing or `SLEUTEL_NO_GMP` is set.
    static let functions: GMPFunctions? = {
        if getenv("SLEUTEL_NO_GMP") != nil { return nil }
        guard MemoryLayout<UInt>.size == 8, UInt32(1).littleEndian == 1 else { return nil }
        guard let handle = dlopen("libgmp.so.10", RTLD_NOW | RTLD_LOCAL) ?? dlopen("libgmp.10.dylib", RTLD_NOW)
        else { return nil }
        func sym<F>(_ name: String, _: F.Type) -> F? {
            guard let p = dlsym(handle, name) else { return nil }
            return unsafeBitCast(p, to: F.self)
        }
        guard let initialize = sym("__gmpz_init", GMPFunctions.Unary.self),
              let clear = sym("__gmpz_clear", GMPFunctions.Unary.self),
              let mul = sym("__gmpz_mul", GMPFunctions.Binary.self),
              let tdivR = sym("__gmpz_tdiv_r", GMPFunctions.Binary.self),
              let divexact = sym("__gmpz_divexact", GMPFunctions.Binary.self),
              let gcd = sym("__gmpz_gcd", GMPFunctions.Binary.self),
              let limbsWrite = sym("__gmpz_limbs_write",
                                   (@convention(c) (UnsafeMutableRawPointer, Int) -> UnsafeMutablePointer<UInt64>).self),
              let limbsFinish = sym("__gmpz_limbs_finish", (@convention(c) (UnsafeMutableRawPointer, Int) -> Void).self),
              let limbsRead = sym("__gmpz_limbs_read", (@convention(c) (UnsafeRawPointer) -> UnsafePointer<UInt64>).self),
              let size = sym("__gmpz_size", (@convention(c) (UnsafeRawPointer) -> Int).self)
        else { return nil }
        return GMPFunctions(initialize: initialize, clear: clear, mul: mul, tdivR: tdivR, divexact: divexact, gcd: gcd,
                            limbsWrite: limbsWrite, limbsFinish: limbsFinish, limbsRead: limbsRead, size: size)
    }()
}

/// An `mpz_t` owned by Swift. The 16-byte `__mpz_struct` is treated as opaque memory and
/// only touched through GMP functions. Immutable after construction.
final class GMPInteger: TreeNumber, @unchecked Sendable {
    let z: UnsafeMutableRawPointer
    let gmp: GMPFunctions

    private init(_ gmp: GMPFunctions) {
        self.gmp = gmp
        z = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 16)
        gmp.initialize(z)
    }

    deinit {
        gmp.clear(z)
        z.deallocate()
    }

    /// Copies a non-negative `BigNum` (limbs are little-endian 64-bit words on both sides).
    convenience init(_ value: BigNum, _ gmp: GMPFunctions) {
        self.init(gmp)
        let limbs = (Int(BN_num_bits(value.bn)) + 63) / 64
        guard limbs > 0 else { return }
        let p = gmp.limbsWrite(z, limbs)
        p.withMemoryRebound(to: UInt8.self, capacity: limbs * 8) {
            _ = BN_bn2lebinpad(value.bn, $0, Int32(limbs * 8))
        }
        gmp.limbsFinish(z, limbs)
    }

    var bigNum: BigNum {
        let limbs = gmp.size(z)
        guard limbs > 0 else { return BigNum(0) }
        let p = gmp.limbsRead(z)
        let bn = p.withMemoryRebound(to: UInt8.self, capacity: limbs * 8) { BN_lebin2bn($0, Int32(limbs * 8), nil) }
        guard let bn else { fatalError("BN_lebin2bn: out of memory") }
        return BigNum(owning: bn)
    }

    private var isOne: Bool { gmp.size(z) == 1 && gmp.limbsRead(z).pointee == 1 }

    private func binary(_ f: GMPFunctions.Binary, _ other: GMPInteger) -> GMPInteger {
        let r = GMPInteger(gmp)
        f(r.z, z, other.z)
        return r
    }

    func times(_ other: GMPInteger) -> GMPInteger { binary(gmp.mul, other) }
    func squared() -> GMPInteger { binary(gmp.mul, self) }
    func mod(_ modulus: GMPInteger) -> GMPInteger { binary(gmp.tdivR, modulus) }
    func gcd(_ other: GMPInteger) -> GMPInteger { binary(gmp.gcd, other) }

    func leafGCD(remainder: GMPInteger) -> BigNum? {
        let q = remainder.binary(gmp.divexact, self)
        let g = q.gcd(self)
        return g.isOne ? nil : g.bigNum
    }
}
