// Rights benchmark driver (run by Tools/bench-rights.sh; figures in Benchmarks/rights.md).
//
//   RightsBench generate    --db FILE [--persons N] [--organisations N] [--grants N]
//   RightsBench resolve     --db FILE [--samples N] [--warmup N] [--seed N]
//   RightsBench kbo-extract --dir DIR [--enterprises N] [--activities N] [--extract N]
//   RightsBench import-kbo  --db FILE --dir DIR
//
// The dataset and the import go through the Rights module and its schema; nothing here talks SQL.
import Foundation
import Rights
import Storage
#if canImport(Glibc)
import Glibc
#endif

struct BenchError: Error, CustomStringConvertible {
    let description: String
}

func options(_ arguments: ArraySlice<String>) throws -> [String: String] {
    var result: [String: String] = [:]
    var iterator = arguments.makeIterator()
    while let key = iterator.next() {
        guard key.hasPrefix("--"), let value = iterator.next() else { throw BenchError(description: "expected --option value, got \(key)") }
        result[String(key.dropFirst(2))] = value
    }
    return result
}

func integer(_ options: [String: String], _ key: String, _ fallback: Int) throws -> Int {
    guard let text = options[key] else { return fallback }
    guard let value = Int(text.replacingOccurrences(of: "_", with: "")), value >= 0 else {
        throw BenchError(description: "--\(key) needs a whole number")
    }
    return value
}

func required(_ options: [String: String], _ key: String) throws -> String {
    guard let value = options[key] else { throw BenchError(description: "--\(key) is required") }
    return value
}

func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// CPU time of the calling thread: what one resolution costs, without the time the scheduler
/// gives to other processes (the 2-core machine is shared with other builds).
func threadCPUNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Peak resident set size of this process in MiB (getrusage: KiB on Linux).
func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func status(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

func openDatabase(_ path: String) throws -> Storage.Database {
    try Storage.Database.open(path: path, migrations: MigrationRegistry(RightsSchema.migrations))
}

/// SplitMix64: a small seeded generator, so samples are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return Double(sorted[max(0, index)]) / 1000
}

func summary(_ label: String, _ samples: [UInt64]) -> String {
    let sorted = samples.sorted()
    let mean = Double(sorted.reduce(0, +)) / Double(sorted.count) / 1000
    return String(format: "%@: n=%d  p50=%.1f µs  p90=%.1f µs  p99=%.1f µs  p99.9=%.1f µs  max=%.1f µs  mean=%.1f µs", label, sorted.count,
                  percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99), percentile(sorted, 0.999),
                  Double(sorted.last!) / 1000, mean)
}

// MARK: - generate

func generate(_ options: [String: String]) throws {
    let path = try required(options, "db")
    if FileManager.default.fileExists(atPath: path) { throw BenchError(description: "\(path) exists; remove it first") }
    let data = SyntheticRightsData(persons: try integer(options, "persons", 1_000_000),
                                   organisations: try integer(options, "organisations", 300_000),
                                   grants: try integer(options, "grants", 5_000_000))
    let database = try openDatabase(path)
    let start = monotonicNanoseconds()
    try data.populate(database) { table, done, total in
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        status("\r\(table): \(done)/\(total)  (\(String(format: "%.0f", seconds)) s)          ")
        if done >= total { status("\n") }
    }
    try database.checkpoint()
    let seconds = Double(monotonicNanoseconds() - start) / 1e9
    print(String(format: "generated %d persons, %d organisations, %d grants in %.1f s", data.persons, data.organisations, data.grants, seconds))
}

// MARK: - resolve

