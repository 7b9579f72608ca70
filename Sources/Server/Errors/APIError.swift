import Foundation
import Hummingbird

/// An error answered as JSON: `{"error": {"code": "...", "message": "..."}}` with a stable code.
/// Messages never carry tokens, codes, national register numbers or request bodies.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// A stable machine-readable code, e.g. `session.sessionInvalid`, `request.invalidBody`.
    public let code: String
    public let message: String
    /// Extra machine-readable fields (e.g. `requiredLevel`, `trustCode`).
    public let details: [String: String]

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: String] = ["code": code, "message": message]
        for (key, value) in details { body[key] = value }
        var response = try JSONReply(["error": body], status: status).response(from: request, context: context)
        // 429 and 503 say when to come back in the header too (RFC 9110 §10.2.3), not only in the body.
        if let seconds = details["retryAfterSeconds"] { response.headers[.retryAfter] = seconds }
        return response
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: "request.invalidBody", message: message) }
    static let unauthorized = APIError(.unauthorized, code: "session.sessionInvalid", message: "no live session for this token")
    /// A login form or call that did not come from Sleutel's own page (CSRF token or origin).
    static let csrf = APIError(.forbidden, code: "request.crossSite", message: "the request did not come from Sleutel's login page")
    /// The authorization request behind a login page is unknown, used or expired.
    static let interactionExpired = APIError(.gone, code: "oidc.interactionExpired", message: "the login request expired; start again at the application")
}

/// A JSON response with a chosen status: dates in ISO 8601, byte arrays in base64 (via `Data`).
struct JSONReply<Value: Encodable>: ResponseGenerator {
    let value: Value
    let status: HTTPResponse.Status

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSON.encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

enum JSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Reads and decodes a JSON body of at most `limit` bytes.
    /// - Throws: ``APIError`` 400 `request.invalidBody` naming the field at fault, 413 when too large.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 64 << 10) async throws -> T {
        try decode(type, body: Data(try await body(of: request, limit: limit).readableBytesView))
    }

    /// Reads a request body of at most `limit` bytes (JSON or a form).
    /// - Throws: ``APIError`` 413 `request.tooLarge` when it is larger.
    static func body(of request: Request, limit: Int) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "request.tooLarge", message: "the request body exceeds \(limit) bytes")
        }
    }

    /// Decodes a request body already read.
    /// - Throws: ``APIError`` 400 `request.invalidBody` naming the field at fault.
    static func decode<T: Decodable>(_ type: T.Type, body: Data) throws -> T {
        do {
            return try decoder.decode(T.self, from: body)
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError.badRequest("missing field \(key.stringValue)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw APIError.badRequest("wrong type at \(path(context))")
        } catch let DecodingError.dataCorrupted(context) {
            throw APIError.badRequest(context.codingPath.isEmpty ? "the body is not valid JSON" : "invalid value at \(path(context))")
        } catch {
            throw APIError.badRequest("the body is not valid JSON")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
