import Foundation
import OneTimeCodes
import SleutelTestSupport
import Testing
import Transport

@Suite("SMSGatewaySender")
struct DeliverySMSTests {
    static let number = "+32470123456"

    static func path() -> String { "/sms/\(UUID().uuidString.lowercased())" }
    static func code() -> String { String(format: "%06d", Int.random(in: 0...999_999)) }

    @Test("JSON template: body arrives exactly as configured, JSON-escaped, with the auth header", .httpSink)
    func json() async throws {
        let path = Self.path()
        let code = Self.code()
        let config = SMSGatewayConfiguration(
            url: DeliverySinks.httpBase + path,
            contentType: "application/json; charset=utf-8",
            bodyTemplate: MessageTemplate(#"{"to":"{to}","text":"{message}","ref":"sleutel"}"#),
            messageTemplate: MessageTemplate("Code \"{code}\"\\geldig {minutes}′\nbye"),
            authHeaderName: "Authorization",
            authHeaderValue: "Bearer test-token-1"
        )
        try await SMSGatewaySender(configuration: config).send(OutgoingCode(channel: .sms, destination: Self.number, code: code, validMinutes: 5))
        let request = try #require(try DeliverySinks.requests(path: path).first)
        #expect(request.method == "POST")
        #expect(request.header("Authorization") == "Bearer test-token-1")
        #expect(request.header("Content-Type") == "application/json; charset=utf-8")
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(body == #"{"to":"+32470123456","text":"Code \"\#(code)\"\\geldig 5′\nbye","ref":"sleutel"}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String])
        #expect(object["text"] == "Code \"\(code)\"\\geldig 5′\nbye")
        #expect(object["to"] == Self.number)
    }

    @Test("form template: percent-encoded body; URL placeholders percent-encoded; custom header; PUT", .httpSink)
    func form() async throws {
        let path = Self.path()
        let code = Self.code()
        let config = SMSGatewayConfiguration(
            url: DeliverySinks.httpBase + path + "?sender=Sleutel&to={to}",
            method: "PUT",
            contentType: "application/x-www-form-urlencoded",
            bodyTemplate: MessageTemplate("recipient={to}&body={message}&code={code}"),
            authHeaderName: "X-Api-Key",
            authHeaderValueEnvironment: "SLEUTEL_TEST_SMS_KEY",
            headers: ["X-Tenant": "gent"]
        )
        let sender = try SMSGatewaySender(configuration: config, environment: ["SLEUTEL_TEST_SMS_KEY": "key-from-env"])
        try await sender.send(OutgoingCode(channel: .sms, destination: Self.number, code: code, validMinutes: 5))
        let request = try #require(try DeliverySinks.requests(path: path).first)
        #expect(request.method == "PUT")
        #expect(request.query == "sender=Sleutel&to=%2B32470123456")
        #expect(request.header("X-Api-Key") == "key-from-env")
        #expect(request.header("X-Tenant") == "gent")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        let message = SMSGatewayConfiguration.defaultMessage.render(["code": code, "minutes": "5"])
        let expected = "recipient=%2B32470123456&body=" + Self.formEncoded(message) + "&code=\(code)"
        #expect(String(decoding: request.body, as: UTF8.self) == expected)
        // A form decoder reads the values back.
        var components = URLComponents()
        components.percentEncodedQuery = String(decoding: request.body, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
        let items = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items["recipient"] == Self.number)
        #expect(items["body"] == message)
        #expect(items["code"] == code)
    }

    static func formEncoded(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || [0x2D, 0x2E, 0x5F, 0x7E].contains(byte) {
                out.append(Character(Unicode.Scalar(byte)))
            } else if byte == 0x20 {
                out += "+"
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    @Test("a GET gateway with everything in the query string", .httpSink)
    func getQuery() async throws {
        let path = Self.path()
        let code = Self.code()
        let config = SMSGatewayConfiguration(url: DeliverySinks.httpBase + path + "?to={to}&code={code}&text={message}", method: "GET", contentType: nil)
        try await SMSGatewaySender(configuration: config).send(OutgoingCode(channel: .sms, destination: Self.number, code: code, validMinutes: 5))
        let request = try #require(try DeliverySinks.requests(path: path).first)
        #expect(request.method == "GET")
        #expect(request.body.isEmpty)
        let items = URLComponents(string: "http://x/?" + request.query)?.queryItems ?? []
        #expect(items.first { $0.name == "to" }?.value == Self.number)
        #expect(items.first { $0.name == "code" }?.value == code)
        #expect(items.first { $0.name == "text" }?.value == SMSGatewayConfiguration.defaultMessage.render(["code": code, "minutes": "5"]))
    }

    @Test("HTTP 500 is a delivery error without the code or the number", .httpSink)
    func serverError() async throws {
        let code = Self.code()
        let config = SMSGatewayConfiguration(url: DeliverySinks.httpBase + "/fail500?to={to}", bodyTemplate: MessageTemplate(#"{"to":"{to}","c":"{code}"}"#))
        let error = await expectOTPError {
            try await SMSGatewaySender(configuration: config).send(OutgoingCode(channel: .sms, destination: Self.number, code: code, validMinutes: 5))
        }
        #expect(error?.code == .delivery)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("HTTP 500"), "\(text)")
        #expect(!text.contains(code) && !text.contains("32470123456"))
    }

    @Test("a status outside successStatuses is a delivery error", .httpSink)
    func unexpectedStatus() async throws {
        var config = SMSGatewayConfiguration(url: DeliverySinks.httpBase + "/status/202", bodyTemplate: MessageTemplate(#"{"to":"{to}","m":"{message}"}"#))
        config.successStatuses = [200]
        let error = await expectOTPError {
            try await SMSGatewaySender(configuration: config).send(OutgoingCode(channel: .sms, destination: Self.number, code: "111111", validMinutes: 5))
        }
        #expect(error?.code == .delivery)
        config.successStatuses = [200, 202]
        try await SMSGatewaySender(configuration: config).send(OutgoingCode(channel: .sms, destination: Self.number, code: "111111", validMinutes: 5))
    }

    @Test("a gateway that does not answer in time is a delivery error without the code or the number", .httpSink)
    func timeout() async throws {
        let code = Self.code()
        var config = SMSGatewayConfiguration(url: DeliverySinks.httpBase + "/slow?seconds=3&to={to}&code={code}")
        config.totalTimeout = 1
        config.contentType = nil
        let start = Date()
        let error = await expectOTPError {
            try await SMSGatewaySender(configuration: config).send(OutgoingCode(channel: .sms, destination: Self.number, code: code, validMinutes: 5))
        }
        #expect(Date().timeIntervalSince(start) < 2.5)
        #expect(error?.code == .delivery)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("CURLE_OPERATION_TIMEDOUT"), "\(text)")
        #expect(!text.contains(code) && !text.contains("32470123456"))
    }

    @Test("gateway down is a delivery error")
    func down() async throws {
        let config = SMSGatewayConfiguration(
            url: "http://127.0.0.1:\(DeliverySinks.downPort)/send?to={to}&m={message}", contentType: nil, connectTimeout: 2, totalTimeout: 3
        )
        let error = await expectOTPError {
            try await SMSGatewaySender(configuration: config).send(OutgoingCode(channel: .sms, destination: Self.number, code: "222222", validMinutes: 5))
        }
        #expect(error?.code == .delivery)
        #expect(error?.reason.contains("CURLE_COULDNT_CONNECT") == true, "\(String(describing: error))")
        #expect(error?.reason.contains("222222") == false)
    }

    @Test("numbers not in E.164 form, and e-mail codes, are refused", arguments: [
        "0470123456", "+0470123456", "+32 470 12 34 56", "+32470123456\r\nX: y", "+3247", "+1234567890123456", "+32470abc456",
    ])
    func badNumbers(number: String) async throws {
        let sender = try SMSGatewaySender(configuration: SMSGatewayConfiguration(url: "http://127.0.0.1:1/?to={to}&c={code}", contentType: nil))
        let error = await expectOTPError { try await sender.send(OutgoingCode(channel: .sms, destination: number, code: "123456", validMinutes: 5)) }
        #expect(error?.code == .invalidInput)
        #expect(error?.reason.contains(number) == false)
        let email = await expectOTPError { try await sender.send(OutgoingCode(channel: .email, destination: "a@b.test", code: "1", validMinutes: 5)) }
        #expect(email?.code == .invalidInput)
    }

    @Test("configuration from JSON, with defaults; the credential never shows up in descriptions")
    func loadJSON() throws {
        let json = #"""
        {"url": "https://sms.example.be/v1/messages", "contentType": "application/json",
         "bodyTemplate": "{\"to\":\"{to}\",\"text\":\"{message}\"}",
         "authHeaderName": "Authorization", "authHeaderValue": "Bearer s3cr3t-value", "successStatuses": [200, 202]}
        """#
        let config = try SMSGatewayConfiguration(json: Data(json.utf8))
        #expect(config.method == "POST")
        #expect(config.messageTemplate == SMSGatewayConfiguration.defaultMessage)
        #expect(config.successStatuses == [200, 202])
        #expect(config.accepts(status: 202) && !config.accepts(status: 204))
        #expect(!"\(config)".contains("s3cr3t"))
        let sender = try SMSGatewaySender(configuration: config)
        let request = try sender.request(for: OutgoingCode(channel: .sms, destination: Self.number, code: "654321", validMinutes: 5))
        #expect(request.url == "https://sms.example.be/v1/messages")
        #expect(String(decoding: request.body ?? [], as: UTF8.self).contains(#""to":"+32470123456""#))
        #expect(request.headers.contains(HTTPHeader("Authorization", "Bearer s3cr3t-value")))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sms-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try SMSGatewayConfiguration.load(contentsOf: file) == config)
    }

    @Test("bad configurations are refused with invalidInput", arguments: [
        #"not json"#,
        #"{"method": "POST"}"#,
        #"{"url": "ftp://x/{to}{code}"}"#,
        #"{"url": "http://x/?to={to}&c={cod}"}"#,
        #"{"url": "http://x/", "bodyTemplate": "{\"to\":\"{to}\",\"m\":\"{message}\"}", "contentType": "application/octet-stream"}"#,
        #"{"url": "http://x/", "bodyTemplate": "{\"to\":\"{to}\"}"}"#,
        #"{"url": "http://x/?m={message}"}"#,
        #"{"url": "http://x/?to={to}&m={message}", "messageTemplate": "no code here"}"#,
        #"{"url": "http://x/?to={to}&m={message}", "authHeaderName": "Authorization"}"#,
        #"{"url": "http://x/?to={to}&m={message}", "successStatuses": [700]}"#,
        #"{"url": "http://x/?to={to}&m={message}", "totalTimeout": 0}"#,
        #"{"url": 5}"#,
    ])
    func badConfiguration(json: String) {
        let error = expectOTPErrorSync { _ = try SMSGatewayConfiguration(json: Data(json.utf8)) }
        #expect(error?.code == .invalidInput)
    }

    @Test("a missing environment credential is refused at start")
    func missingEnvironment() {
        let config = SMSGatewayConfiguration(
            url: "http://x/?to={to}&m={message}", contentType: nil, authHeaderName: "X-Key", authHeaderValueEnvironment: "SLEUTEL_NOT_SET_ANYWHERE"
        )
        #expect(expectOTPErrorSync { _ = try SMSGatewaySender(configuration: config, environment: [:]) }?.code == .invalidInput)
    }

    @Test("templates fill in one pass; JSON braces and unknown names stay; values are escaped per content type")
    func templates() {
        let template = MessageTemplate(#"{"a":"{to}","b":{"c":"{code}"},"d":"{x1}"}"#)
        #expect(template.placeholders == ["to", "code", "x1"])
        #expect(template.render(["to": "{code}", "code": "7"]) == #"{"a":"{code}","b":{"c":"7"},"d":"{x1}"}"#)
        let xml = SMSGatewayConfiguration(
            url: "http://x/", contentType: "application/xml",
            bodyTemplate: MessageTemplate("<sms to=\"{to}\">{message}</sms>"), messageTemplate: MessageTemplate("<{code}> & 'ok'")
        )
        let request = try? SMSGatewaySender(configuration: xml).request(for: OutgoingCode(channel: .sms, destination: Self.number, code: "12", validMinutes: 1))
        #expect(String(decoding: request?.body ?? [], as: UTF8.self) == "<sms to=\"+32470123456\">&lt;12&gt; &amp; &apos;ok&apos;</sms>")
    }
}
