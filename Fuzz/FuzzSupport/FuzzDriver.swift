import CLibFuzzer
import Glibc

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
    public static func run(_ oneInput: OneInput) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv, oneInput)
        exit(status)
    }

    /// The input as bytes (libFuzzer passes a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }
}