func resolve(_ options: [String: String]) throws {
    let database = try openDatabase(try required(options, "db"))
    let persons = try SyntheticRightsData.personCount(database)
    guard persons > 0 else { throw BenchError(description: "no persons in the database; run generate first") }
    let at = LocalDate(year: 2026, month: 11, day: 22)!.startInstant.addingTimeInterval(12 * 3600)
    let service = RightsService(database: database, clock: .fixed(at))
    let samples = try integer(options, "samples", 100_000)
    let warmup = try integer(options, "warmup", 20_000)
    var generator = SplitMix(state: UInt64(try integer(options, "seed", 42)))
    func draw(_ count: Int) throws -> [INSZ] {
        try (0..<count).map { _ in try SyntheticRightsData.person(Int.random(in: 0..<persons, using: &generator)) }
    }
    // Warm the page cache and the statement cache.
    for person in try draw(warmup) { _ = try service.resolve(person: person, at: at) }

    var resolveTimes: [UInt64] = [], resolveCPU: [UInt64] = []
    resolveTimes.reserveCapacity(samples)
    resolveCPU.reserveCapacity(samples)
    var organisations = 0, rights = 0
    for person in try draw(samples) {
        let cpu = threadCPUNanoseconds()
        let start = monotonicNanoseconds()
        let resolution = try service.resolve(person: person, at: at)
        let end = monotonicNanoseconds()
        resolveCPU.append(threadCPUNanoseconds() - cpu)
        resolveTimes.append(end - start)
        organisations += resolution.organisations.count
        rights += resolution.organisations.reduce(0) { $0 + $1.rights.count }
    }
    var loginTimes: [UInt64] = []
    var allowed = 0
    for person in try draw(samples / 2) {
        let start = monotonicNanoseconds()
        let decision = try service.loginDecision(person: person, application: SyntheticRightsData.application(0), organisation: nil,
                                                 sessionLevel: 500, at: at)
        loginTimes.append(monotonicNanoseconds() - start)
        if case .allowed = decision { allowed += 1 }
    }
    // Baseline: an empty read transaction on the same pool (the floor under every resolution).
    var emptyTimes: [UInt64] = []
    for _ in 0..<min(samples, 20_000) {
        let start = monotonicNanoseconds()
        try database.read { _ in }
        emptyTimes.append(monotonicNanoseconds() - start)
    }
    print("persons in database: \(persons)")
    print("reader mmap_size: \(try SyntheticRightsData.readerMemoryMap(database))")
    print(summary("empty read transaction", emptyTimes))
    print(String(format: "per resolution: %.2f organisations, %.2f effective rights (mean)", Double(organisations) / Double(samples),
                 Double(rights) / Double(samples)))
    print(summary("resolve(person), wall clock", resolveTimes))
    print(summary("resolve(person), thread CPU time", resolveCPU))
    print(summary("loginDecision(person, app01)", loginTimes) + "  allowed=\(allowed)")
    print(String(format: "peak RSS: %.1f MiB", peakRSSMiB()))
}

// MARK: - kbo-extract

/// Buffered CSV writer (KBO Open Data style: every value quoted, empty values bare).
final class CSVWriter {
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    private(set) var rows = 0

    init(_ directory: String, _ name: String, header: [String]) throws {
        let path = (directory as NSString).appendingPathComponent(name)
        guard let file = fopen(path, "w") else { throw BenchError(description: "cannot write \(path)") }
        self.file = file
        buffer.reserveCapacity(1 << 20)
        row(header)
        rows = 0
    }

    func row(_ values: [String?]) {
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.append(0x2C) }
            if let value {
                buffer.append(0x22)
                for byte in value.utf8 {
                    if byte == 0x22 { buffer.append(0x22) }
                    buffer.append(byte)
                }
                buffer.append(0x22)
            }
        }
        buffer.append(0x0D)
        buffer.append(0x0A)
        rows += 1
        if buffer.count >= 1 << 20 { flush() }
    }

    func flush() {
        buffer.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, file) }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        flush()
        fclose(file)
    }
}

func dotted(_ digits: String) -> String {
    let c = Array(digits)
    if c[0] == "0" || c[0] == "1" { return "\(String(c[0..<4])).\(String(c[4..<7])).\(String(c[7..<10]))" }
    return "\(c[0]).\(String(c[1..<4])).\(String(c[4..<7])).\(String(c[7..<10]))"
}

func checked(_ first8: Int) -> String { String(format: "%08d%02d", first8, 97 - first8 % 97) }

func mix(_ value: Int) -> Int {
    var generator = SplitMix(state: UInt64(truncatingIfNeeded: value))
    return Int(truncatingIfNeeded: generator.next() >> 1)
}

