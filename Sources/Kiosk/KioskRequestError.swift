import Foundation
import Hummingbird

/// Why the kiosk's page server refused a request. Answered as
/// `{"error": {"code": "kiosk.hostRefused", "message": "…"}}`; the message never repeats what the
/// request carried (its Host, Origin, token or body).
public struct KioskRequestError: Error, HTTPResponseError, Sendable, CustomStringConvertible, Equatable {
    /// The kind of refusal, stable for the page and for monitoring.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case hostRefused, originRefused, contentTypeRefused, tokenInvalid, invalidBody, notFound, methodNotAllowed, internalError
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `Host` is missing, repeated, or not the kiosk's own loopback address and port (DNS rebinding, a proxy).
        public static let hostRefused = Code(.hostRefused)
        /// `Origin` is present and not the kiosk's own origin (another page in the browser).
        public static let originRefused = Code(.originRefused)
        /// A request with a body that is not `application/json` (a form, a `text/plain` no-cors fetch).
        public static let contentTypeRefused = Code(.contentTypeRefused)
        /// The page token is missing, repeated or wrong: the request does not come from the page this process served.
        public static let tokenInvalid = Code(.tokenInvalid)
        /// The JSON body is malformed or too large.
        public static let invalidBody = Code(.invalidBody)
        /// No such page or action.
        public static let notFound = Code(.notFound)
        /// The path exists under another method.
        public static let methodNotAllowed = Code(.methodNotAllowed)
        /// Anything else that went wrong while answering.
        public static let internalError = Code(.internalError)

        public var description: String { "kiosk.\(value.rawValue)" }
    }

    public let code: Code
    /// What was refused, without anything the request carried.
    public let reason: String
    public let status: HTTPResponse.Status

    public init(_ code: Code, _ reason: String, status: HTTPResponse.Status) {
        self.code = code
        self.reason = reason
        self.status = status
    }

    /// Errors are equal when their codes are.
    public static func == (lhs: KioskRequestError, rhs: KioskRequestError) -> Bool { lhs.code == rhs.code }

    public var description: String { "KioskRequestError.\(code): \(reason)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ["error": ["code": code.description, "message": reason]]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }
}
