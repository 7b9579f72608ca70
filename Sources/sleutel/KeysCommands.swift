import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import Trust

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the strength of public keys and certificates.",
        subcommands: [Check.self, Corpus.self, BenchGCD.self]
    )
}

extension Keys {
    /// `sleutel keys check FILE... [--json] [--policy NAME]`
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge public keys (SPKI/PKCS#1 PEM or DER, certificates, OpenSSH lines).",
            discussion: "Exit status 0 when every key is acceptable, 1 when any is weak, 2 when any file is unreadable."
        )

        @Argument(help: "Key or certificate files.") var files: [String]
        @Flag(help: "One JSON object per key, one per line.") var json = false
        @Option(help: "Policy profile: nist (default), bsi, anssi.") var policy = "nist"
        @Option(help: "Judge for this year instead of the current one.") var year: Int?
        @Flag(help: "Skip the prime-modulus test (one full modular exponentiation per RSA key).") var fast = false
        @Option(help: "Worker threads.") var threads = 2

        func validate() throws {
            guard KeyStrengthPolicy.named(policy) != nil else {
                throw ValidationError("unknown policy '\(policy)'; choose nist, bsi or anssi")
            }
        }

        func run() throws {
            let checker = KeyStrengthChecker(
                policy: KeyStrengthPolicy.named(policy)!,
                options: .init(primalityTest: !fast)
            )
            let when = year ?? KeyStrengthChecker.currentYear
            let chunks = max(1, min(threads, files.count))
            var outputs = [(lines: [String], weak: Bool, unreadable: Bool)](repeating: ([], false, false), count: files.count)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            outputs.withUnsafeMutableBufferPointer { out in
                let box = UnsafeSendable(out)
                let files = self.files, json = self.json
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    for i in (files.count * c / chunks)..<(files.count * (c + 1) / chunks) {
                        box.value[i] = Self.judge(files[i], checker: checker, year: when, json: json, encoder: encoder)
                    }
                }
            }
            for o in outputs { o.lines.forEach { print($0) } }
            if outputs.contains(where: \.unreadable) { throw ExitCode(2) }
            if outputs.contains(where: \.weak) { throw ExitCode(1) }
        }

        static func judge(_ path: String, checker: KeyStrengthChecker, year: Int, json: Bool,
                          encoder: JSONEncoder) -> (lines: [String], weak: Bool, unreadable: Bool) {
            guard let data = FileManager.default.contents(atPath: path) else {
                return ([json ? #"{"file":\#(jsonString(path)),"error":"cannot read file"}"# : "\(path): UNREADABLE cannot read file"], false, true)
            }
            do {
                let verdicts = try checker.verdicts(forFile: [UInt8](data), year: year)
                let lines = verdicts.map { v -> String in
                    if json {
                        let body = (try? encoder.encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                        return #"{"file":\#(jsonString(path)),"verdict":\#(body)}"#
                    }
                    let status = v.isAcceptable ? "OK  " : "WEAK"
                    let failed = v.failures.map { "\($0.id) (\($0.detail))" }.joined(separator: ", ")
                    return "\(path): \(status) \(v.key) [\(v.profile): \(v.lifetime)]" + (failed.isEmpty ? "" : " \(failed)")
                }
                return (lines, verdicts.contains { !$0.isAcceptable }, false)
            } catch {
                let reason = (error as? TrustError)?.reason ?? "\(error)"
                return ([json ? #"{"file":\#(jsonString(path)),"error":\#(jsonString(reason))}"# : "\(path): UNREADABLE \(reason)"], false, true)
            }
        }
    }

    /// `sleutel keys corpus DIR [--json]`: shared primes across every RSA key in a directory.
    struct Corpus: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find RSA keys in a directory that share prime factors (batch GCD).",
            discussion: "Exit status 0 when no key shares a factor, 1 otherwise. Optionally saves the moduli as a corpus file."
        )

        @Argument(help: "Directory of key and certificate files (searched recursively).") var directory: String
        @Flag(help: "JSON output.") var json = false
        @Option(help: "Also write the moduli to this corpus file (format: see ModulusCorpus).") var save: String?
        @Option(help: "Threads per tree level.") var threads = 2

        func run() throws {
            let root = URL(fileURLWithPath: directory)
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
                throw ValidationError("cannot read directory \(directory)")
            }
            var corpus = ModulusCorpus()
            var unreadable: [String] = []
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                let name = String(url.path.dropFirst(root.path.count).drop { $0 == "/" })
                guard let data = FileManager.default.contents(atPath: url.path),
                      let keys = try? KeyReader.read([UInt8](data)) else { unreadable.append(name); continue }
                for key in keys {
                    if case .rsa(let n, _) = key.components, n.bitCount > 1 { corpus.append(n, label: name) }
                }
            }
            if let save { try corpus.write(to: URL(fileURLWithPath: save)) }
            let hits = BatchGCD(threads: threads).scan(corpus.moduli)
            if json {
                struct Report: Encodable {
                    let rsaKeys: Int
                    let unreadable: [String]
                    let sharing: [Entry]
                    struct Entry: Encodable { let file: String; let factored: Bool; let sharesWith: [String] }
                }
                let report = Report(rsaKeys: corpus.moduli.count, unreadable: unreadable.sorted(), sharing: hits.map {
                    .init(file: corpus.labels[$0.index], factored: $0.factored, sharesWith: $0.sharesWith.map { corpus.labels[$0] })
                })
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("\(corpus.moduli.count) RSA moduli, \(unreadable.count) unreadable file(s)")
                for h in hits {
                    let partners = h.sharesWith.map { corpus.labels[$0] }.joined(separator: ", ")
                    print("\(corpus.labels[h.index]): shares a prime with \(partners)\(h.factored ? " (factored)" : "")")
                }
                if hits.isEmpty { print("no shared primes") }
            }
            if !hits.isEmpty { throw ExitCode(1) }
        }
    }

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

private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

private func jsonString(_ s: String) -> String {
    let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
}
