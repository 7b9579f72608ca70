import ArgumentParser
import Foundation
import VirtualCard

struct VirtualCardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "virtual-card",
        abstract: "Run a software Belgian eID card that plugs into pcscd through the vpcd driver.",
        subcommands: [Run.self]
    )

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Insert a virtual card built from a profile.")

        @Option(help: "Card profile (JSON), e.g. Hardware/cards/specimen-1.7.json.") var profile: String
        @Option(help: "vpcd port: 35963 = first virtual reader, 35964 = second.") var port = 35963

        func run() throws {
            let runner = try VirtualCardRunner(profileURL: URL(fileURLWithPath: profile), port: port)
            try runner.run()
        }
    }
}
