/// Why a one-time-code or password operation failed. The `reason` is for operators: it never
/// contains a code, seed, password, phone number or e-mail address.
///
/// A wrong code, a replayed code, an expired challenge and a locked credential all surface to the
/// person as ``Code-swift.struct/rejected``, so an attacker cannot tell a lockout from a typo;
/// the audit trail records which of them it was.
public struct OneTimeCodesError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure, stable for APIs.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case rejected, invalidInput, notFound, alreadyExists, quotaExceeded, delivery
            case activationNotAllowed, passwordPolicy, secretKey, storage, crypto, qrCode
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The code or password was not accepted (wrong, replayed, expired or locked: one answer).
        public static let rejected = Code(.rejected)
        /// Input of the wrong shape (digits, period, URI, phone number, e-mail address …).
        public static let invalidInput = Code(.invalidInput)
        /// No such credential, challenge or account.
        public static let notFound = Code(.notFound)
        /// The credential or account exists already.
        public static let alreadyExists = Code(.alreadyExists)
        /// A sending quota (per person or per destination) is used up; try again later.
        public static let quotaExceeded = Code(.quotaExceeded)
        /// The SMS gateway or mail server did not take the message.
        public static let delivery = Code(.delivery)
        /// The key may only be activated from a session authenticated with the eID card.
        public static let activationNotAllowed = Code(.activationNotAllowed)
        /// The new password does not meet the password rules.
        public static let passwordPolicy = Code(.passwordPolicy)
        /// The key file for secrets at rest is missing, unreadable or lacks the needed key id.
        public static let secretKey = Code(.secretKey)
        /// The database failed.
        public static let storage = Code(.storage)
        /// A cryptographic primitive failed.
        public static let crypto = Code(.crypto)
        /// The QR code could not be made (text too long) or rendered.
        public static let qrCode = Code(.qrCode)

        public var description: String { "otp.\(value.rawValue)" }
    }

    /// The kind of failure.
    public let code: Code
    /// What failed, without secrets or personal data.
    public let reason: String
    /// Where the error was raised.
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// Errors are equal when their codes are.
    public static func == (lhs: OneTimeCodesError, rhs: OneTimeCodesError) -> Bool { lhs.code == rhs.code }

    public var description: String { "OneTimeCodesError.\(code): \(reason)" }
}
