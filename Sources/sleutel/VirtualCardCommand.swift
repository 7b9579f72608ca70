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
        @Option(help: ArgumentHelp(
            "Fault injection: make the card misbehave.",
            discussion: """
                ACTION[@TRIGGER]. ACTION: garbage (random bytes), garbage=short (no status word), \
                garbage=status (SW 6F00), slow=MS (answer each APDU MS late), pull (leave the reader without \
                answering; the card stays out). TRIGGER: start (default), read (first READ BINARY), \
                signature (first PSO: COMPUTE DIGITAL SIGNATURE), apdu=N (after N APDUs), atr (garbage or \
                garbage=short only: the ATR itself is garbage, APDUs are answered). Shorthands: \
                pull-during-read, pull-during-signature.
                """,
            valueName: "fault")) var fault: String?
        @Option(help: ArgumentHelp(
            "Integrity tests: forge the card's data.",
            discussion: """
                identity (a surname letter changed), address (a street letter changed, zero padded), \
                address-unpadded (the same without the trailing zero bytes), photo (one byte changed), \
                identity-other-rrn (identity signed by another RRN key), rrn-other-root (the RRN certificate of \
                the other test tree, not under the card's root), rogue-root (root and RRN certificate of \
                Hardware/rogue-pki, data re-signed), basic-key-file (1.8: another key in 4040), \
                basic-key-challenge (1.8: INTERNAL AUTHENTICATE answered with another key).
                """,
            valueName: "tamper")) var tamper: String?

        func run() throws {
            let tamper = try self.tamper.map { text throws(VirtualCardError) in try CardTamper(parsing: text) }
            var runner = try VirtualCardRunner(profileURL: URL(fileURLWithPath: profile), port: port, tamper: tamper)
            if let fault { runner.options.fault = try CardFault(parsing: fault) }
            try runner.run()
        }
    }
}
