import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import Synchronization
import Trust

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the strength of public keys and certificates.",
        subcommands: [Check.self, Corpus.self]
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

        /// The options above that take a value (kept in step with the declarations; see ``splitOperands(_:)``).
        static let valueOptions: Set<String> = ["--policy", "--year", "--threads"]

        /// For `keys check …` arguments: the arguments with every file operand but the first
        /// removed, and all file operands in order; nil for any other command. An operand is an
        /// argument not starting with `-` that is not the value of a ``valueOptions`` option,
        /// or anything after `--`. The kept first file goes after a `--` of its own.
        static func splitOperands(_ arguments: [String]) -> (arguments: [String], files: [String])? {
            guard arguments.count > 2, arguments[0] == "keys", arguments[1] == "check" else { return nil }
            var options: [String] = [], files: [String] = []
            var i = 2
            while i < arguments.count {
                let a = arguments[i]
                if a == "--" {
                    files += arguments[(i + 1)...]
                    break
                }
                if a.hasPrefix("-"), a.count > 1 {
                    options.append(a)
                    if valueOptions.contains(a), i + 1 < arguments.count {
                        options.append(arguments[i + 1])
                        i += 1
                    }
                } else {
                    files.append(a)
                }
                i += 1
            }
            return (["keys", "check"] + options + (files.isEmpty ? [] : ["--", files[0]]), files)
        }

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
            let files = self.files, json = self.json
            // Work in chunks of files taken in turn by the workers (an atomic counter), so a busy
            // core does not hold back the other; each chunk's keys share one small-factor batch
            // and its output is built in one byte buffer.
            let workers = max(1, min(threads, files.count))
            let chunkSize = max(1, min(2048, (files.count + 4 * workers - 1) / (4 * workers)))
            let chunkCount = (files.count + chunkSize - 1) / chunkSize
            let results = ChunkResults(count: chunkCount)
            let next = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                var reader = FileReader()
                while true {
                    let c = next.add(1, ordering: .relaxed).oldValue
                    guard c < chunkCount else { break }
                    let range = (c * chunkSize)..<min(files.count, (c + 1) * chunkSize)
                    results.store(c, Self.judge(files[range], reader: &reader, checker: checker, year: when, json: json))
                }
            }
            var weak = false, unreadable = false
            for c in 0..<chunkCount {
                let r = results.take(c)
                writeStandardOutput(r.output)
                weak = weak || r.weak
                unreadable = unreadable || r.unreadable
            }
            if unreadable { throw ExitCode(2) }
            if weak { throw ExitCode(1) }
        }

        /// Reads and judges `paths`, returning their output lines as UTF-8 and whether any key was
        /// weak or any file unreadable.
        static func judge(_ paths: ArraySlice<String>, reader: inout FileReader, checker: KeyStrengthChecker,
                          year: Int, json: Bool) -> ChunkResult {
            var keys: [KeyComponents] = []
            var read: [(path: String, keys: Range<Int>?, error: String?)] = []
            read.reserveCapacity(paths.count)
            for path in paths {
                guard let bytes = reader.read(path) else { read.append((path, nil, "cannot read file")); continue }
                do {
                    let found = try KeyReader.read(Array(bytes))
                    read.append((path, keys.count..<(keys.count + found.count), nil))
                    keys += found.map(\.components)
                } catch {
                    read.append((path, nil, "\(error)"))
                }
            }
            let verdicts = checker.verdicts(for: keys, year: year)
            var out = OutputBytes()
            out.bytes.reserveCapacity(paths.count * (json ? 1300 : 150))
            var weak = false, unreadable = false
            for entry in read {
                guard let range = entry.keys else {
                    unreadable = true
                    let reason = entry.error ?? ""
                    if json {
                        out.append(#"{"file":"#); out.appendJSONString(entry.path)
                        out.append(#","error":"#); out.appendJSONString(reason); out.append("}\n")
                    } else {
                        out.append("\(entry.path): UNREADABLE \(reason)\n")
                    }
                    continue
                }
                for v in verdicts[range] {
                    weak = weak || !v.isAcceptable
                    if json {
                        out.append(#"{"file":"#); out.appendJSONString(entry.path)
                        out.append(#","verdict":"#); verdictJSON(v, into: &out); out.append("}\n")
                    } else {
                        let status = v.isAcceptable ? "OK  " : "WEAK"
                        let failed = v.failures.map { "\($0.id) (\($0.detail))" }.joined(separator: ", ")
                        out.append("\(entry.path): \(status) \(v.key) [\(v.profile): \(v.lifetime)]" + (failed.isEmpty ? "" : " \(failed)") + "\n")
                    }
                }
            }
            return ChunkResult(output: out.bytes, weak: weak, unreadable: unreadable)
        }

        /// The verdict as JSON with sorted keys, the shape `JSONEncoder` gives `KeyVerdict`, written
        /// by hand into bytes: the encoder costs more than all checks of a key together.
        static func verdictJSON(_ v: KeyVerdict, into out: inout OutputBytes) {
            out.append(#"{"checks":["#)
            for (i, c) in v.checks.enumerated() {
                out.append(i == 0 ? #"{"detail":"# : #",{"detail":"#); out.appendJSONString(c.detail)
                out.append(#","id":"#); out.appendJSONString(c.id)
                out.append(c.passed ? #","passed":true}"# : #","passed":false}"#)
            }
            out.append(#"],"isAcceptable":"#); out.append(v.isAcceptable ? "true" : "false")
            out.append(#","key":"#); out.appendJSONString(v.key)
            out.append(#","lifetime":"#)
            switch v.lifetime {
            case .never: out.append(#"{"never":{}}"#)
            case .noEndDate: out.append(#"{"noEndDate":{}}"#)
            case .through(let year): out.append(#"{"through":{"year":\#(year)}}"#)
            }
            out.append(#","profile":"#); out.appendJSONString(v.profile)
            out.append(#","profileDocument":"#); out.appendJSONString(v.profileDocument)
            out.append(#","year":\#(v.year)}"#)
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

}


/// One chunk's output and status.
struct ChunkResult: Sendable {
    let output: [UInt8]
    let weak: Bool
    let unreadable: Bool
}

/// Results by chunk index, each written once by one worker and read after all have finished.
final class ChunkResults: @unchecked Sendable {
    private var slots: [ChunkResult?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func store(_ index: Int, _ result: ChunkResult) { lock.withLock { slots[index] = result } }
    func take(_ index: Int) -> ChunkResult {
        lock.withLock {
            defer { slots[index] = nil }
            return slots[index] ?? ChunkResult(output: [], weak: false, unreadable: false)
        }
    }
}

/// UTF-8 output built in one growing byte buffer.
struct OutputBytes {
    var bytes: [UInt8] = []

    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
    mutating func appendJSONString(_ s: String) {
        var s = s
        bytes.append(UInt8(ascii: "\""))
        s.withUTF8 { utf8 in
            // Most strings need no escape: one append.
            guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for b in utf8 {
                switch b {
                case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]]
                default: bytes.append(b)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Reads whole files with POSIX calls into a buffer kept between files (no Foundation `Data`,
/// no allocation per file once the buffer is large enough).
struct FileReader {
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// The bytes of the regular file at `path`, or nil when it cannot be read.
    mutating func read(_ path: String) -> ArraySlice<UInt8>? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)  // a FIFO must not block the open
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }  // no FIFOs or devices
        if buffer.count <= Int(info.st_size) { buffer = [UInt8](repeating: 0, count: Int(info.st_size) + 4096) }
        var count = 0
        while true {
            if count == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }  // grew meanwhile
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil  // e.g. EISDIR for a directory
            }
            if n == 0 { break }
            count += n
            if count == Int(info.st_size) { break }  // the size at open: no second read for the end
        }
        return buffer[0..<count]
    }
}

/// Writes `text` to standard output in one go.
func writeStandardOutput(_ text: String) {
    var text = text
    text.withUTF8 { writeStandardOutput($0) }
}

/// Writes `bytes` to standard output in one go.
func writeStandardOutput(_ bytes: [UInt8]) {
    bytes.withUnsafeBufferPointer { writeStandardOutput($0) }
}

private func writeStandardOutput(_ buffer: UnsafeBufferPointer<UInt8>) {
    var offset = 0
    while offset < buffer.count {
        let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 { if errno == EINTR { continue }; return }
        offset += n
    }
}
