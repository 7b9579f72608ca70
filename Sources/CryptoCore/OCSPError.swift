/// Why an OCSP response was refused. It names the check that failed, never the certificate's
/// subject (which can carry a national register number).
public struct OCSPError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The check that failed, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case malformed, unsuccessful, signerNotFound, unauthorizedSigner, badSignature
            case responseNotFound, stale, notYetValid, nonceMismatch, nonceMissing
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The bytes are not a DER OCSPResponse (or not a BasicOCSPResponse inside).
        public static let malformed = Code(.malformed)
        /// The responder answered with a status other than `successful` (e.g. `tryLater`).
        public static let unsuccessful = Code(.unsuccessful)
        /// Neither the issuer nor any certificate carried in the response matches the ResponderID.
        public static let signerNotFound = Code(.signerNotFound)
        /// The signer is not the issuer and not a delegated responder of the issuer
        /// (not issued by it, no id-kp-OCSPSigning, or outside its validity).
        public static let unauthorizedSigner = Code(.unauthorizedSigner)
        /// The signature does not verify with the signer's key.
        public static let badSignature = Code(.badSignature)
        /// The response holds no SingleResponse for the requested CertID.
        public static let responseNotFound = Code(.responseNotFound)
        /// nextUpdate (or the maximum age when nextUpdate is absent) is before the validation time.
        public static let stale = Code(.stale)
        /// thisUpdate is after the validation time (beyond the clock-skew allowance).
        public static let notYetValid = Code(.notYetValid)
        /// The response's nonce differs from the request's.
        public static let nonceMismatch = Code(.nonceMismatch)
        /// The request carried a nonce, the response none, and the policy requires one.
        public static let nonceMissing = Code(.nonceMissing)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let reason: String
    public let file: String
    public let line: Int

    init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: OCSPError, rhs: OCSPError) -> Bool { lhs.code == rhs.code }

    public var description: String { "OCSPError.\(code): \(reason) (\(file):\(line))" }
}
