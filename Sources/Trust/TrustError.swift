/// Why the Trust module refused something. Each code names one rule; `reason` says what
/// was checked against what, never personal data (no national numbers, no names).
public struct TrustError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The rule that failed.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case configuration, testRootInProduction, noTrustAnchor, badSignature, nameChaining
            case expired, notYetValid, keyUsage, extendedKeyUsage, basicConstraints, pathLength, policy
            case missingNationalNumber, unhandledCriticalExtension, malformedCertificate
            case revoked, revocationUnknown, revocationUnavailable, ocspResponse, crl, http
            case weakKey, unreadableKey, tooManyKeys
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The trust configuration is invalid (e.g. no roots, unreadable files).
        public static let configuration = Code(.configuration)
        /// A production configuration holds a test root.
        public static let testRootInProduction = Code(.testRootInProduction)
        /// The chain does not end at a configured root (matched by public key).
        public static let noTrustAnchor = Code(.noTrustAnchor)
        /// A certificate's signature does not verify with its issuer's key.
        public static let badSignature = Code(.badSignature)
        /// A certificate's issuer name differs from its issuer's subject name.
        public static let nameChaining = Code(.nameChaining)
        /// A certificate's notAfter is before the validation time.
        public static let expired = Code(.expired)
        /// A certificate's notBefore is after the validation time.
        public static let notYetValid = Code(.notYetValid)
        /// Key usage does not fit the certificate kind.
        public static let keyUsage = Code(.keyUsage)
        /// Extended key usage forbids the purpose.
        public static let extendedKeyUsage = Code(.extendedKeyUsage)
        /// An issuing certificate is not a CA.
        public static let basicConstraints = Code(.basicConstraints)
        /// A pathLenConstraint is exceeded.
        public static let pathLength = Code(.pathLength)
        /// The certificate policy does not belong to the root's generation and certificate kind.
        public static let policy = Code(.policy)
        /// The subject has no national register number in serialNumber.
        public static let missingNationalNumber = Code(.missingNationalNumber)
        /// A critical extension this validator does not understand.
        public static let unhandledCriticalExtension = Code(.unhandledCriticalExtension)
        /// A certificate could not be parsed.
        public static let malformedCertificate = Code(.malformedCertificate)
        /// The certificate is revoked.
        public static let revoked = Code(.revoked)
        /// The responder does not know the certificate.
        public static let revocationUnknown = Code(.revocationUnknown)
        /// No usable revocation information (responder down, stale answer) under a hard-fail policy.
        public static let revocationUnavailable = Code(.revocationUnavailable)
        /// An OCSP response was malformed, wrongly signed, stale or for another request.
        public static let ocspResponse = Code(.ocspResponse)
        /// A CRL was malformed, wrongly signed or stale.
        public static let crl = Code(.crl)
        /// An HTTP fetch failed or timed out.
        public static let http = Code(.http)
        /// A key fails the strength policy.
        public static let weakKey = Code(.weakKey)
        /// A key could not be read.
        public static let unreadableKey = Code(.unreadableKey)
        /// An input holds more keys than the caller allows in one check.
        public static let tooManyKeys = Code(.tooManyKeys)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let reason: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: TrustError, rhs: TrustError) -> Bool { lhs.code == rhs.code }

    public var description: String { "TrustError.\(code): \(reason)" }
}
