import ArgumentParser
import Foundation
import Kiosk
import SleutelClient
import Trust

/// `sleutel kiosk`: the desk front for libraries and town halls.
struct KioskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk",
        abstract: "Run the kiosk: a local web page for a browser in kiosk mode, driven by the card reader.",
        discussion: """
            Waits for an eID card, shows the holder's name and photo, asks the PIN on an on-screen keypad, \
            logs in to the Sleutel server with the card's signature, lets the person choose the organisation \
            to act for, shows their rights, and ends the session the moment the card is pulled. Open \
            http://127.0.0.1:PORT/ in a browser in kiosk mode (e.g. `chromium --kiosk`); the page is served \
            on loopback only, and the kiosk answers only that page: a request with another Host or Origin, \
            a body that is not JSON, or without the page's token is refused (see README).
            """
    )

    @Option(help: "Sleutel server base URL.") var server = "http://127.0.0.1:8080"
    @Option(help: "Application the kiosk logs people in to.") var application = "eloket"
    @Option(help: "Port of the local kiosk page (0: any free port).") var port = 8090
    @Option(name: .shortAndLong, help: "Reader to watch (default: the first reader a card is inserted in).") var reader: String?
    @Option(help: "Seconds one card command may take before the card counts as hung and its session ends.") var cardTimeout = 5.0
    @Option(name: .customLong("test-roots"), help: ArgumentHelp(
        "Trust the self-signed certificates found under this directory as TEST roots (default: the public Belgium roots).",
        discussion: "A card is shown and logged in only when its data passes the integrity check, whose root must be a trusted root."))
    var testRoots: String?

    func validate() throws {
        guard cardTimeout > 0, cardTimeout <= 600 else { throw ValidationError("--card-timeout must be in (0, 600] seconds") }
    }

    func run() async throws {
        let configuration = try testRoots.map { try TrustConfiguration.test(roots: try selfSignedCertificates(under: $0)) } ?? .production()
        let controller = KioskController(
            client: SleutelClient(server: server), application: application, reader: reader,
            cardTimeout: .milliseconds(Int(cardTimeout * 1000)), trustedRoots: configuration.anchors.flatMap(\.certificates))
        try await KioskServer(controller: controller, port: port).run { port in
            Terminal.printLine("sleutel: kiosk page on http://127.0.0.1:\(port)/")
        }
    }
}
