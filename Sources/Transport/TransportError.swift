/// Why a network exchange (HTTP fetch, mail submission) failed. `reason` names the libcurl code
/// and the endpoint; it never carries message bodies, credentials or personal data.
public struct TransportError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case http, smtp, invalidRequest
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An HTTP exchange failed: bad URL, connection refused, timeout, body too large.
        public static let http = Code(.http)
        /// An SMTP submission failed: connection, TLS, authentication or a refused recipient.
        public static let smtp = Code(.smtp)
        /// The request itself is unusable (bad address, header with line breaks …); nothing was sent.
        public static let invalidRequest = Code(.invalidRequest)

        public var description: String { "transport.\(value.rawValue)" }
    }

    /// The kind of failure.
    public let code: Code
    /// What failed, for people and logs.
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
    public static func == (lhs: TransportError, rhs: TransportError) -> Bool { lhs.code == rhs.code }

    public var description: String { "TransportError.\(code): \(reason)" }
}
