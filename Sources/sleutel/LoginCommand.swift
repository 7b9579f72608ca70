import ArgumentParser
import BelgianEID
import CryptoCore
import Foundation
import PCSC
import Transport

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
        let client = HTTPClient(configuration: .init(connectTimeout: 3, totalTimeout: 30))
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server

        let context = try PCSCContext()
        let (readerName, connection) = try readerOption.connect(context)
        defer { connection.disconnect(.reset) }
        let card = try EIDCard(channel: connection)
        let certificate = try card.read(.authenticationCertificate)
        let issuer = try card.read(.caCertificate)
        let binding = cardBound ? "\(readerName)/\(card.cardData.serialNumberHex)" : nil

        var challengeBody: [String: String] = ["application": application]
        if let binding { challengeBody["cardBinding"] = binding }
        let challenge = try call(client, "\(base)/v1/eid/challenge", challengeBody, as: ChallengeAnswer.self)

        if pinpad {
            print("Enter your PIN on the reader's pin pad.")
            try card.verifyPINOnPinPad()
        } else {
            guard let text = Terminal.readSecret(prompt: "PIN: ") else { throw ValidationError("no PIN given") }
            try card.verifyPIN(PIN(text))
        }
        let keyKind = try Certificate(paddedDER: certificate).publicKey().kind
        let signature = try card.signChallenge(Array(challenge.toBeSigned), keyKind: keyKind)
        try card.logOff()

        let login = try call(client, "\(base)/v1/eid/login", LoginBody(
            transactionId: challenge.transactionId, signature: Data(signature.bytes),
            certificate: Data(try Certificate(paddedDER: certificate).derEncoded),
            intermediates: [Data(try Certificate(paddedDER: issuer).derEncoded)]
        ), as: LoginAnswer.self)
        print("logged in: session \(login.session.id), \(login.session.method) at level \(login.session.level) (\(login.session.acr))")
        if let tokenFile {
            FileManager.default.createFile(atPath: tokenFile, contents: Data(login.token.utf8), attributes: [.posixPermissions: 0o600])
        }
        if printToken { print(login.token) }
    }

    private func call<Body: Encodable, Answer: Decodable>(_ client: HTTPClient, _ url: String, _ body: Body, as: Answer.Type) throws -> Answer {
        let encoder = JSONEncoder()
        let reply = try client.post(url, body: Array(try encoder.encode(body)), contentType: "application/json", accept: "application/json")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard (200..<300).contains(reply.status) else {
            let problem = (try? decoder.decode(ErrorAnswer.self, from: Data(reply.body)))?.error
            throw ValidationError("server refused (HTTP \(reply.status)): \(problem.map { "\($0.code): \($0.message)" } ?? "no details")")
        }
        return try decoder.decode(Answer.self, from: Data(reply.body))
    }

    private struct ChallengeAnswer: Decodable {
        let transactionId: String
        let toBeSigned: Data
    }

    private struct LoginBody: Encodable {
        let transactionId: String
        let signature: Data
        let certificate: Data
        let intermediates: [Data]
    }

    private struct LoginAnswer: Decodable {
        struct SessionAnswer: Decodable {
            let id: String
            let method: String
            let level: Int
            let acr: String
        }
        let token: String
        let session: SessionAnswer
    }

    private struct ErrorAnswer: Decodable {
        struct Problem: Decodable {
            let code: String
            let message: String
        }
        let error: Problem
    }
}
