import ArgumentParser

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the strength of public keys and certificates.",
        subcommands: []
    )
}
