import Foundation
import Testing
import Transport

@Suite("MailMessage: RFC 5322 / MIME rendering")
struct MailMessageTests {
    static let from = try! MailAddress("noreply@sleutel.test", displayName: "Sleutel")

    static func render(_ subject: String, _ text: String, to: String = "person@example.test") throws -> String {
        let message = MailMessage(
            from: from,
            to: [try MailAddress(to)],
            subject: subject,
            text: text,
            date: Date(timeIntervalSince1970: 1_795_394_855),  // Mon, 23 Nov 2026 00:47:35 UTC
            messageID: "abc.123@sleutel.test"
        )
        return String(decoding: try message.rendered(), as: UTF8.self)
    }

    static func headerBlock(_ rendered: String) -> String {
        String(rendered[..<rendered.range(of: "\r\n\r\n")!.lowerBound])
    }

    @Test("headers: Date, From, To, Subject, Message-ID, MIME UTF-8 text/plain; CRLF only; lines within 78")
    func headers() throws {
        let rendered = try Self.render("Your code", "Hello\nworld")
        let headers = Self.headerBlock(rendered)
        #expect(headers.hasPrefix("Date: Mon, 23 Nov 2026 00:47:35 +0000\r\n"))
        #expect(headers.contains("\r\nFrom: \"Sleutel\" <noreply@sleutel.test>\r\n"))
        #expect(headers.contains("\r\nTo: person@example.test\r\n"))
        #expect(headers.contains("\r\nSubject: Your code\r\n"))
        #expect(headers.contains("\r\nMessage-ID: <abc.123@sleutel.test>\r\n"))
        #expect(headers.contains("\r\nMIME-Version: 1.0\r\n"))
        #expect(headers.contains("\r\nContent-Type: text/plain; charset=UTF-8\r\n"))
        #expect(headers.hasSuffix("\r\nContent-Transfer-Encoding: quoted-printable"))
        #expect(rendered.hasSuffix("Hello\r\nworld\r\n"))
        let bytes = Array(rendered.utf8)
        for (i, byte) in bytes.enumerated() where byte == 0x0A {
            #expect(i > 0 && bytes[i - 1] == 0x0D, "bare LF at \(i)")
        }
        for line in rendered.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78, "\(line)") }
    }

    @Test("a generated Message-ID is unique and at the sender's domain")
    func generatedMessageID() throws {
        let a = MailMessage(from: Self.from, to: [try MailAddress("a@example.test")], subject: "s", text: "t")
        let b = MailMessage(from: Self.from, to: [try MailAddress("a@example.test")], subject: "s", text: "t")
        #expect(a.messageID != b.messageID)
        #expect(a.messageID.hasSuffix("@sleutel.test"))
    }

    @Test("a non-ASCII subject and display name become RFC 2047 encoded words of at most 75 characters")
    func encodedWords() throws {
        let subject = "Sleutel – uw beveiligingscode / your security code, één keer geldig: ✓"
        let from = try MailAddress("noreply@sleutel.test", displayName: "Sleutel België")
        let message = MailMessage(from: from, to: [try MailAddress("p@example.test")], subject: subject, text: "x")
        let headers = Self.headerBlock(String(decoding: try message.rendered(), as: UTF8.self))
        #expect(headers.contains("Subject: =?UTF-8?B?"))
        #expect(headers.contains("From: =?UTF-8?B?"))
        #expect(headers.unicodeScalars.allSatisfy { $0.isASCII })
        let words = headers.split(whereSeparator: { $0 == " " || $0 == "\r\n" }).filter { $0.hasPrefix("=?") }
        #expect(words.count >= 3)
        var decoded = Data()
        for word in words where word.count <= 75 {
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            if let data = Data(base64Encoded: String(payload)) { decoded.append(data) }
        }
        #expect(words.allSatisfy { $0.count <= 75 })
        #expect(String(decoding: decoded, as: UTF8.self) == "Sleutel België" + subject)
    }

    @Test("a long ASCII subject is folded at spaces; unfolding gives it back")
    func folding() throws {
        let subject = (1...30).map { "word\($0)" }.joined(separator: " ")
        let headers = Self.headerBlock(try Self.render(subject, "x"))
        let line = headers.components(separatedBy: "\r\nMessage-ID").first!.components(separatedBy: "Subject: ").last!
        #expect(line.contains("\r\n "))
        #expect(line.replacingOccurrences(of: "\r\n", with: "") == subject)
    }

    @Test("quoted-printable body: '=' and non-ASCII encoded, trailing space kept, lines at most 76")
    func quotedPrintable() throws {
        let text = "a=b café x\nend with space \n" + String(repeating: "0123456789", count: 20) + "\n.\n..dots"
        let rendered = try Self.render("s", text)
        let body = String(rendered[rendered.range(of: "\r\n\r\n")!.upperBound...])
        #expect(body.hasPrefix("a=3Db caf=C3=A9 x\r\nend with space=20\r\n"))
        for line in body.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76, "\(line)") }
        #expect(body.hasSuffix("\r\n.\r\n..dots\r\n"))
        // Decoding soft breaks and escapes gives the text back.
        var decoded: [UInt8] = []
        let bytes = Array(body.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "="), i + 2 < bytes.count, let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                decoded.append(v)
                i += 3
            } else {
                decoded.append(bytes[i])
                i += 1
            }
        }
        #expect(String(decoding: decoded, as: UTF8.self) == text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
    }

    @Test("header injection is refused with invalidRequest", arguments: [
        "Code\r\nBcc: victim@example.test", "Code\nX-Evil: 1", "Code\rX: 1", "Code\u{0}", "Code\u{2028}Bcc: x@y.test",
    ])
    func subjectInjection(subject: String) {
        let error = expectTransportError { _ = try Self.render(subject, "x") }
        #expect(error?.code == .invalidRequest)
        #expect(error?.reason.contains("injection") == true || error?.reason.contains("control") == true)
    }

    @Test("addresses with line breaks or bad syntax are refused without repeating them", arguments: [
        "victim@example.test\r\nBcc: other@example.test", "a@b.test\n", "no-at-sign", "@example.test", "a@", "a b@example.test",
        "<a@example.test>", "a@exa mple.test", "a..b@example.test", ".a@example.test", "a@-x.test", "\"q\"@example.test",
        "a@example.test,b@example.test", "é@example.test", String(repeating: "x", count: 65) + "@example.test",
    ])
    func badAddresses(address: String) {
        let error = expectTransportError { _ = try MailAddress(address) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.reason.contains(address) == false)
        #expect(error?.reason.contains("example.test") == false)
    }

    @Test("usual addresses are accepted", arguments: [
        "a@example.test", "first.last+tag@sub.example.be", "x_y-z@localhost", "o'brien@example.ie", "1234@123.example",
    ])
    func goodAddresses(address: String) throws {
        let parsed = try MailAddress(address)
        #expect(parsed.address == address)
    }

    @Test("display names with line breaks are refused")
    func displayNameInjection() {
        let error = expectTransportError { _ = try MailAddress("a@example.test", displayName: "Eve\r\nBcc: x@example.test") }
        #expect(error?.code == .invalidRequest)
    }

    @Test("an address prints only its domain; a configuration hides its password")
    func redaction() {
        let address = try! MailAddress("jan.peeters@example.be")
        #expect("\(address)" == "<…@example.be>")
        let config = SMTPClient.Configuration(url: "smtp://127.0.0.1:25", username: "u", password: "hunter2-secret")
        #expect(!"\(config)".contains("hunter2-secret"))
        #expect("\(config)".contains("<redacted>"))
    }

    @Test("no recipient, a bad Message-ID or an overlong subject are refused")
    func otherRefusals() throws {
        var message = MailMessage(from: Self.from, to: [], subject: "s", text: "t")
        #expect(expectTransportError { _ = try message.rendered() }?.code == .invalidRequest)
        message.to = [try MailAddress("a@example.test")]
        message.messageID = "no-brackets>@x"
        #expect(expectTransportError { _ = try message.rendered() }?.code == .invalidRequest)
        message.messageID = "ok@x"
        message.subject = String(repeating: "s", count: 501)
        #expect(expectTransportError { _ = try message.rendered() }?.code == .invalidRequest)
    }

    @Test("SMTP URLs: smtp/smtps only, no credentials or paths; nothing is sent otherwise", arguments: [
        "http://127.0.0.1:25", "smtp://user:pw@127.0.0.1:25", "smtp://127.0.0.1:25/path", "smtp://", "smtp://127.0.0.1 :25",
    ])
    func badURLs(url: String) throws {
        let client = SMTPClient(configuration: .init(url: url))
        let message = MailMessage(from: Self.from, to: [try MailAddress("a@example.test")], subject: "s", text: "t")
        let error = expectTransportError { _ = try client.send(message) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.reason.contains("pw") == false)
    }

    @Test("configuration decodes from JSON with defaults")
    func configurationJSON() throws {
        let json = #"{"url":"smtps://mail.example.be:465","username":"sleutel","password":"p","caFile":"/etc/ca.pem"}"#
        let config = try JSONDecoder().decode(SMTPClient.Configuration.self, from: Data(json.utf8))
        #expect(config == SMTPClient.Configuration(url: "smtps://mail.example.be:465", username: "sleutel", password: "p", caFile: "/etc/ca.pem"))
        #expect(config.tls == .opportunistic)
        #expect(config.totalTimeout == 30)
    }
}
