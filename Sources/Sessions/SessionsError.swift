/// Why a login or session operation failed. `reason` is for operators and never holds a token,
/// challenge, national register number or name.
///
/// Unknown, expired, idle, revoked and wrong tokens all surface as ``Code-swift.struct/sessionInvalid``,
/// so a caller cannot probe which tokens once existed.
public struct SessionsError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure, stable for APIs.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case challengeInvalid, signatureInvalid, certificateRefused, sessionInvalid, stepUpRequired
            case methodNotAccepted, personMismatch, organisationRefused, credentialsRejected, invalidInput
            case quotaExceeded, deliveryFailed, storage
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The login transaction is unknown, expired, already used or belongs to another flow.
        public static let challengeInvalid = Code(.challengeInvalid)
        /// The card's signature does not verify with the certificate's key over this transaction.
        public static let signatureInvalid = Code(.signatureInvalid)
        /// Trust refused the certificate (chain, validity, revocation or key strength); see `trustCode`.
        public static let certificateRefused = Code(.certificateRefused)
        /// No live session for the token (unknown, expired, idle too long, revoked, card removed).
        public static let sessionInvalid = Code(.sessionInvalid)
        /// The session's level is below what the application needs; authenticate with a stronger key.
        public static let stepUpRequired = Code(.stepUpRequired)
        /// The application does not accept the session's authentication method.
        public static let methodNotAccepted = Code(.methodNotAccepted)
        /// A step-up authenticated another person than the session's.
        public static let personMismatch = Code(.personMismatch)
        /// The person may not act for the organisation in the application (Rights refused).
        public static let organisationRefused = Code(.organisationRefused)
        /// Password or security code not accepted.
        public static let credentialsRejected = Code(.credentialsRejected)
        /// Malformed input (certificate bytes, transaction id, token shape …).
        public static let invalidInput = Code(.invalidInput)
        /// Too many codes were sent to this person or destination; try again later.
        public static let quotaExceeded = Code(.quotaExceeded)
        /// The SMS gateway or mail server did not take the code.
        public static let deliveryFailed = Code(.deliveryFailed)
        /// The session store failed.
        public static let storage = Code(.storage)

        public var description: String { "session.\(value.rawValue)" }
    }

    /// The kind of failure.
    public let code: Code
    /// What failed, without secrets or personal data.
    public let reason: String
    /// For `certificateRefused`: the Trust rule that failed (`trust.revoked`, `trust.weakKey` …).
    public let trustCode: String?
    /// For `stepUpRequired`: the level the application needs.
    public let requiredLevel: AssuranceLevel?
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, trustCode: String? = nil, requiredLevel: AssuranceLevel? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.trustCode = trustCode
        self.requiredLevel = requiredLevel
        self.file = file
        self.line = line
    }

    /// Errors are equal when their codes are.
    public static func == (lhs: SessionsError, rhs: SessionsError) -> Bool { lhs.code == rhs.code }

    public var description: String {
        var text = "SessionsError.\(code): \(reason)"
        if let trustCode { text += " [\(trustCode)]" }
        if let requiredLevel { text += " [needs \(requiredLevel)]" }
        return text
    }
}
