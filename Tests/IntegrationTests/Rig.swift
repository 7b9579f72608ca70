import Foundation
import PCSC
import Testing

/// The virtual-card rig the integration tests run on: the real pcscd with the vpcd driver,
/// started by `Tools/test.sh` (which sets `SLEUTEL_RIG=1`). Without the rig these tests are
/// skipped; with `SLEUTEL_RIG=1` and no pcscd they fail instead of passing silently.
enum Rig {
    static let socket = "/run/pcscd/pcscd.comm"
    static let readers = ["Virtual PCD 00 00", "Virtual PCD 00 01"]
    static let ports = [35963, 35964]

    static var required: Bool { ProcessInfo.processInfo.environment["SLEUTEL_RIG"] == "1" }
    static var running: Bool { FileManager.default.fileExists(atPath: socket) }
    static var enabled: Bool { required || running }

    /// The package root (where Package.swift is).
    static var root: URL {
        if let r = ProcessInfo.processInfo.environment["SLEUTEL_ROOT"] { return URL(fileURLWithPath: r) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func profile(_ name: String) -> URL { root.appendingPathComponent("Hardware/cards/\(name).json") }

    /// The TEST roots' folder, for `--test-roots`.
    static var testPKI: String { root.appendingPathComponent("Hardware/test-pki").path }

    /// The built CLI.
    static var binary: URL {
        if let b = ProcessInfo.processInfo.environment["SLEUTEL_BIN"] { return URL(fileURLWithPath: b) }
        return root.appendingPathComponent(".build/debug/sleutel")
    }

    /// The developer tools (`sleutel-dev`: crash test, benchmarks), next to ``binary``.
    static var devBinary: URL { binary.deletingLastPathComponent().appendingPathComponent("sleutel-dev") }

    /// Waits until `reader` holds a card (or is empty).
    static func waitFor(_ reader: String, present: Bool, timeoutMilliseconds: Int = 5000) throws {
        let context = try PCSCContext()
        try context.waitForCard(in: reader, present: present, timeoutMilliseconds: timeoutMilliseconds)
    }
}

/// Where the tests keep the logs of the processes they start: `$SLEUTEL_LOG_DIR` (Tools/test.sh
/// sets it), read afterwards by Tools/privacy-check.sh. Without it, logs are discarded.
enum TestLogs {
    static var directory: URL? {
        guard let path = ProcessInfo.processInfo.environment["SLEUTEL_LOG_DIR"], !path.isEmpty else { return nil }
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A new file `NAME-UUID.log` open for writing, or the null device.
    static func file(_ name: String) -> FileHandle {
        guard let directory else { return FileHandle.nullDevice }
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
        let url = directory.appendingPathComponent("\(safe)-\(UUID().uuidString.prefix(8)).log")
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = try? FileHandle(forWritingTo: url) else {
            return FileHandle.nullDevice
        }
        return handle
    }

    /// Keeps text a test captured from a process's standard error.
    static func keep(_ name: String, _ text: String) {
        guard !text.isEmpty, directory != nil else { return }
        let handle = file(name)
        handle.write(Data(text.utf8))
        try? handle.close()
    }
}

/// The result of a finished process.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Bytes written by one reader thread and read after it finished (DispatchGroup orders them).
final class DataBox: @unchecked Sendable { var data = Data() }

/// Runs a program with optional standard input and a hard timeout (then it is killed); its
/// output is awaited at most 10 s after it exits.
func runProcess(_ executable: URL, _ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 60) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let group = DispatchGroup()
    let outData = DataBox(), errData = DataBox()
    group.enter()
    DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        process.terminate()
        usleep(200_000)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
    // A grandchild that outlives the program can hold the pipes open: wait for their end a
    // bounded time, then report that instead of hanging the suite.
    guard group.wait(timeout: .now() + 10) == .success else {
        let note = "\(executable.lastPathComponent) exited (status \(process.terminationStatus)) but its output pipes stayed open for 10 s"
        TestLogs.keep("\(executable.lastPathComponent)-\(arguments.prefix(2).joined(separator: "-"))", note)
        return ProcessResult(status: process.terminationStatus, stdout: "", stderr: note)
    }
    let stderr = String(decoding: errData.data, as: UTF8.self)
    TestLogs.keep("\(executable.lastPathComponent)-\(arguments.prefix(2).joined(separator: "-"))", stderr)
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self), stderr: stderr)
}

/// A card process (`sleutel virtual-card run`) in one vpcd slot; `remove()` pulls it (or, when a
/// `pull` fault already took the card out, waits for the reader to be empty).
final class CardProcess {
    let process = Process()
    let slot: Int

    /// - Parameters:
    ///   - fault: a `--fault` for the card (fault injection), e.g. `pull-during-read`.
    ///   - tamper: a `--tamper` for the card (forged data), e.g. `identity`.
    init(profile: String, slot: Int, fault: String? = nil, tamper: String? = nil) throws {
        self.slot = slot
        process.executableURL = Rig.binary
        process.arguments = ["virtual-card", "run", "--profile", Rig.profile(profile).path, "--port", String(Rig.ports[slot])]
            + (fault.map { ["--fault", $0] } ?? []) + (tamper.map { ["--tamper", $0] } ?? [])
        let log = TestLogs.file("virtual-card-\(profile)")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try Rig.waitFor(Rig.readers[slot], present: true)
    }

    func remove() throws {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try Rig.waitFor(Rig.readers[slot], present: false)
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}
