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
            var text = ""
            text.reserveCapacity(outputs.count * (json ? 1500 : 120))
            for o in outputs { for line in o.lines { text += line; text += "\n" } }
            writeStandardOutput(text)
            if outputs.contains(where: \.unreadable) { throw ExitCode(2) }
            if outputs.contains(where: \.weak) { throw ExitCode(1) }
        }

        static func judge(_ path: String, checker: KeyStrengthChecker, year: Int, json: Bool,
                          encoder: JSONEncoder) -> (lines: [String], weak: Bool, unreadable: Bool) {
            guard let data = readFileBytes(path) else {
                return ([json ? #"{"file":\#(jsonString(path)),"error":"cannot read file"}"# : "\(path): UNREADABLE cannot read file"], false, true)
            }
            do {
                let verdicts = try checker.verdicts(forFile: data, year: year)
                let lines = verdicts.map { v -> String in
                    if json { return #"{"file":\#(jsonString(path)),"verdict":\#(verdictJSON(v))}"# }
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

        /// The verdict as JSON with sorted keys, the shape `JSONEncoder` gives `KeyVerdict`, written
        /// by hand: the encoder costs more than all checks of a key together.
        static func verdictJSON(_ v: KeyVerdict) -> String {
            let lifetime = switch v.lifetime {
            case .never: #"{"never":{}}"#
            case .noEndDate: #"{"noEndDate":{}}"#
            case .through(let year): #"{"through":{"year":\#(year)}}"#
            }
            let checks = v.checks.map { #"{"detail":\#(jsonString($0.detail)),"id":\#(jsonString($0.id)),"passed":\#($0.passed)}"# }
            return #"{"checks":[\#(checks.joined(separator: ","))],"isAcceptable":\#(v.isAcceptable),"key":\#(jsonString(v.key)),"#
                + #""lifetime":\#(lifetime),"profile":\#(jsonString(v.profile)),"profileDocument":\#(jsonString(v.profileDocument)),"#
                + #""year":\#(v.year)}"#
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

    /// Hidden: times the batch GCD on synthetic RSA-like moduli with planted shared factors.
    struct BenchGCD: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-gcd",
            abstract: "Time batch GCD over synthetic RSA-like 2048-bit moduli with planted shared factors.",
            discussion: """
                Each modulus is the product of two 1024-bit factors that are pairwise coprime by construction \
                (see BenchModuli), so the only shared factors are the planted ones: the command fails unless \
                exactly the planted moduli are reported, each with its planted factor.
                """,
            shouldDisplay: false
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
                print("moduli: \(count) RSA-like, \(bitRange.0)–\(bitRange.1) bits, backend \(tree.backend.rawValue)\(plainRemainderTree ? " (plain remainder tree)" : ""), \(threads) thread(s)")
                print(String(format: "generate: %.2f s, product tree: %.2f s, batch GCD total: %.2f s wall, %.2f s CPU (user+system, all threads)",
                             secs(genTime), secs(treeTime), secs(total), cpu))
                print("hits: \(hits.count); planted moduli found with their factor: \(found)/\(plantedFactor.count); other hits: \(incidental)")
            }
            if found != plantedFactor.count || hits.count != plantedFactor.count { throw ExitCode(1) }
        }
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

private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
func jsonString(_ s: String) -> String {
    var out = "\""
    out.reserveCapacity(s.utf8.count + 2)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// The whole file, read with POSIX calls (no Foundation `Data` on the hot path); nil when unreadable.
func readFileBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: max(4096, Int(info.st_size) + 1))
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue }; return nil }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return bytes
}

/// User plus system CPU time of this process so far, all threads, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Writes `text` to standard output in one go.
func writeStandardOutput(_ text: String) {
    var text = text
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}