func kboExtract(_ options: [String: String]) throws {
    let directory = try required(options, "dir")
    let enterprises = try integer(options, "enterprises", 2_000_000)
    let activitiesPerEntity = try integer(options, "activities", 0)
    let extract = try integer(options, "extract", 200)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let start = monotonicNanoseconds()

    let meta = try CSVWriter(directory, "meta.csv", header: ["Variable", "Value"])
    meta.row(["SnapshotDate", "31-10-2026"])
    meta.row(["ExtractTimestamp", "02-11-2026 05:12:31"])
    meta.row(["ExtractType", "full"])
    meta.row(["ExtractNumber", "\(extract)"])
    meta.row(["Version", "1.0.0"])
    meta.close()
    let code = try CSVWriter(directory, "code.csv", header: ["Category", "Code", "Language", "Description"])
    for (category, values) in [("Status", [("AC", "Actief", "Actif")]),
                               ("TypeOfEnterprise", [("1", "Natuurlijk persoon", "Personne physique"), ("2", "Rechtspersoon", "Personne morale")]),
                               ("JuridicalSituation", [("000", "Normale toestand", "Situation normale")]),
                               ("JuridicalForm", [("014", "Naamloze vennootschap", "Société anonyme"),
                                                  ("610", "Besloten vennootschap", "Société à responsabilité limitée"),
                                                  ("017", "Vereniging zonder winstoogmerk", "Association sans but lucratif")]),
                               ("TypeOfDenomination", [("001", "Naam", "Dénomination"), ("002", "Afkorting", "Abréviation"),
                                                       ("003", "Commerciële naam", "Dénomination commerciale")]),
                               ("TypeOfAddress", [("REGO", "Zetel", "Siège"), ("BAET", "Vestigingseenheid", "Unité d'établissement")]),
                               ("ContactType", [("TEL", "Telefoonnummer", "Numéro de téléphone"), ("EMAIL", "E-mail", "E-mail"),
                                                ("WEB", "Webadres", "Adresse web")])] {
        for (value, nl, fr) in values {
            code.row([category, value, "NL", nl])
            code.row([category, value, "FR", fr])
        }
    }
    code.close()

    let municipalities = [("1000", "Brussel", "Bruxelles"), ("2000", "Antwerpen", "Anvers"), ("9000", "Gent", "Gand"), ("4000", "Luik", "Liège"),
                          ("3000", "Leuven", "Louvain"), ("8000", "Brugge", "Bruges"), ("5000", "Namen", "Namur"), ("4040", "Herstal", "Herstal")]
    let streets = [("Kerkstraat", "Rue de l'Église"), ("Stationsstraat", "Rue de la Gare"), ("Dorpsstraat", "Rue du Village"),
                   ("Molenstraat", "Rue du Moulin"), ("Nieuwstraat", "Rue Neuve")]
    let enterprise = try CSVWriter(directory, "enterprise.csv", header: ["EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise",
                                                                         "JuridicalForm", "JuridicalFormCAC", "StartDate"])
    let establishment = try CSVWriter(directory, "establishment.csv", header: ["EstablishmentNumber", "StartDate", "EnterpriseNumber"])
    let denomination = try CSVWriter(directory, "denomination.csv", header: ["EntityNumber", "Language", "TypeOfDenomination", "Denomination"])
    let address = try CSVWriter(directory, "address.csv", header: ["EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode",
                                                                   "MunicipalityNL", "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber",
                                                                   "Box", "ExtraAddressInfo", "DateStrikingOff"])
    let contact = try CSVWriter(directory, "contact.csv", header: ["EntityNumber", "EntityContact", "ContactType", "Value"])
    let activity = activitiesPerEntity > 0
        ? try CSVWriter(directory, "activity.csv", header: ["EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"]) : nil

    func addressRow(_ entity: String, _ type: String, _ h: Int) {
        let place = municipalities[h % municipalities.count], street = streets[(h / 7) % streets.count]
        address.row([entity, type, nil, nil, place.0, place.1, place.2, street.0, street.1, "\(h % 250 + 1)", h % 9 == 0 ? "b\(h % 5 + 1)" : nil,
                     nil, nil])
    }
    func activities(_ entity: String, _ h: Int) {
        guard let activity else { return }
        for index in 0..<activitiesPerEntity {
            activity.row([entity, "003", index % 2 == 0 ? "2008" : "2025", String(format: "%05d", (h + index * 977) % 99_999),
                          index == 0 ? "MAIN" : "SECO"])
        }
    }
    var establishmentIndex = 0
    for index in 0..<enterprises {
        let h = mix(index)
        let number = dotted(checked(2_000_000 + index * 4))
        let legalPerson = h % 10 < 7
        let start = String(format: "%02d-%02d-%04d", h % 28 + 1, (h / 28) % 12 + 1, 1950 + (h / 336) % 76)
        enterprise.row([number, "AC", "000", legalPerson ? "2" : "1", legalPerson ? (h % 3 == 0 ? "014" : "610") : nil,
                        legalPerson && h % 5 == 0 ? "610" : nil, start])
        denomination.row([number, h % 2 == 0 ? "2" : "1", "001", legalPerson ? "ONDERNEMING \(index) \(h % 3 == 0 ? "NV" : "BV")" : "Zaak \(index)"])
        if h % 10 < 3 { denomination.row([number, "2", "003", "HANDELSNAAM \(index)"]) }
        if h % 10 == 9 { denomination.row([number, "2", "002", "OND\(index)"]) }
        if legalPerson { addressRow(number, "REGO", h) }
        if h % 5 == 0 { contact.row([number, "ENT", h % 2 == 0 ? "TEL" : "EMAIL", h % 2 == 0 ? "+32 2 \(h % 1_000_000)" : "info\(index)@example.be"]) }
        activities(number, h)
        // 0.85 establishment units per enterprise on average; natural persons always have one.
        let units = legalPerson ? (h % 20 < 11 ? 1 : (h % 20 < 13 ? 2 : 0)) : 1
        for _ in 0..<units {
            let unit = dotted(checked(20_000_000 + establishmentIndex * 3))
            let e = mix(establishmentIndex &+ 1_000_003)
            establishment.row([unit, start, number])
            addressRow(unit, "BAET", e)
            if e % 10 < 4 { denomination.row([unit, "2", "003", "VESTIGING \(establishmentIndex)"]) }
            activities(unit, e)
            establishmentIndex += 1
        }
        if index % 100_000 == 0 {
            status("\rkbo-extract: \(index)/\(enterprises) enterprises          ")
        }
    }
    var counts: [(String, Int)] = []
    for (name, writer) in [("enterprise", enterprise), ("establishment", establishment), ("denomination", denomination),
                           ("address", address), ("contact", contact)] + (activity.map { [("activity", $0)] } ?? []) {
        writer.close()
        counts.append((name, writer.rows))
    }
    let seconds = Double(monotonicNanoseconds() - start) / 1e9
    status("\n")
    print("kbo-extract \(extract) in \(directory): " + counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
          + " rows; total \(counts.reduce(0) { $0 + $1.1 }) rows in " + String(format: "%.1f s", seconds))
}

