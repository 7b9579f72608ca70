import Foundation
import Transport

/// Sends e-mail codes through an SMTP server (``SMTPClient``: STARTTLS when offered, or required).
///
/// The message is plain UTF-8 text, by default in Dutch and English, marked
/// `Auto-Submitted: auto-generated`. Errors never carry the address or the code: a refused
/// recipient or an unreachable server is ``OneTimeCodesError`` `delivery` naming the libcurl code
/// and the server's reply with addresses blanked out.
public struct EmailCodeSender: CodeSender {
    /// Server, sender and texts.
    public struct Configuration: Sendable, Equatable, Codable {
        /// The default subject (no code in it: subjects show up in notifications and lists).
        public static let defaultSubject = MessageTemplate("Sleutel – uw beveiligingscode / your security code")
        /// The default body, Dutch then English.
        public static let defaultBody = MessageTemplate("""
            Uw beveiligingscode voor Sleutel is: {code}

            De code is {minutes} minuten geldig en kan één keer gebruikt worden.
            Geef hem aan niemand door: Sleutel vraagt nooit naar deze code per telefoon of e-mail.
            Heeft u geen code aangevraagd? Dan mag u dit bericht negeren.

            --

            Your Sleutel security code is: {code}

            The code is valid for {minutes} minutes and can be used once.
            Do not share it with anyone: Sleutel never asks for this code by phone or e-mail.
            Did you not ask for a code? Then you can ignore this message.
            """)

        /// The mail server.
        public var smtp: SMTPClient.Configuration
        /// The sender address (envelope and From).
        public var from: String
        /// The sender's display name.
        public var fromName: String?
        /// The subject, with `{minutes}` allowed.
        public var subject: MessageTemplate
        /// The body, with `{code}` (required) and `{minutes}`.
        public var body: MessageTemplate

        public init(
            smtp: SMTPClient.Configuration,
            from: String,
            fromName: String? = "Sleutel",
            subject: MessageTemplate = Configuration.defaultSubject,
            body: MessageTemplate = Configuration.defaultBody
        ) {
            self.smtp = smtp
            self.from = from
            self.fromName = fromName
            self.subject = subject
            self.body = body
        }

        private enum CodingKeys: String, CodingKey { case smtp, from, fromName, subject, body }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                smtp: try c.decode(SMTPClient.Configuration.self, forKey: .smtp),
                from: try c.decode(String.self, forKey: .from),
                fromName: try c.decodeIfPresent(String.self, forKey: .fromName) ?? "Sleutel",
                subject: try c.decodeIfPresent(MessageTemplate.self, forKey: .subject) ?? Self.defaultSubject,
                body: try c.decodeIfPresent(MessageTemplate.self, forKey: .body) ?? Self.defaultBody
            )
        }
    }

    /// The configuration.
    public let configuration: Configuration
    private let sender: MailAddress
    private let client: SMTPClient

    /// - Throws: ``OneTimeCodesError`` `invalidInput` for a bad sender address or template.
    public init(configuration: Configuration) throws(OneTimeCodesError) {
        do {
            sender = try MailAddress(configuration.from, displayName: configuration.fromName)
        } catch {
            throw OneTimeCodesError(.invalidInput, "the e-mail sender address or name is not usable: \(Self.reason(error))")
        }
        try configuration.subject.validate(allowed: ["minutes"], context: "e-mail subject")
        try configuration.body.validate(allowed: ["code", "minutes"], context: "e-mail body")
        guard configuration.body.placeholders.contains("code") else {
            throw OneTimeCodesError(.invalidInput, "e-mail body must contain {code}")
        }
        self.configuration = configuration
        self.client = SMTPClient(configuration: configuration.smtp)
    }

    /// Sends the code; returns when the mail server took the message.
    /// - Throws: ``OneTimeCodesError`` `invalidInput` (not e-mail, unusable address) or `delivery`.
    public func send(_ message: OutgoingCode) async throws(OneTimeCodesError) {
        let mail = try mail(for: message)
        do {
            _ = try await client.send(mail)
        } catch let error as TransportError where error.code == .invalidRequest {
            throw OneTimeCodesError(
                .invalidInput,
                "the e-mail cannot be sent as given: \(scrubbed(error.reason, removing: [message.code, message.destination]))"
            )
        } catch {
            throw OneTimeCodesError(
                .delivery,
                "mail server did not take the message: \(scrubbed(Self.reason(error), removing: [message.code, message.destination]))"
            )
        }
    }

    /// The message ``send(_:)`` submits for `message` (for tests and dry runs).
    /// - Throws: ``OneTimeCodesError`` `invalidInput` when the message is not an e-mail to a usable address.
    public func mail(for message: OutgoingCode) throws(OneTimeCodesError) -> MailMessage {
        guard message.channel == .email else {
            throw OneTimeCodesError(.invalidInput, "the e-mail sender sends e-mail codes only")
        }
        let recipient: MailAddress
        do { recipient = try MailAddress(message.destination) } catch {
            throw OneTimeCodesError(.invalidInput, "e-mail address is not usable: \(Self.reason(error))")
        }
        let values = ["code": message.code, "minutes": String(message.validMinutes)]
        return MailMessage(
            from: sender,
            to: [recipient],
            subject: configuration.subject.render(values),
            text: configuration.body.render(values),
            autoGenerated: true
        )
    }

    private static func reason(_ error: any Error) -> String {
        (error as? TransportError).map { "\($0.code): \($0.reason)" } ?? "unexpected error"
    }
}
