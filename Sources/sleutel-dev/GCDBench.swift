import ArgumentParser
import CryptoCore
import Foundation
import Trust

/// `sleutel-dev bench-gcd`: times the batch GCD on synthetic RSA-like moduli with planted shared factors.
struct GCDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-gcd",
        abstract: "Time batch GCD over synthetic RSA-like 2048-bit moduli with planted shared factors.",
        discussion: """
            Each modulus is the product of two 1024-bit factors that are pairwise coprime by construction \
            (see BenchModuli), so the only shared factors are the planted ones: the command fails unless \
            exactly the planted moduli are reported, each with its planted factor.
            """
    )

    @Option(help: "Number of moduli.") var count = 100_000
    @Option(help: "Number of planted factors (each shared by two moduli).") var planted = 10
    @Option(help: "Threads per tree level.") var threads = 2
    @Flag(help: "Use the OpenSSL backend instead of GNU MP (slow cross-check).") var openssl = false
    @Flag(name: .customLong("plain-remainder-tree"), help: "Use the plain P mod node² remainder tree instead of the scaled one.")
    var plainRemainderTree = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        guard count >= 2, planted >= 0, 2 * planted <= count else { throw ValidationError("need count ≥ 2 and 2·planted ≤ count") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let genStart = clock.now
        let factors = try BenchModuli.coprimeFactors(count: 2 * count, bits: 1024)
        var moduli: [BigNum] = (0..<count).map { factors[2 * $0].multiplied(by: factors[2 * $0 + 1]) }
        // Planted: modulus b takes modulus a's first factor instead of its own.
        var plantedFactor: [Int: BigNum] = [:]
        var positions = Array(0..<count).shuffled().prefix(2 * planted).makeIterator()
        for _ in 0..<planted {
            guard let a = positions.next(), let b = positions.next() else { break }
            moduli[b] = factors[2 * a].multiplied(by: factors[2 * b + 1])
            plantedFactor[a] = factors[2 * a]
            plantedFactor[b] = factors[2 * a]
        }
        let genTime = clock.now - genStart
        let bitRange = moduli.reduce((Int.max, 0)) { ($0.0 < $1.bitCount ? $0.0 : $1.bitCount, max($0.1, $1.bitCount)) }

        let cpuStart = processCPUSeconds()
        let start = clock.now
        let tree = BigNumProductTree(moduli, threads: threads, preferGMP: !openssl)
        let treeTime = clock.now - start
        let hits = tree.sharedFactors(scaled: !plainRemainderTree)
        let total = clock.now - start
        let cpu = processCPUSeconds() - cpuStart

        let found = hits.filter { plantedFactor[$0.index] == $0.gcd }.count
        let incidental = hits.filter { plantedFactor[$0.index] == nil }.count
        let secs = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        if json {
            let fields: [String: Any] = [
                "count": count, "backend": tree.backend.rawValue, "threads": threads,
                "generateSeconds": secs(genTime), "productTreeSeconds": secs(treeTime),
                "totalSeconds": secs(total), "cpuSeconds": cpu, "plantedLeaves": plantedFactor.count, "plantedFound": found,
                "hits": hits.count, "incidentalHits": incidental, "minBits": bitRange.0, "maxBits": bitRange.1,
            ]
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("moduli: \(count) RSA-like, \(bitRange.0)–\(bitRange.1) bits, backend \(tree.backend.rawValue)"
                + "\(plainRemainderTree ? " (plain remainder tree)" : ""), \(threads) thread(s)")
            print(String(format: "generate: %.2f s, product tree: %.2f s, batch GCD total: %.2f s wall, %.2f s CPU (user+system, all threads)",
                         secs(genTime), secs(treeTime), secs(total), cpu))
            print("hits: \(hits.count); planted moduli found with their factor: \(found)/\(plantedFactor.count); other hits: \(incidental)")
        }
        if found != plantedFactor.count || hits.count != plantedFactor.count { throw ExitCode(1) }
    }
}

/// Synthetic RSA-like factors for the batch-GCD benchmark, fast to make and provably pairwise
/// coprime, so a batch GCD must find nothing but what is planted.
///
/// Random 1024-bit numbers, even with small factors sieved out, share some medium prime
/// (between 2¹⁶ and 2⁴⁰, say) in tens of thousands of pairs among 200 000 of them, and making
/// 200 000 real 1024-bit primes takes minutes. Instead: pick a random odd `x₀` (`bits` bits)
/// and a random odd `M` coprime to it, and keep the `fₖ = x₀ + 2M·k`, `0 ≤ k < K`, that a sieve
/// finds free of every prime below `K`. Any common prime of `fᵢ` and `fⱼ` divides
/// `fⱼ − fᵢ = 2M(j − i)`; it cannot divide `M` (then it would divide `x₀`) nor be 2, so it divides
/// `j − i < K` — and no prime below `K` divides them. The `fₖ` spread over the top bits through `k`.
enum BenchModuli {
    static func coprimeFactors(count: Int, bits: Int) throws -> [BigNum] {
        var span = max(1 << 12, count * 12)
        while true {
            let x0 = try BigNum.random(bits: bits, odd: true)
            var m = try BigNum.random(bits: bits - 34, odd: true)
            while !m.gcd(x0).isOne { m = try BigNum.random(bits: bits - 34, odd: true) }
            let twoM = m.shiftedLeft(by: 1)
            var composite = [Bool](repeating: false, count: span)
            for p in BigNum.smallPrimes(upTo: span - 1).dropFirst() {
                let prime = UInt64(p)
                let step = twoM.remainder(dividingBy: prime)
                guard step != 0 else { continue }  // p | M: fₖ ≡ x₀ ≢ 0 (mod p)
                let a = x0.remainder(dividingBy: prime)
                // fₖ ≡ 0 ⇔ k ≡ −a · step⁻¹ (mod p)
                var k = Int((prime - a) % prime * inverse(step, prime) % prime)
                while k < span { composite[k] = true; k += p }
            }
            let ks = (0..<span).filter { !composite[$0] }
            if ks.count >= count {
                return ks.prefix(count).map { twoM.multiplied(by: UInt64($0)).adding(x0) }
            }
            span *= 2
        }
    }

    /// `a⁻¹ mod p` for a prime `p` not dividing `a` (extended Euclid on machine words).
    static func inverse(_ a: UInt64, _ p: UInt64) -> UInt64 {
        var (r0, r1) = (Int64(p), Int64(a % p))
        var (t0, t1): (Int64, Int64) = (0, 1)
        while r1 != 0 {
            let q = r0 / r1
            (r0, r1) = (r1, r0 - q * r1)
            (t0, t1) = (t1, t0 - q * t1)
        }
        return UInt64((t0 % Int64(p) + Int64(p)) % Int64(p))
    }
}

/// User plus system CPU time of this process so far, all threads, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
