import COpenSSL
import Dispatch
import Foundation

/// A product tree over many integers, with Bernstein's remainder tree for batch GCD
/// ("How to find smooth parts of integers", D. J. Bernstein, 2004; as used by Heninger et al.,
/// "Mining your Ps and Qs", 2012).
///
/// Leaves are multiplied pairwise up to the root `P`; going back down, each leaf `nᵢ` gets
/// `qᵢ = (P / nᵢ) mod nᵢ`, and `gcd(nᵢ, qᵢ)` is the product of the primes `nᵢ` shares with
/// any other leaf.
///
/// The tree runs on GNU MP (FFT multiplication, sub-quadratic division) with a *scaled*
/// remainder tree: instead of dividing `P mod v²` by each child's square, every node `v`
/// carries the fraction `frac(P / v²)` as a fixed-point number, and a child `l` with sibling
/// `r` gets `frac(P / l²) = frac(r² · frac(P / v²))` by one multiplication and a truncation
/// (Bernstein, "Scaled remainder trees", 2004). Only the two children of the root need a
/// division. At a leaf, `qᵢ = round(nᵢ · frac(P / nᵢ²))`. The precision of each node is chosen
/// bottom-up so the rounding at the leaves is exact.
///
/// The OpenSSL backend (``Backend/openssl``, `P mod node²` at each node with `BIGNUM`
/// division) is kept as an independent cross-check for tests; it is far slower.
/// Work on each level is split across `threads` threads.
public final class BigNumProductTree: @unchecked Sendable {
    /// The arithmetic library the tree runs on.
    public enum Backend: String, Sendable, Codable {
        /// GNU MP, scaled remainder tree.
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

    /// Builds the tree over `leaves` (which must be positive).
    /// - Parameters:
    ///   - leaves: the integers, e.g. RSA moduli; order is kept in results.
    ///   - threads: how many threads share the work on each level (default 2).
    ///   - preferGMP: set to false to use the OpenSSL backend (a slow cross-check).
    public init(_ leaves: [BigNum], threads: Int = 2, preferGMP: Bool = true) {
        self.count = leaves.count
        self.threads = max(1, threads)
        if preferGMP {
            let converted = parallelMap(leaves, threads: self.threads) { GMPInteger($0) }
            // The scaled remainder tree starts from the root's two children: the root itself,
            // the largest (single-threaded) multiplication, is only made when asked for.
            storage = .gmp(Self.build(converted, threads: self.threads, stopAt: 2))
        } else {
            storage = .openssl(Self.build(leaves, threads: self.threads))
        }
    }

    /// The product of all leaves (1 for an empty tree).
    public var product: BigNum {
        switch storage {
        case .gmp(let levels): Self.root(levels)?.bigNum ?? BigNum(1)
        case .openssl(let levels): levels.last?.first ?? BigNum(1)
        }
    }

    /// The batch GCD: for each leaf `nᵢ`, `gcd(nᵢ, ∏_{j≠i} nⱼ)`, reported only where it is not 1.
    /// A result equal to `nᵢ` means every prime of `nᵢ` occurs elsewhere (or `nᵢ` occurs twice).
    /// - Parameter scaled: on GNU MP, use the scaled remainder tree (default); false runs the
    ///   plain `P mod node²` tree on GNU MP too (for comparisons).
    /// - Returns: leaf indices (ascending) with their non-trivial gcd.
    public func sharedFactors(scaled: Bool = true) -> [(index: Int, gcd: BigNum)] {
        switch storage {
        case .gmp(let levels):
            if scaled { return Self.scaledRemainderTree(levels, threads: threads) }
            guard let root = Self.root(levels), levels.count > 0, levels[0].count > 1 else { return [] }
            return Self.remainderTree(levels.last?.count == 2 ? levels + [[root]] : levels, threads: threads)
        case .openssl(let levels):
            return Self.remainderTree(levels, threads: threads)
        }
    }

