import ArgumentParser

struct RightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rights",
        abstract: "Organisations, appointments and application rights.",
        subcommands: []
    )
}
