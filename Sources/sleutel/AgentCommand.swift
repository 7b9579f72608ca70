import ArgumentParser
import BelgianEID
import CardAgent
import Foundation
import PCSC
import SleutelClient
import WebEID

/// `sleutel agent`: the card agent for desktops behind Sleutel's login page.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the card agent: sign Sleutel login challenges with the eID card for the sites you allow.",
        discussion: """
            Listens on 127.0.0.1 (default port \(CardAgentConfiguration.defaultPort)) for Sleutel's login page. When a page \
            of an allowed --origin asks, the agent names the site here, asks your PIN here (no echo; one line on standard \
            input when it is not a terminal; or on the reader's pin pad with --pinpad), has the card sign the challenge \
            for that site, and hands the Web eID token to the page. An empty PIN declines. Other sites get a refusal and \
            never reach the card. The PIN never goes to the web page or to any log.
            """
    )

    @Option(help: "Loopback port the login page calls.") var port = CardAgentConfiguration.defaultPort
    @Option(name: .customLong("origin"), help: "An origin whose login page may ask (repeatable), e.g. https://login.example.be.")
    var origins: [String] = []
    @OptionGroup var readerOption: ReaderOption
    @Flag(help: "Let the reader's pin pad collect the PIN.") var pinpad = false

    func validate() throws {
        guard !origins.isEmpty else { throw ValidationError("give at least one --origin the agent may serve") }
        for origin in origins where WebEID.checkedOrigin(origin) == nil {
            throw ValidationError("--origin \(origin) is not https://host[:port] (http only on loopback), lowercase, without a path")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
    }

    func run() async throws {
        let agent = CardAgent(configuration: CardAgentConfiguration(port: port, allowedOrigins: Set(origins))) { [readerOption, pinpad] origin, nonce in
            try await Self.onThread { try Self.sign(origin: origin, nonce: nonce, reader: readerOption, pinpad: pinpad) }
        }
        try await agent.run { bound in
            Terminal.writeStandardError("sleutel agent: listening on http://127.0.0.1:\(bound) for \(origins.sorted().joined(separator: ", "))\n")
        }
    }

    /// Names the site, takes the PIN, has the card sign: what the person sees and does.
    static func sign(origin: String, nonce: String, reader: ReaderOption, pinpad: Bool) throws -> WebEIDToken {
        Terminal.writeStandardError("\nsleutel agent: \(origin) asks you to log in with your eID card.\n")
        let context: PCSCContext
        let connection: CardConnection
        do {
            context = try PCSCContext()
            (_, connection) = try reader.connect(context)
        } catch {
            throw CardAgentError.noCard
        }
        defer { connection.disconnect(.reset) }
        _ = context
        let card: EIDCard
        let signer: CardSigner
        do {
            card = try EIDCard(channel: connection)
            signer = try CardSigner(card: card)
        } catch {
            throw CardAgentError.unreadableCard
        }
        do {
            if pinpad {
                Terminal.writeStandardError("Enter your PIN on the reader's pin pad.\n")
                try card.verifyPINOnPinPad()
            } else {
                let prompt = "PIN for \(origin) (empty declines): "
                // Without a terminal the agent still says when it waits for a PIN line (a wrapper answers it).
                if isatty(STDIN_FILENO) != 1 { Terminal.writeStandardError(prompt) }
                guard let text = Terminal.readSecret(prompt: prompt), !text.isEmpty else {
                    throw CardAgentError.declined
                }
                try card.verifyPIN(PIN(text))
            }
        } catch let error as EIDError where error.code == .pinIncorrect {
            throw CardAgentError.pin("wrong PIN, \(error.triesLeft.map(String.init) ?? "?") tries left")
        } catch let error as EIDError where error.code == .pinBlocked {
            throw CardAgentError.pin("the PIN is blocked; only the municipality can unblock it")
        } catch let error as EIDError {
            throw CardAgentError.pin("the PIN was not accepted: \(error.code)")
        }
        defer { try? card.logOff() }
        do {
            let token = try signer.webEIDToken(origin: origin, nonce: nonce, appVersion: "https://sleutel.invalid/agent/1.0")
            Terminal.writeStandardError("sleutel agent: signed for \(origin).\n")
            return token
        } catch {
            throw CardAgentError.signingFailed
        }
    }

    /// Runs blocking card and terminal work on a thread of its own, off the concurrency pool.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
