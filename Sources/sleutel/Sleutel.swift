import ArgumentParser

@main
struct Sleutel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sleutel",
        abstract: "Belgian eID and one-time-code authentication backend.",
        subcommands: [
            Card.self, VirtualCardCommand.self, TrustCommand.self, Keys.self, RightsCommand.self, Serve.self, Login.self, KioskCommand.self,
            AgentCommand.self, OTPCommand.self, OIDCCommand.self,
        ]
    )

    /// As ArgumentParser's `main`, except that the file operands of `keys check` bypass it:
    /// ArgumentParser spends time quadratic in the number of values of an array argument
    /// (about 8 s for 20,000 files), so only the options and the first file go through it.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let bulk = Keys.Check.splitOperands(arguments), bulk.files.count > 1 else {
            return await main(arguments)
        }
        do {
            var command = try parseAsRoot(bulk.arguments)
            if var check = command as? Keys.Check {
                check.files = bulk.files
                try check.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
