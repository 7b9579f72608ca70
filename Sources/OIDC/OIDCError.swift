import Foundation

/// An OpenID Connect / OAuth 2.0 error. `code` is the protocol's error code (RFC 6749 §4.1.2.1
/// and §5.2, OpenID Connect Core §3.1.2.6); `description` never holds codes, tokens or
/// personal data.
public struct OIDCError: Error, Sendable, CustomStringConvertible, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        public static let invalidRequest = Code("invalid_request")
        public static let invalidClient = Code("invalid_client")
        public static let invalidGrant = Code("invalid_grant")
        public static let unauthorizedClient = Code("unauthorized_client")
        public static let unsupportedGrantType = Code("unsupported_grant_type")
        public static let unsupportedResponseType = Code("unsupported_response_type")
        public static let invalidScope = Code("invalid_scope")
        public static let accessDenied = Code("access_denied")
        public static let loginRequired = Code("login_required")
        public static let interactionRequired = Code("interaction_required")
        /// The session does not meet the application's level or method (step-up needed).
        public static let unmetAuthenticationRequirements = Code("unmet_authentication_requirements")
        public static let invalidToken = Code("invalid_token")
        /// The provider is misconfigured (key, clients).
        public static let configuration = Code("server_error")

        public var description: String { rawValue }
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public static func == (lhs: OIDCError, rhs: OIDCError) -> Bool { lhs.code == rhs.code }

    /// The HTTP status the endpoints answer with: 401 for client and token failures, 500 for a
    /// misconfigured provider, 400 otherwise (RFC 6749 §5.2, RFC 6750 §3.1).
    public var httpStatus: Int {
        switch code {
        case .invalidClient, .invalidToken: 401
        case .configuration: 500
        default: 400
        }
    }

    public var description: String { "OIDCError.\(code): \(reason)" }
}
