import ArgumentParser
import BelgianEID
import CryptoCore
import Foundation
import PCSC
import SleutelClient

/// `sleutel login`: logs in to a Sleutel server with the eID card in a local reader.
struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in to a Sleutel server with the eID card in a reader (challenge, PIN, card signature).",
        discussion: """
            Asks the server for a challenge, verifies the PIN on the card (prompt without echo, the \
            reader's pin pad, or one line on standard input when it is not a terminal), has the card sign \
            the challenge with its authentication key and sends the answer with the card's certificates. \
            Prints the session; the bearer token only with --print-token or into --token-file (mode 0600).
            """
    )

    @Option(help: "Server base URL.") var server = "http://127.0.0.1:8080"
    @Option(help: "Application to log in to.") var application = "eloket"
    @OptionGroup var readerOption: ReaderOption
    @Flag(help: "Let the reader's pin pad collect the PIN.") var pinpad = false
    @Flag(help: "Bind the session to this card: it ends when the card is removed (kiosk).") var cardBound = false
    @Flag(help: "Print the bearer token on standard output.") var printToken = false
    @Option(help: "Write the bearer token to this file (created with mode 0600).") var tokenFile: String?

    func run() throws {
        let client = SleutelClient(server: server)
        let context = try PCSCContext()
        let (readerName, connection) = try readerOption.connect(context)
        defer { connection.disconnect(.reset) }
        let card = try EIDCard(channel: connection)
        let signer = try CardSigner(card: card)
        let binding = cardBound ? "\(readerName)/\(card.cardData.serialNumberHex)" : nil

        do {
            let issued = try client.login(application: application, cardBinding: binding, signer: signer,
                                          beforeSigning: { try Terminal.verifyPIN(on: card, pinpad: pinpad) },
                                          afterSigning: { try? card.logOff() })
            print("logged in: session \(issued.session.id), \(issued.session.method) at level \(issued.session.level) (\(issued.session.acr))")
            if let tokenFile {
                guard FileManager.default.createFile(atPath: tokenFile, contents: Data(issued.token.utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw ValidationError("cannot write the token to \(tokenFile)")
                }
            }
            if printToken { print(issued.token) }
        } catch let refusal as SleutelClient.Refusal {
            throw ValidationError(refusal.description)
        }
    }
}
