import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import Trust

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the strength of public keys and certificates.",
        subcommands: [BenchGCD.self]
    )
}

extension Keys {
    /// Hidden: times the batch GCD on synthetic moduli with planted shared primes.
    struct BenchGCD: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-gcd",
            abstract: "Time batch GCD over synthetic RSA-2048-sized moduli with planted shared primes.",
            shouldDisplay: false
        )

        @Option(help: "Number of moduli.") var count = 100_000
        @Option(help: "Number of planted primes (each shared by two moduli).") var planted = 10
        @Option(help: "Threads per tree level.") var threads = 2
        @Flag(help: "Force the OpenSSL backend instead of GNU MP.") var openssl = false
        @Flag(help: "Print one JSON object instead of text.") var json = false

        func run() throws {
            let clock = ContinuousClock()
            let genStart = clock.now
            // Bulk: random odd 2048-bit numbers (batch GCD cost does not depend on primality).
            let bulk: [BigNum] = try (0..<count).map { _ in try BigNum.random(bits: 2048, odd: true) }
            var moduli = bulk
            // Planted: real 1024-bit primes, each times two different random 1024-bit cofactors.
            var plantedPrimes: [BigNum] = []
            var plantedAt: [Int: BigNum] = [:]
            var positions = Array(0..<count).shuffled().prefix(2 * planted).makeIterator()
            for _ in 0..<planted {
                let p = try BigNum.generatePrime(bits: 1024)
                plantedPrimes.append(p)
                for _ in 0..<2 {
                    guard let at = positions.next() else { break }
                    moduli[at] = p.multiplied(by: try BigNum.random(bits: 1024, odd: true))
                    plantedAt[at] = p
                }
            }
            let genTime = clock.now - genStart

            let start = clock.now
            let tree = BigNumProductTree(moduli, threads: threads, preferGMP: !openssl)
            let treeTime = clock.now - start
            let hits = tree.sharedFactors()
            let total = clock.now - start

            let hitMap = Dictionary(uniqueKeysWithValues: hits.map { ($0.index, $0.gcd) })
            let found = plantedAt.filter { at, p in
                guard let g = hitMap[at] else { return false }
                return (try? g.modulo(p))?.isZero == true
            }.count
            let incidental = hits.count - hits.filter { plantedAt[$0.index] != nil }.count
            let secs = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
            if json {
                let fields: [String: Any] = [
                    "count": count, "backend": tree.backend.rawValue, "threads": threads,
                    "generateSeconds": secs(genTime), "productTreeSeconds": secs(treeTime),
                    "totalSeconds": secs(total), "plantedLeaves": plantedAt.count, "plantedFound": found,
                    "incidentalHits": incidental,
                ]
                let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("moduli: \(count) × 2048 bits, backend \(tree.backend.rawValue), \(threads) thread(s)")
                print(String(format: "generate: %.2f s, product tree: %.2f s, batch GCD total: %.2f s",
                             secs(genTime), secs(treeTime), secs(total)))
                print("planted leaves found: \(found)/\(plantedAt.count); incidental hits among random bulk: \(incidental)")
            }
            if found != plantedAt.count { throw ExitCode(1) }
        }
    }
}
