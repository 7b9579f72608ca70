import ArgumentParser

/// `sleutel-dev`: the developers' tools, apart from the `sleutel` an operator uses: the crash
/// test and the benchmarks that `Tools/` scripts run.
@main
struct SleutelDev: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sleutel-dev",
        abstract: "Sleutel developer tools: crash test and benchmarks (not part of the product).",
        subcommands: [CrashTest.self, BenchLogin.self, BenchLoad.self, BenchOIDC.self, CardBench.self, OTPBench.self, GCDBench.self, FermatBench.self]
    )
}
