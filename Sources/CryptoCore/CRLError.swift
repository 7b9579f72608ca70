/// Why a certificate revocation list was refused.
public struct CRLError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The check that failed, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case malformed, wrongIssuer, badSignature, stale, notYetValid }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The bytes are neither a DER nor a PEM CRL.
        public static let malformed = Code(.malformed)
        /// The CRL's issuer name differs from the expected issuer's subject.
        public static let wrongIssuer = Code(.wrongIssuer)
        /// The CRL's signature does not verify with the issuer's key.
        public static let badSignature = Code(.badSignature)
        /// nextUpdate is before the validation time (beyond the clock-skew allowance), or absent.
        public static let stale = Code(.stale)
        /// thisUpdate is after the validation time (beyond the clock-skew allowance).
        public static let notYetValid = Code(.notYetValid)

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

    public static func == (lhs: CRLError, rhs: CRLError) -> Bool { lhs.code == rhs.code }

    public var description: String { "CRLError.\(code): \(reason) (\(file):\(line))" }
}
