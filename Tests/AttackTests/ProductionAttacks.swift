import CryptoCore
import Foundation
import SleutelTestSupport
import Testing
import Trust

/// The package root and the built `sleutel` binary (as the integration tests find them).
enum SleutelPackage {
    static var root: URL {
        if let root = ProcessInfo.processInfo.environment["SLEUTEL_ROOT"] { return URL(fileURLWithPath: root) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var binary: URL {
        if let binary = ProcessInfo.processInfo.environment["SLEUTEL_BIN"] { return URL(fileURLWithPath: binary) }
        return root.appendingPathComponent(".build/debug/sleutel")
    }

    static var binaryBuilt: Bool { FileManager.default.isExecutableFile(atPath: binary.path) }
}

/// Runs `sleutel` with `arguments` until it exits or `timeout` passes (then it is terminated).
/// Returns the exit status (nil when it had to be stopped: the command kept running) and its output.
func runSleutel(_ arguments: [String], timeout: TimeInterval = 30) throws -> (status: Int32?, output: String) {
    let process = Process()
    process.executableURL = SleutelPackage.binary
    process.arguments = arguments
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-attack-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    var status: Int32?
    if process.isRunning {
        process.terminate()
        process.waitUntilExit()
    } else {
        status = process.terminationStatus
    }
    try handle.close()
    // Kept with the suite's logs for the privacy check (Tools/privacy-check.sh) when Tools/test.sh runs us.
    if let directory = ProcessInfo.processInfo.environment["SLEUTEL_LOG_DIR"], !directory.isEmpty {
        try? FileManager.default.copyItem(at: output, to: URL(fileURLWithPath: directory).appendingPathComponent("attack-\(output.lastPathComponent)"))
    }
    return (status, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
}

extension AttackSuite {
    /// A production configuration given test roots, or roots that only look like the Belgium roots.
    @Suite("Configuration: test roots in production, in TrustConfiguration and in `sleutel serve`")
    struct ProductionAttacks {
        static let pki = TestCard.directory

        @Test("test roots in a production configuration: as extra roots, as root files, as anchors marked official, look-alike names")
        func testRootsInProduction() throws {
            let attempts = Attempts(.testRootsInProduction)
            let testRoots = try TestCard.roots()
            for root in testRoots {
                attempts.refused(.testRootInProduction, "extra root \(root.subject)") { try TrustConfiguration.production(extraRoots: [root]) }
                let anchors = try TrustAnchor.group([root], isTest: false)
                attempts.refused(.testRootInProduction, "anchor marked official") { try TrustConfiguration(mode: .production, anchors: anchors) }
            }
            let files = ["rsa/root.crt", "ec/root.crt", "rsa/root.der", "ec/root.der"].map { Self.pki.appendingPathComponent($0) }
            for file in files {
                attempts.refused(.testRootInProduction, "root file \(file.lastPathComponent)") {
                    try TrustConfiguration.load(mode: .production, rootFiles: [file])
                }
            }
            // A bundle of a genuine Belgium root followed by a test root.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-attack-roots-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let genuine = try String(contentsOf: SleutelPackage.root.appendingPathComponent("Sources/Trust/Roots/belgiumrca4.pem"), encoding: .utf8)
            let bundle = directory.appendingPathComponent("bundle.pem")
            try (genuine + "\n" + testRoots[1].pem()).write(to: bundle, atomically: true, encoding: .utf8)
            attempts.refused(.testRootInProduction, "genuine root + test root bundle") { try TrustConfiguration.load(mode: .production, rootFiles: [bundle]) }
            // Self-made roots carrying the exact names of the Belgium roots.
            let pki = try AttackPKI()
            for subject in ["/C=BE/CN=Belgium Root CA4", "/C=BE/CN=Belgium Root CA2",
                            "/C=BE/L=Brussels/O=Kingdom of Belgium - Federal Government/OU=FPS Home Affairs - BIK-GCI (NTRBE-0362475538)"
                                + "/OU=FPS Policy and Support - BOSA (NTRBE-0671516647)/CN=Belgium Root CA6"] {
                let fake = try pki.selfSignedRoot(subject: subject)
                attempts.refused(.testRootInProduction, "look-alike \(subject.suffix(16))") {
                    try TrustConfiguration.production(extraRoots: [fake.certificate])
                }
                attempts.refused(.testRootInProduction, "look-alike file") {
                    try TrustConfiguration.load(mode: .production, rootFiles: [URL(fileURLWithPath: fake.path)])
                }
            }
            // Control: the genuine roots alone are a valid production configuration.
            #expect(try TrustConfiguration.production().mode == .production)
        }

        @Test("`sleutel serve` refuses to start with test roots unless --test, and refuses test-only switches in production",
              .enabled(if: SleutelPackage.binaryBuilt, "needs the built sleutel binary (swift build)"))
        func serveRefuses() throws {
            let attempts = Attempts(.testRootsInProduction)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-attack-serve-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = directory.appendingPathComponent("s.sqlite").path
            let pki = try AttackPKI()
            let lookAlike = try pki.selfSignedRoot(subject: "/C=BE/CN=Belgium Root CA4")
            let base = ["serve", "--port", "0", "--database", database, "--no-codes"]
            let cases: [(String, [String], String)] = [
                ("RSA test root", ["--roots", Self.pki.appendingPathComponent("rsa/root.crt").path], "testRootInProduction"),
                ("both test roots", ["--roots", Self.pki.appendingPathComponent("rsa/root.crt").path,
                                     "--roots", Self.pki.appendingPathComponent("ec/root.crt").path], "testRootInProduction"),
                ("look-alike Belgium Root CA4", ["--roots", lookAlike.path], "testRootInProduction"),
                ("demo data without --test", ["--demo"], "--demo needs --test"),
                ("revocation off without --test", ["--revocation", "off"], "--revocation off is only allowed with --test"),
            ]
            for (what, arguments, message) in cases {
                let run = try runSleutel(base + arguments)
                attempts.record(accepted: run.status == nil || run.status == 0 || run.output.contains("listening"), "serve with \(what)")
                #expect(run.status != nil && run.status != 0, "\(what): \(run.output)")
                #expect(run.output.contains(message), "\(what): \(run.output)")
                #expect(!run.output.contains("listening"), "\(what)")
            }
            #expect(!FileManager.default.fileExists(atPath: database), "a refused server must not have created its database")
        }
    }
}
