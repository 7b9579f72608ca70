import Foundation
import Transport

/// A client of the Sleutel HTTP API, for the kiosk and `sleutel login`: the card side of the
/// eID challenge-response and the session calls that follow.
public struct SleutelClient: Sendable {
    /// The server's base URL, without a trailing slash.
    public let base: String
    private let http: HTTPClient

    public init(server: String, http: HTTPClient = HTTPClient(configuration: .init(connectTimeout: 3, totalTimeout: 30))) {
        self.base = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.http = http
    }

    /// The server refused a call: HTTP status and the error's stable code and message.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let status: Int
        public let code: String
        public let message: String
        public var description: String { "server refused (HTTP \(status)): \(code): \(message)" }
    }

    public struct Challenge: Sendable, Decodable {
        public let transactionId: String
        public let toBeSigned: Data
        public let expiresAt: Date
    }

    public struct SessionInfo: Sendable, Decodable {
        public let id: String
        public let method: String
        public let level: Int
        public let acr: String
        public let organisation: String?
    }

    public struct Issued: Sendable, Decodable {
        public let token: String
        public let session: SessionInfo
    }

    /// The server's answer to an organisation choice.
    public struct Decision: Sendable, Decodable {
        public struct Right: Sendable, Decodable, Equatable {
            public let application: String
            public let right: String
            public let context: String?
        }
        public let decision: String
        public let organisation: String?
        public let organisations: [String]?
        /// Display names of those organisations, by number, where known.
        public let organisationNames: [String: String]?
        public let rights: [Right]?
        public let minimumLevel: Int?
        public let message: String?
    }

    /// Asks for an eID challenge.
    public func challenge(application: String, cardBinding: String?) throws -> Challenge {
        var body = ["application": application]
        if let cardBinding { body["cardBinding"] = cardBinding }
        return try call("POST", "/v1/eid/challenge", body: body)
    }

    /// Answers a challenge with the card's signature and certificates (DER).
    public func login(transactionID: String, signature: [UInt8], certificate: [UInt8], intermediates: [[UInt8]]) throws -> Issued {
        struct Body: Encodable {
            let transactionId: String
            let signature: Data
            let certificate: Data
            let intermediates: [Data]
        }
        return try call("POST", "/v1/eid/login", body: Body(transactionId: transactionID, signature: Data(signature),
                                                             certificate: Data(certificate), intermediates: intermediates.map { Data($0) }))
    }

    /// Chooses the organisation to act for (nil: let the server pick the only one).
    public func chooseOrganisation(token: String, application: String, organisation: String?) throws -> Decision {
        var body = ["application": application]
        if let organisation { body["organisation"] = organisation }
        return try call("POST", "/v1/session/organisation", body: body, token: token, acceptedStatuses: [200, 403])
    }

    /// Ends the session (logout).
    public func logout(token: String) throws {
        let _: Empty = try call("DELETE", "/v1/session", body: nil as Empty?, token: token)
    }

    private struct Empty: Codable {}

    private struct Problem: Decodable {
        struct Detail: Decodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    private func call<Body: Encodable, Answer: Decodable>(_ method: String, _ path: String, body: Body?, token: String? = nil,
                                                          acceptedStatuses: Set<Int> = []) throws -> Answer {
        var headers = [HTTPHeader("Accept", "application/json")]
        var bytes: [UInt8]?
        if let body {
            bytes = Array(try JSONEncoder().encode(body))
            headers.append(HTTPHeader("Content-Type", "application/json"))
        }
        if let token { headers.append(HTTPHeader("Authorization", "Bearer \(token)")) }
        let reply = try http.send(HTTPRequest(method: method, url: base + path, headers: headers, body: bytes))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard (200..<300).contains(reply.status) || acceptedStatuses.contains(reply.status) else {
            let problem = try? decoder.decode(Problem.self, from: Data(reply.body))
            throw Refusal(status: reply.status, code: problem?.error.code ?? "http.\(reply.status)", message: problem?.error.message ?? "no details")
        }
        if reply.status == 204 || reply.body.isEmpty, let empty = Empty() as? Answer { return empty }
        return try decoder.decode(Answer.self, from: Data(reply.body))
    }
}
