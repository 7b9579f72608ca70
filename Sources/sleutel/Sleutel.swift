import ArgumentParser

@main
struct Sleutel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sleutel",
        abstract: "Belgian eID and one-time-code authentication backend.",
        subcommands: [Card.self, VirtualCardCommand.self, TrustCommand.self, Keys.self, RightsCommand.self, Serve.self, Login.self, KioskCommand.self, BenchLogin.self, OTPCommand.self, CrashTest.self]
    )
}
