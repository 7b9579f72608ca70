import CryptoCore
import Foundation

/// Finds RSA moduli that share a prime factor, across a whole set at once (Bernstein's batch
/// GCD: product tree, then remainder tree; see ``BigNumProductTree``), and checks a new modulus
/// against a stored ``ModulusCorpus``.
///
/// Two moduli with a common prime are both broken: `gcd(n₁, n₂)` factors them. Pairwise gcds
/// cost n²; the trees cost about n·log²n multiplications of growing size.
public struct BatchGCD: Sendable {
    /// One modulus that shares factors with others.
    public struct Hit: Sendable, Codable, Equatable {
        /// Index of the modulus in the scanned list.
        public let index: Int
        /// `gcd(nᵢ, ∏ other moduli)`, as hex. Equal to the modulus when every prime is shared.
        public let sharedFactorHex: String
        /// True when the shared part is a proper divisor, so the modulus is factored outright.
        public let factored: Bool
        /// Indices of the other scanned moduli it shares a factor with (ascending).
        public let sharesWith: [Int]
    }

    /// How many threads each tree level is split across.
    public let threads: Int

    /// - Parameter threads: threads per tree level; 2 suits this project's machines.
    public init(threads: Int = 2) {
        self.threads = threads
    }

    /// Runs the batch GCD and reports only the moduli that share something.
    /// - Parameters:
    ///   - moduli: RSA moduli (positive).
    ///   - resolvePartners: when true, each hit's partners are found by pairwise gcds among the
    ///     hits only (cheap: the hits are few in real corpora).
    /// - Returns: hits in ascending index order.
    public func scan(_ moduli: [BigNum], resolvePartners: Bool = true) -> [Hit] {
        let raw = BigNumProductTree(moduli, threads: threads).sharedFactors()
        return hits(from: raw, moduli: moduli, resolvePartners: resolvePartners)
    }

    /// The raw remainder-tree output: indices and shared parts, without partner resolution
    /// (what the benchmark times).
    public func sharedFactors(_ moduli: [BigNum]) -> [(index: Int, gcd: BigNum)] {
        BigNumProductTree(moduli, threads: threads).sharedFactors()
    }

    func hits(from raw: [(index: Int, gcd: BigNum)], moduli: [BigNum], resolvePartners: Bool) -> [Hit] {
        let indices = raw.map(\.index)
        return raw.map { index, g in
            var partners: [Int] = []
            if resolvePartners {
                partners = indices.filter { $0 != index && !moduli[$0].gcd(moduli[index]).isOne }
            }
            return Hit(index: index, sharedFactorHex: g.hexString, factored: g != moduli[index], sharesWith: partners)
        }
    }

    /// Checks `modulus` against a stored corpus: returns the indices of the corpus moduli it
    /// shares a factor with (empty when none). An exact duplicate counts as sharing.
    public func check(_ modulus: BigNum, against corpus: ModulusCorpus) -> [Int] {
        guard !corpus.moduli.isEmpty else { return [] }
        let tree = corpus.productTree(threads: threads)
        if tree.gcdWithProduct(modulus).isOne { return [] }
        return corpus.moduli.indices.filter { !corpus.moduli[$0].gcd(modulus).isOne }
    }
}

/// A stored list of RSA moduli with labels, for checking new keys against keys seen before.
///
/// File format (UTF-8 text, one record per line):
/// ```
/// # sleutel modulus corpus v1
/// <modulus as upper-case hex> <label, rest of the line>
/// ```
/// Lines starting with `#` and blank lines are ignored. The product tree is rebuilt on load
/// (about a second for 10⁵ RSA-2048 moduli with GNU MP) rather than stored, so the file stays
/// small, diffable and append-only.
public struct ModulusCorpus: Sendable {
    /// The moduli, in file order.
    public private(set) var moduli: [BigNum]
    /// One label per modulus (e.g. the file it came from).
    public private(set) var labels: [String]

    /// The first line of every corpus file.
    public static let header = "# sleutel modulus corpus v1"

    /// An empty corpus.
    public init() {
        moduli = []
        labels = []
    }

    /// Appends a modulus.
    public mutating func append(_ modulus: BigNum, label: String) {
        moduli.append(modulus)
        labels.append(label.replacingOccurrences(of: "\n", with: " "))
    }

    /// Serialises to the text format above.
    public func serialized() -> String {
        var out = Self.header + "\n"
        for (n, label) in zip(moduli, labels) { out += "\(n.hexString) \(label)\n" }
        return out
    }

    /// Parses the text format.
    /// - Throws: `TrustError.configuration` naming the first bad line.
    public init(serialized text: String) throws {
        self.init()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            guard let n = BigNum(hex: String(parts[0])), !n.isZero, !n.isNegative else {
                throw TrustError(.configuration, "modulus corpus line \(number + 1): not a hex modulus")
            }
            append(n, label: parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// Writes the corpus to `url` atomically.
    public func write(to url: URL) throws {
        try serialized().write(to: url, atomically: true, encoding: .utf8)
    }

    /// Reads a corpus file.
    public init(contentsOf url: URL) throws {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw TrustError(.configuration, "cannot read modulus corpus \(url.lastPathComponent)")
        }
        try self.init(serialized: text)
    }

    func productTree(threads: Int) -> BigNumProductTree { BigNumProductTree(moduli, threads: threads) }
}
