import Foundation
import Transport

/// Sends SMS codes through an HTTP gateway described by an ``SMSGatewayConfiguration``.
///
/// Errors never carry the phone number, the code or the message text: a gateway failure is
/// ``OneTimeCodesError`` `delivery` naming the gateway host and the libcurl code or HTTP status.
public struct SMSGatewaySender: CodeSender {
    /// The gateway description.
    public let configuration: SMSGatewayConfiguration
    private let authValue: String?
    private let client: HTTPClient

    /// - Parameters:
    ///   - configuration: the gateway; it is validated here.
    ///   - environment: where ``SMSGatewayConfiguration/authHeaderValueEnvironment`` is looked up.
    /// - Throws: ``OneTimeCodesError`` `invalidInput` for a bad configuration or a missing credential.
    public init(
        configuration: SMSGatewayConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(OneTimeCodesError) {
        try configuration.validate()
        self.configuration = configuration
        self.authValue = try configuration.resolvedAuthValue(environment: environment)
        self.client = HTTPClient(configuration: .init(
            connectTimeout: configuration.connectTimeout,
            totalTimeout: configuration.totalTimeout,
            maxBodySize: 64 << 10,
            userAgent: "Sleutel SMS"
        ))
    }

    /// Sends the code; returns when the gateway answered with a success status.
    /// - Throws: ``OneTimeCodesError`` `invalidInput` (not SMS, number not E.164) or `delivery`.
    public func send(_ message: OutgoingCode) async throws(OneTimeCodesError) {
        let request = try request(for: message)
        let host = Self.host(of: configuration.url)
        let response: HTTPResponse
        do {
            response = try await client.send(request)
        } catch let error as TransportError {
            throw OneTimeCodesError(.delivery, "SMS gateway \(host) failed: \(Self.summary(of: error))")
        } catch {
            throw OneTimeCodesError(.delivery, "SMS gateway \(host) failed")
        }
        guard configuration.accepts(status: response.status) else {
            throw OneTimeCodesError(.delivery, "SMS gateway \(host) answered HTTP \(response.status)")
        }
    }

    /// The HTTP request that ``send(_:)`` makes for `message` (for tests and dry runs).
    /// - Throws: ``OneTimeCodesError`` `invalidInput` when the message is not an SMS to an E.164 number.
    public func request(for message: OutgoingCode) throws(OneTimeCodesError) -> HTTPRequest {
        guard message.channel == .sms else {
            throw OneTimeCodesError(.invalidInput, "the SMS gateway sends SMS codes only")
        }
        guard Self.isE164(message.destination) else {
            throw OneTimeCodesError(.invalidInput, "phone number is not in E.164 form (+ and 8 to 15 digits)")
        }
        guard !message.code.isEmpty, message.code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw OneTimeCodesError(.invalidInput, "a code is ASCII letters and digits")
        }
        let minutes = String(message.validMinutes)
        let text = configuration.messageTemplate.render(["code": message.code, "minutes": minutes])
        let values = ["to": message.destination, "code": message.code, "minutes": minutes, "message": text]
        let url = MessageTemplate(configuration.url).render(values) { TemplateEscaping.percentEncoded($0, spaceAsPlus: false) }

        var headers: [HTTPHeader] = []
        var body: [UInt8]?
        if let template = configuration.bodyTemplate, let contentType = configuration.contentType,
           let escaping = TemplateEscaping(contentType: contentType) {
            body = Array(template.render(values, escape: escaping.escape).utf8)
            headers.append(HTTPHeader("Content-Type", contentType))
        }
        for (name, value) in configuration.headers.sorted(by: { $0.key < $1.key }) {
            headers.append(HTTPHeader(name, value))
        }
        if let name = configuration.authHeaderName, let authValue {
            headers.append(HTTPHeader(name, authValue))
        }
        return HTTPRequest(method: configuration.method, url: url, headers: headers, body: body)
    }

    /// `+` then 8 to 15 digits, the first not 0.
    static func isE164(_ number: String) -> Bool {
        let bytes = Array(number.utf8)
        guard bytes.count >= 9, bytes.count <= 16, bytes[0] == UInt8(ascii: "+"), bytes[1] != UInt8(ascii: "0") else { return false }
        return bytes.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Scheme and host of the configured URL (never the path or query, which may carry values).
    static func host(of url: String) -> String {
        guard let components = URLComponents(string: url.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")),
              let host = components.host else { return "(unparsable url)" }
        return "\(components.scheme ?? "http")://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }

    /// The transport failure in a few words: the libcurl code name, or the kind of request problem.
    static func summary(of error: TransportError) -> String {
        if error.code == .invalidRequest { return "request refused before sending: \(error.reason)" }
        let reason = error.reason
        if let range = reason.range(of: #"CURLE_[A-Z_0-9]+ \(\d+\)"#, options: .regularExpression) {
            return String(reason[range])
        }
        return "\(error.code)"
    }
}
