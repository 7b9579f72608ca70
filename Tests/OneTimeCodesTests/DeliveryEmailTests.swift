import Foundation
import OneTimeCodes
import SleutelTestSupport
import Testing
import Transport

@Suite("EmailCodeSender")
struct DeliveryEmailTests {
    static func sender(_ smtp: SMTPClient.Configuration) throws -> EmailCodeSender {
        try EmailCodeSender(configuration: .init(smtp: smtp, from: "noreply@sleutel.test"))
    }

    static func code() -> String { String(format: "%06d", Int.random(in: 0...999_999)) }

    @Test("the code arrives at the SMTP server: bilingual UTF-8 text, encoded subject, auto-generated", .smtpSink)
    func plain() async throws {
        let recipient = DeliverySinks.uniqueAddress()
        let code = Self.code()
        try await Self.sender(.init(url: DeliverySinks.plainURL)).send(OutgoingCode(channel: .email, destination: recipient, code: code, validMinutes: 5))
        let mail = try #require(try DeliverySinks.mails(to: recipient).first)
        let parsed = try DeliverySinks.parse(mail)
        #expect(parsed["subject"] as? String == "Sleutel – uw beveiligingscode / your security code")
        #expect(parsed["from_name"] as? String == "Sleutel")
        #expect(parsed["from_address"] as? String == "noreply@sleutel.test")
        #expect(parsed["to"] as? [String] == [recipient])
        #expect(parsed["charset"] as? String == "utf-8")
        #expect(parsed["transfer_encoding"] as? String == "quoted-printable")
        #expect(parsed["auto_submitted"] as? String == "auto-generated")
        #expect((parsed["defects"] as? [String])?.isEmpty == true)
        let body = try #require(parsed["body"] as? String)
        #expect(body.contains("Uw beveiligingscode voor Sleutel is: \(code)"))
        #expect(body.contains("Your Sleutel security code is: \(code)"))
        #expect(body.contains("5 minuten geldig en kan één keer gebruikt worden"))
        #expect(body.contains("valid for 5 minutes"))
        // The subject never carries the code.
        #expect(!(parsed["subject"] as? String ?? "").contains(code))
    }

    @Test("STARTTLS required with AUTH and the test CA", .smtpSink, .enabled(if: DeliverySinks.caFile != nil))
    func startTLS() async throws {
        let recipient = DeliverySinks.uniqueAddress()
        let sender = try Self.sender(.init(
            url: DeliverySinks.startTLSURL, tls: .required, username: DeliverySinks.user, password: DeliverySinks.password, caFile: DeliverySinks.caFile
        ))
        try await sender.send(OutgoingCode(channel: .email, destination: recipient, code: Self.code(), validMinutes: 5))
        let mail = try #require(try DeliverySinks.mails(to: recipient).first)
        #expect(mail.tls)
        #expect(mail.auth == DeliverySinks.user)
    }

    @Test("a configured template in one language", .smtpSink)
    func customTemplate() async throws {
        let recipient = DeliverySinks.uniqueAddress()
        let code = Self.code()
        let sender = try EmailCodeSender(configuration: .init(
            smtp: .init(url: DeliverySinks.plainURL),
            from: "codes@gemeente.test",
            fromName: "Gemeente Gent",
            subject: MessageTemplate("Uw code (geldig {minutes} min)"),
            body: MessageTemplate("Code: {code}\nGeldig: {minutes} minuten.\nLiteral { braces } stay.")
        ))
        try await sender.send(OutgoingCode(channel: .email, destination: recipient, code: code, validMinutes: 10))
        let parsed = try DeliverySinks.parse(try #require(try DeliverySinks.mails(to: recipient).first))
        #expect(parsed["subject"] as? String == "Uw code (geldig 10 min)")
        #expect(parsed["from_name"] as? String == "Gemeente Gent")
        #expect((parsed["body"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n") == "Code: \(code)\nGeldig: 10 minuten.\nLiteral { braces } stay.\n")
    }

    @Test("a refused recipient is a delivery error without the address or the code", .smtpSink)
    func refused() async throws {
        let recipient = DeliverySinks.uniqueAddress("refuse")
        let code = Self.code()
        let error = await expectOTPError {
            try await Self.sender(.init(url: DeliverySinks.plainURL)).send(OutgoingCode(channel: .email, destination: recipient, code: code, validMinutes: 5))
        }
        #expect(error?.code == .delivery)
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("550"), "\(text)")
        #expect(!text.contains(recipient))
        #expect(!text.contains(String(recipient.split(separator: "@")[0])))
        #expect(!text.contains(code))
    }

