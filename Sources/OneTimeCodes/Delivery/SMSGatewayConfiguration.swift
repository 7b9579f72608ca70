import Foundation

/// How to reach an HTTP SMS gateway: URL, method, body template, content type, an auth header
/// and the statuses that mean "accepted". Loaded from JSON, for example:
///
/// ```json
/// {
///   "url": "https://sms.example.be/v1/messages",
///   "method": "POST",
///   "contentType": "application/json",
///   "bodyTemplate": "{\"to\":\"{to}\",\"text\":\"{message}\"}",
///   "authHeaderName": "Authorization",
///   "authHeaderValueEnvironment": "SLEUTEL_SMS_TOKEN",
///   "successStatuses": [200, 202]
/// }
/// ```
///
/// Placeholders: `{to}` (E.164 number), `{code}`, `{minutes}` and `{message}` (the
/// ``messageTemplate`` filled in) in the URL and body; `{code}` and `{minutes}` in the message.
/// Values are escaped for where they land: percent-encoded in the URL and in form bodies,
/// JSON-escaped in `application/json` bodies, entity-escaped in XML bodies.
///
/// `description` hides the auth header value.
public struct SMSGatewayConfiguration: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The default message, in Dutch and English.
    public static let defaultMessage = MessageTemplate(
        "Sleutel: uw beveiligingscode is {code} ({minutes} min geldig). Your security code is {code} (valid {minutes} min)."
    )

    /// The gateway URL (`http` or `https`), may hold placeholders.
    public var url: String
    /// The HTTP method (default `POST`).
    public var method: String
    /// The Content-Type of the body; it also chooses how values are escaped.
    public var contentType: String?
    /// The body, with placeholders; nil sends no body.
    public var bodyTemplate: MessageTemplate?
    /// The SMS text, with `{code}` and `{minutes}`.
    public var messageTemplate: MessageTemplate
    /// The name of the header carrying the gateway credential (e.g. `Authorization`).
    public var authHeaderName: String?
    /// The credential itself (e.g. `Bearer …`); prefer ``authHeaderValueEnvironment``.
    public var authHeaderValue: String?
    /// The name of an environment variable holding the credential.
    public var authHeaderValueEnvironment: String?
    /// Further fixed headers.
    public var headers: [String: String]
    /// The statuses meaning the gateway took the message; empty means any 2xx.
    public var successStatuses: [Int]
    /// Seconds allowed to connect.
    public var connectTimeout: TimeInterval
    /// Seconds allowed for the whole request.
    public var totalTimeout: TimeInterval

    /// - Parameters: see the properties; only `url` is required.
    public init(
        url: String,
        method: String = "POST",
        contentType: String? = "application/json",
        bodyTemplate: MessageTemplate? = nil,
        messageTemplate: MessageTemplate = SMSGatewayConfiguration.defaultMessage,
        authHeaderName: String? = nil,
        authHeaderValue: String? = nil,
        authHeaderValueEnvironment: String? = nil,
        headers: [String: String] = [:],
        successStatuses: [Int] = [],
        connectTimeout: TimeInterval = 5,
        totalTimeout: TimeInterval = 10
    ) {
        self.url = url
        self.method = method
        self.contentType = contentType
        self.bodyTemplate = bodyTemplate
        self.messageTemplate = messageTemplate
        self.authHeaderName = authHeaderName
        self.authHeaderValue = authHeaderValue
        self.authHeaderValueEnvironment = authHeaderValueEnvironment
        self.headers = headers
        self.successStatuses = successStatuses
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }

    private enum CodingKeys: String, CodingKey {
        case url, method, contentType, bodyTemplate, messageTemplate, authHeaderName, authHeaderValue
        case authHeaderValueEnvironment, headers, successStatuses, connectTimeout, totalTimeout
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            url: try c.decode(String.self, forKey: .url),
            method: try c.decodeIfPresent(String.self, forKey: .method) ?? "POST",
            contentType: try c.decodeIfPresent(String.self, forKey: .contentType),
            bodyTemplate: try c.decodeIfPresent(MessageTemplate.self, forKey: .bodyTemplate),
            messageTemplate: try c.decodeIfPresent(MessageTemplate.self, forKey: .messageTemplate) ?? Self.defaultMessage,
            authHeaderName: try c.decodeIfPresent(String.self, forKey: .authHeaderName),
            authHeaderValue: try c.decodeIfPresent(String.self, forKey: .authHeaderValue),
            authHeaderValueEnvironment: try c.decodeIfPresent(String.self, forKey: .authHeaderValueEnvironment),
            headers: try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:],
            successStatuses: try c.decodeIfPresent([Int].self, forKey: .successStatuses) ?? [],
            connectTimeout: try c.decodeIfPresent(TimeInterval.self, forKey: .connectTimeout) ?? 5,
            totalTimeout: try c.decodeIfPresent(TimeInterval.self, forKey: .totalTimeout) ?? 10
        )
    }

    /// Reads a configuration from JSON and checks it.
    /// - Throws: ``OneTimeCodesError`` `invalidInput` naming the problem (never the credential).
    public init(json: Data) throws(OneTimeCodesError) {
        do {
            self = try JSONDecoder().decode(Self.self, from: json)
        } catch {
            throw OneTimeCodesError(.invalidInput, "SMS gateway configuration is not valid JSON of the expected shape: \(Self.decodingProblem(error))")
        }
        try validate()
    }

    /// Reads and checks a JSON configuration file.
    public static func load(contentsOf file: URL) throws(OneTimeCodesError) -> SMSGatewayConfiguration {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw OneTimeCodesError(.invalidInput, "cannot read the SMS gateway configuration \(file.lastPathComponent)")
        }
        return try SMSGatewayConfiguration(json: data)
    }

    /// Placeholders allowed in the URL and body.
    public static let requestPlaceholders: Set<String> = ["to", "code", "minutes", "message"]
    /// Placeholders allowed in the message text.
    public static let messagePlaceholders: Set<String> = ["code", "minutes"]

    /// Checks the URL scheme, placeholders, content type, headers, statuses and timeouts.
    /// - Throws: ``OneTimeCodesError`` `invalidInput`.
    public func validate() throws(OneTimeCodesError) {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw OneTimeCodesError(.invalidInput, "SMS gateway url must be http:// or https://")
        }
        try MessageTemplate(url).validate(allowed: Self.requestPlaceholders, context: "SMS gateway url")
        try messageTemplate.validate(allowed: Self.messagePlaceholders, context: "SMS messageTemplate")
        guard messageTemplate.placeholders.contains("code") else {
            throw OneTimeCodesError(.invalidInput, "SMS messageTemplate must contain {code}")
        }
        if let bodyTemplate {
            try bodyTemplate.validate(allowed: Self.requestPlaceholders, context: "SMS gateway bodyTemplate")
            guard let contentType else {
                throw OneTimeCodesError(.invalidInput, "SMS gateway bodyTemplate needs a contentType")
            }
            guard TemplateEscaping(contentType: contentType) != nil else {
                throw OneTimeCodesError(
                    .invalidInput,
                    "SMS gateway contentType must be application/json, application/x-www-form-urlencoded, application/xml or text/plain"
                )
            }
        }
        let usesCode = MessageTemplate(url).placeholders + (bodyTemplate?.placeholders ?? [])
        guard usesCode.contains("code") || usesCode.contains("message") else {
            throw OneTimeCodesError(.invalidInput, "SMS gateway url or bodyTemplate must contain {message} or {code}")
        }
        guard usesCode.contains("to") else {
            throw OneTimeCodesError(.invalidInput, "SMS gateway url or bodyTemplate must contain {to}")
        }
        if authHeaderName != nil, authHeaderValue == nil, authHeaderValueEnvironment == nil {
            throw OneTimeCodesError(.invalidInput, "SMS gateway authHeaderName needs authHeaderValue or authHeaderValueEnvironment")
        }
        guard successStatuses.allSatisfy({ (100...599).contains($0) }) else {
            throw OneTimeCodesError(.invalidInput, "SMS gateway successStatuses must be HTTP statuses (100-599)")
        }
        guard connectTimeout > 0, totalTimeout > 0, connectTimeout.isFinite, totalTimeout.isFinite else {
            throw OneTimeCodesError(.invalidInput, "SMS gateway timeouts must be positive")
        }
    }

    /// The credential: the value, or the environment variable's content.
    /// - Throws: ``OneTimeCodesError`` `invalidInput` when the variable is not set.
    func resolvedAuthValue(environment: [String: String]) throws(OneTimeCodesError) -> String? {
        guard authHeaderName != nil else { return nil }
        if let authHeaderValue { return authHeaderValue }
        guard let name = authHeaderValueEnvironment, let value = environment[name], !value.isEmpty else {
            throw OneTimeCodesError(.invalidInput, "SMS gateway credential: environment variable \(authHeaderValueEnvironment ?? "?") is not set")
        }
        return value
    }

    /// Whether `status` means the gateway took the message.
    public func accepts(status: Int) -> Bool {
        successStatuses.isEmpty ? (200...299).contains(status) : successStatuses.contains(status)
    }

    public var description: String {
        "SMSGatewayConfiguration(url: \(url), method: \(method), contentType: \(contentType ?? "none"), "
            + "auth: \(authHeaderName.map { "\($0): <redacted>" } ?? "none"))"
    }

    private static func decodingProblem(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _): return "missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not a JSON object" : "wrong type at \(path)"
        default: return "unreadable"
        }
    }
}
