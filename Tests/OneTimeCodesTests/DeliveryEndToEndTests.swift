import Foundation
import OneTimeCodes
import SleutelTestSupport
import Testing
import Transport

@Suite("Challenges delivered through the real SMTP and HTTP sinks")
struct DeliveryEndToEndTests {
    @Test("e-mail: enrol, confirm and log in with codes read back from the SMTP server", .smtpSink)
    func email() async throws {
        let sender = try EmailCodeSender(configuration: .init(smtp: .init(url: DeliverySinks.plainURL), from: "noreply@sleutel.test"))
        let f = try OTPFixture(senders: [.email: sender])
        let address = DeliverySinks.uniqueAddress()
        func codes() throws -> [String] {
            try DeliverySinks.mails(to: address).map { mail in
                let body = try DeliverySinks.parse(mail)["body"] as? String ?? ""
                let range = try #require(body.range(of: #"is: \d{6}"#, options: .regularExpression))
                return String(body[range].suffix(6))
            }
        }
        let ticket = try await f.service.enrollDestination(authority: f.authority(), channel: .email, destination: address)
        let confirmation = try #require(try codes().first)
        try f.service.confirmDestination(person: OTPFixture.person, challengeID: ticket.id, code: confirmation)
        f.clock.advance(61)
        let login = try await f.service.startChallenge(person: OTPFixture.person, channel: .email)
        var all = try codes()
        for _ in 0..<100 where all.count < 2 { try await Task.sleep(for: .milliseconds(50)); all = try codes() }
        let code = try #require(all.first { $0 != confirmation } ?? (all.count == 2 ? all[1] : nil))
        #expect(try f.service.verifyChallenge(id: login.id, code: code, source: "t").kind == .email)
        expectOTP(.rejected) { try f.service.verifyChallenge(id: login.id, code: code, source: "t") }
    }

    @Test("SMS: enrol, confirm and log in with codes read back from the HTTP gateway sink; expiry", .httpSink)
    func sms() async throws {
        let path = "/sms/\(UUID().uuidString.lowercased())"
        let gateway = SMSGatewayConfiguration(url: DeliverySinks.httpBase + path, contentType: "application/json",
                                              bodyTemplate: MessageTemplate(#"{"to":"{to}","text":"{message}","code":"{code}"}"#))
        let f = try OTPFixture(senders: [.sms: try SMSGatewaySender(configuration: gateway)])
        func codes() throws -> [String] {
            try DeliverySinks.requests(path: path).compactMap { request in
                (try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String])?["code"]
            }
        }
        let ticket = try await f.service.enrollDestination(authority: f.authority(), channel: .sms, destination: "+32470123456")
        #expect(try DeliverySinks.requests(path: path).first.map { String(decoding: $0.body, as: UTF8.self).contains("+32470123456") } == true)
        try f.service.confirmDestination(person: OTPFixture.person, challengeID: ticket.id, code: try #require(try codes().first))
        f.clock.advance(61)
        let login = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
        var all = try codes()
        for _ in 0..<100 where all.count < 2 { try await Task.sleep(for: .milliseconds(50)); all = try codes() }
        #expect(all.count == 2)
        f.clock.advance(301)
        expectOTP(.rejected) { try f.service.verifyChallenge(id: login.id, code: all[1], source: "t") }
        f.clock.advance(61)
        let again = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
        for _ in 0..<100 where all.count < 3 { try await Task.sleep(for: .milliseconds(50)); all = try codes() }
        #expect(try f.service.verifyChallenge(id: again.id, code: try #require(all.last), source: "t").kind == .sms)
    }
}