    @Test("server down is a delivery error without the address or the code")
    func down() async throws {
        let recipient = DeliverySinks.uniqueAddress()
        let code = Self.code()
        let sender = try Self.sender(.init(url: "smtp://127.0.0.1:\(DeliverySinks.downPort)", connectTimeout: 2, totalTimeout: 3))
        let error = await expectOTPError { try await sender.send(OutgoingCode(channel: .email, destination: recipient, code: code, validMinutes: 5)) }
        #expect(error?.code == .delivery)
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("CURLE_COULDNT_CONNECT"), "\(text)")
        #expect(!text.contains(recipient) && !text.contains(code))
    }

    @Test("unusable or injected destinations are invalidInput and nothing is sent", arguments: [
        "person@example.test\r\nBcc: other@example.test", "not-an-address", "a@b.test>", "a b@example.test",
    ])
    func badDestination(destination: String) async throws {
        let sender = try Self.sender(.init(url: "smtp://127.0.0.1:\(DeliverySinks.downPort)"))
        let error = await expectOTPError { try await sender.send(OutgoingCode(channel: .email, destination: destination, code: "123456", validMinutes: 5)) }
        #expect(error?.code == .invalidInput)
        #expect(error?.reason.contains(destination) == false)
        #expect(error?.reason.contains("123456") == false)
    }

    @Test("an SMS code is not sent by e-mail")
    func wrongChannel() async throws {
        let sender = try Self.sender(.init(url: "smtp://127.0.0.1:\(DeliverySinks.downPort)"))
        let error = await expectOTPError { try await sender.send(OutgoingCode(channel: .sms, destination: "+32470123456", code: "1", validMinutes: 5)) }
        #expect(error?.code == .invalidInput)
    }

    @Test("templates: unknown placeholders, a body without {code} and a bad sender are refused")
    func badConfiguration() {
        let smtp = SMTPClient.Configuration(url: "smtp://127.0.0.1:25")
        #expect(expectOTPErrorSync {
            _ = try EmailCodeSender(configuration: .init(smtp: smtp, from: "a@b.test", body: MessageTemplate("{code} {cod}")))
        }?.code == .invalidInput)
        #expect(expectOTPErrorSync {
            _ = try EmailCodeSender(configuration: .init(smtp: smtp, from: "a@b.test", body: MessageTemplate("no code")))
        }?.code == .invalidInput)
        #expect(expectOTPErrorSync {
            _ = try EmailCodeSender(configuration: .init(smtp: smtp, from: "a@b.test", subject: MessageTemplate("{code}")))
        }?.code == .invalidInput)
        #expect(expectOTPErrorSync { _ = try EmailCodeSender(configuration: .init(smtp: smtp, from: "a@b.test\r\nBcc: x@y.test")) }?.code == .invalidInput)
    }

    @Test("configuration from JSON; defaults for the texts")
    func json() throws {
        let json = #"{"smtp":{"url":"smtp://mail.example.be:587","tls":"required","username":"u","password":"p"},"from":"noreply@example.be"}"#
        let config = try JSONDecoder().decode(EmailCodeSender.Configuration.self, from: Data(json.utf8))
        #expect(config.smtp.tls == .required)
        #expect(config.body == EmailCodeSender.Configuration.defaultBody)
        #expect(config.fromName == "Sleutel")
        let sender = try EmailCodeSender(configuration: config)
        let mail = try sender.mail(for: OutgoingCode(channel: .email, destination: "p@example.be", code: "424242", validMinutes: 3))
        #expect(mail.text.contains("424242"))
        #expect(mail.to.map(\.address) == ["p@example.be"])
        #expect(mail.autoGenerated)
    }
}
