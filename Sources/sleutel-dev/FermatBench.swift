import ArgumentParser
import CryptoCore
import Foundation

/// `sleutel-dev bench-fermat`: CPU time per RSA modulus of the sieved Fermat search.
struct FermatBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-fermat",
        abstract: "Time Fermat's method (the rsa.fermat check) per RSA modulus, for a few step limits.",
        discussion: """
            Moduli are products of two fresh primes, so no search succeeds and each runs to its limit: the \
            cost every ordinary key pays. One modulus with |p − q| near 2^(bits/4 + 8) checks that the \
            sieve still finds what it should.
            """
    )

    @Option(help: "Number of moduli.") var count = 200
    @Option(help: "Modulus size in bits.") var bits = 2048
    @Option(help: "Step limits to time, comma-separated.") var steps = "100,1048576"

    func validate() throws {
        guard count >= 1, bits >= 64, !limits.isEmpty else { throw ValidationError("need count ≥ 1, bits ≥ 64 and step limits") }
    }

    private var limits: [Int] { steps.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let moduli = try (0..<count).map { _ in
            try BigNum.generatePrime(bits: bits / 2).multiplied(by: try BigNum.generatePrime(bits: bits / 2))
        }
        print("moduli: \(count) of \(bits) bits")
        for limit in limits {
            let start = processCPUSeconds()
            let split = moduli.filter { $0.fermatFactor(maxSteps: limit) != nil }.count
            let perKey = (processCPUSeconds() - start) / Double(count) * 1e6
            print("steps \(limit): \(String(format: "%.1f", perKey)) µs CPU per modulus, \(split) split")
        }
        // One planted medium-close pair: q the next prime after p + 2^(bits/4 + 8).
        let p = try BigNum.generatePrime(bits: bits / 2)
        var q = p.adding(BigNum(1).shiftedLeft(by: bits / 4 + 8))  // odd: p odd plus an even gap
        while !q.isProbablePrime { q = q.adding(2) }
        let found = p.multiplied(by: q).fermatFactor(maxSteps: limits.max() ?? 0)
        print("planted |p − q| ≈ 2^\(bits / 4 + 8): " + (found.map { "split after \($0.step) steps" } ?? "not split"))
    }
}