// MARK: - import-kbo

func importKBO(_ options: [String: String]) throws {
    let database = try openDatabase(try required(options, "db"))
    let service = RightsService(database: database)
    let directory = try required(options, "dir")
    let start = monotonicNanoseconds()
    let report = try service.importKBO(directory: directory) { file, rows, bytes, size in
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let percent = size > 0 ? Int(Double(bytes) / Double(size) * 100) : 100
        status("\r\(file): \(rows) rows (\(percent)%)  \(String(format: "%.0f", seconds)) s          ")
        if bytes >= size { status("\n") }
    }
    let seconds = Double(monotonicNanoseconds() - start) / 1e9
    try database.checkpoint()
    for (file, rows) in report.rows.sorted(by: { $0.key < $1.key }) { print("  \(file): \(rows) rows") }
    print(String(format: "import-kbo %@ extract %d: %d rows in %.1f s = %.0f rows/s; peak RSS %.1f MiB",
                 report.extractType.rawValue, report.extractNumber ?? 0, report.totalRows, seconds, Double(report.totalRows) / seconds,
                 peakRSSMiB()))
}

let arguments = CommandLine.arguments
do {
    guard arguments.count >= 2 else { throw BenchError(description: "usage: RightsBench generate|resolve|kbo-extract|import-kbo --option value …") }
    let parsed = try options(arguments.dropFirst(2))
    switch arguments[1] {
    case "generate": try generate(parsed)
    case "resolve": try resolve(parsed)
    case "kbo-extract": try kboExtract(parsed)
    case "import-kbo": try importKBO(parsed)
    default: throw BenchError(description: "unknown command \(arguments[1])")
    }
} catch {
    status("RightsBench: \(error)\n")
    exit(1)
}
