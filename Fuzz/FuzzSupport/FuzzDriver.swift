import CLibFuzzer
import Foundation

/// Runs libFuzzer from a SwiftPM executable's `main`.
///
/// SwiftPM renames an executable's entry point (`<Module>_main`) and points the linker's `main`
/// at it (`--defsym`), so each target has a `@main` that hands its one-input function to
/// `LLVMFuzzerRunDriver`, which reads the usual libFuzzer flags (`-runs=`, `-max_total_time=`,
/// corpus directories) from the command line. The linker still pulls libFuzzer's own `main`
/// object, which references `LLVMFuzzerTestOneInput`, so each target also exports its one-input
/// function under that name (`@_cdecl`): whichever `main` runs, the same function is fuzzed.
public enum FuzzDriver {
    /// The function libFuzzer calls with each input; it must return 0 and never crash.
    public typealias OneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

    /// Runs libFuzzer with the process's arguments and exits with its status.
    ///
    /// `--seeds DIR` instead writes the target's seed inputs (file name → bytes, made from the
    /// project's own data by `seeds`) into `DIR` and exits.
    public static func run(_ oneInput: OneInput, seeds: (() throws -> [String: [UInt8]])? = nil) -> Never {
        let arguments = CommandLine.arguments
        if arguments.count == 3, arguments[1] == "--seeds" {
            guard let seeds else { fail("this target has no generated seeds") }
            do {
                try FileManager.default.createDirectory(atPath: arguments[2], withIntermediateDirectories: true)
                for (name, bytes) in try seeds().sorted(by: { $0.key < $1.key }) {
                    try Data(bytes).write(to: URL(fileURLWithPath: arguments[2]).appendingPathComponent(name))
                }
            } catch {
                fail("cannot write seeds: \(error)")
            }
            exit(0)
        }
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, oneInput))
    }

    /// The input as bytes (libFuzzer passes a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The repository root, found from this file's path at build time (seeds read
    /// `Hardware/`).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("fuzz: \(message)\n".utf8))
        exit(2)
    }
}
