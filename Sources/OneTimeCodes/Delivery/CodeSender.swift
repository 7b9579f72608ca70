/// One security code on its way to a person: where to, which channel, the code itself and how
/// long it stays valid. It holds the code in clear, so it must never be logged or stored.
public struct OutgoingCode: Sendable {
    /// The channel that carries the code.
    public enum Channel: String, Sendable, Codable {
        case sms, email
    }

    /// SMS or e-mail.
    public let channel: Channel
    /// A phone number in E.164 form (`+32470123456`) for SMS, an e-mail address for e-mail.
    public let destination: String
    /// The code in clear (digits).
    public let code: String
    /// Minutes the code stays valid, for the message text.
    public let validMinutes: Int

    public init(channel: Channel, destination: String, code: String, validMinutes: Int) {
        self.channel = channel
        self.destination = destination
        self.code = code
        self.validMinutes = validMinutes
    }
}

/// Carries a security code to a person: the seam between the SMTP sender and the HTTP SMS
/// gateway (and a recording sender in tests of the challenge logic).
public protocol CodeSender: Sendable {
    /// Delivers `message`; returns when the mail server or gateway has accepted it.
    /// - Throws: ``OneTimeCodesError`` `delivery` (with a reason free of the code and the
    ///   destination) or `invalidInput` when the destination cannot be used.
    func send(_ message: OutgoingCode) async throws(OneTimeCodesError)
}