    /// `gcd(x, P)`: the part of `x` shared with the leaves, for checking one new modulus
    /// against a stored corpus without rebuilding the tree.
    public func gcdWithProduct(_ x: BigNum) -> BigNum {
        switch storage {
        case .gmp(let levels):
            guard let root = Self.root(levels) else { return x }
            let xz = GMPInteger(x)
            return root.mod(xz).gcd(xz).bigNum
        case .openssl(let levels):
            guard let root = levels.last?.first else { return x }
            return ((try? root.modulo(x)) ?? BigNum(0)).gcd(x)
        }
    }

    // MARK: - Generic tree

    /// The root of a GMP tree whose top level may hold the root's two children.
    private static func root(_ levels: [[GMPInteger]]) -> GMPInteger? {
        guard let top = levels.last, let first = top.first else { return nil }
        return top.count == 2 ? first.times(top[1]) : first
    }

    private static func build<T: TreeNumber>(_ leaves: [T], threads: Int, stopAt: Int = 1) -> [[T]] {
        guard !leaves.isEmpty else { return [] }
        var levels = [leaves]
        while let top = levels.last, top.count > stopAt {
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

extension BigNumProductTree {
    /// Guard bits added per level to the fixed-point precision (each level then at most
    /// adds 1 + 1/4 + 1/16 + … < 4/3 units in the last place of error).
    private static let guardBits = 2

    /// The scaled remainder tree over GMP levels (see the type's documentation).
    fileprivate static func scaledRemainderTree(_ levels: [[GMPInteger]], threads: Int) -> [(index: Int, gcd: BigNum)] {
        guard let last = levels.last, levels[0].count > 1 else { return [] }
        // Precision (fraction bits) per node, bottom-up: a leaf needs |n| + 8 bits so that
        // n · frac(P/n²) rounds to the right integer; a parent needs enough for each child
        // after multiplying by the sibling's square, which costs 2·|sibling| bits.
        var precision: [[Int]] = [levels[0].map { $0.bitCount + 8 }]
        var bits: [[Int]] = [levels[0].map(\.bitCount)]
        for l in 1..<levels.count {
            let below = precision[l - 1], size = bits[l - 1]
            precision.append((0..<levels[l].count).map { i in
                guard 2 * i + 1 < below.count else { return below[2 * i] }
                return max(below[2 * i] + 2 * size[2 * i + 1], below[2 * i + 1] + 2 * size[2 * i]) + guardBits
            })
            bits.append(levels[l].map(\.bitCount))
        }
        // The root's children L and R (P = L·R): frac(P/L²) = frac(R/L) = (R mod L)/L.
        let top = last.count == 2 ? levels.count - 1 : levels.count - 2
        let pair = levels[top]
        var fractions: [GMPInteger] = parallelMap(Array(0..<pair.count), threads: threads) { i in
            guard pair.count == 2 else { return GMPInteger(0) }
            let (own, sibling) = (pair[i], pair[1 - i])
            return sibling.mod(own).shiftedLeft(precision[top][i]).quotient(own)
        }
        // Down the tree: frac(P/l²) = frac(r² · frac(P/v²)), truncated to the child's precision.
        for l in stride(from: top - 1, through: 0, by: -1) {
            let nodes = levels[l], parents = fractions, parentPrecision = precision[l + 1], own = precision[l]
            fractions = parallelMap(Array(0..<nodes.count), threads: threads) { i in
                let parent = i / 2, siblingIndex = i ^ 1
                guard siblingIndex < nodes.count else { return parents[parent] }  // carried up alone
                let k = parentPrecision[parent]
                return parents[parent].times(nodes[siblingIndex].squared()).bits(below: k, from: k - own[i])
            }
        }
        // Leaves: q = round(n · frac(P/n²)) mod n = (P/n) mod n, then gcd(q, n).
        let leaves = levels[0], leafPrecision = precision[0]
        let gcds: [BigNum?] = parallelMap(Array(0..<leaves.count), threads: threads) { i in
            let k = leafPrecision[i]
            let q = leaves[i].times(fractions[i]).shiftedRightRounded(k).mod(leaves[i])
            let g = q.gcd(leaves[i])
            return g.isOne ? nil : g.bigNum
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

extension GMPInteger: TreeNumber {
    fileprivate func leafGCD(remainder: GMPInteger) -> BigNum? {
        let g = remainder.exactlyDivided(by: self).gcd(self)
        return g.isOne ? nil : g.bigNum
    }
}
