import CCurl
import Foundation

/// Submits e-mail over SMTP with libcurl: `smtp://` with STARTTLS when the server offers it (or
/// required), `smtps://` with TLS from the first byte, optional AUTH, timeouts and a private CA.
///
/// Every call blocks up to ``Configuration/totalTimeout``; the `async` overload runs the blocking
/// work on the transport dispatch queue, off the Swift concurrency pool.
///
/// Failures throw ``TransportError``: `invalidRequest` when the message cannot be sent as given
/// (bad address, line break in a header; nothing was sent), `smtp` when the exchange failed. An
/// `smtp` reason names the libcurl code and the server's last reply with e-mail addresses blanked
/// out; it never contains the message, the subject or the password.
public final class SMTPClient: Sendable {
    /// How STARTTLS is used on `smtp://` URLs (`smtps://` is always TLS).
    public enum TLSMode: String, Sendable, Codable, Equatable {
        /// STARTTLS when the server offers it (`CURLUSESSL_TRY`); plain text otherwise. When the
        /// server offers it, its certificate must verify: there is no fall-back after a failed check.
        case opportunistic
        /// STARTTLS or fail (`CURLUSESSL_ALL`).
        case required
    }

    /// Where and how to submit mail. `description` hides the password.
    public struct Configuration: Sendable, Equatable, Codable, CustomStringConvertible {
        /// `smtp://host:port` or `smtps://host:port` (no user name in the URL, no path).
        public var url: String
        /// STARTTLS policy for `smtp://`.
        public var tls: TLSMode
        /// AUTH user name, or nil to submit without AUTH. With a user name, `smtp://` requires STARTTLS
        /// (as ``TLSMode/required``) so the password never travels in clear.
        public var username: String?
        /// AUTH password (used only with `username`).
        public var password: String?
        /// A PEM file of CA certificates to verify the server with, instead of the system store.
        public var caFile: String?
        /// The name sent in EHLO; nil lets libcurl use this machine's host name.
        public var clientName: String?
        /// Seconds allowed to connect (TCP and TLS).
        public var connectTimeout: TimeInterval
        /// Seconds allowed for the whole submission.
        public var totalTimeout: TimeInterval

        /// - Parameters:
        ///   - url: `smtp://host:port` or `smtps://host:port`.
        ///   - tls: STARTTLS policy (default opportunistic).
        ///   - username: AUTH user name, nil for none.
        ///   - password: AUTH password.
        ///   - caFile: PEM CA bundle for a private CA, nil for the system store.
        ///   - clientName: EHLO name, nil for the host name.
        ///   - connectTimeout: seconds (default 10).
        ///   - totalTimeout: seconds (default 30).
        public init(
            url: String,
            tls: TLSMode = .opportunistic,
            username: String? = nil,
            password: String? = nil,
            caFile: String? = nil,
            clientName: String? = nil,
            connectTimeout: TimeInterval = 10,
            totalTimeout: TimeInterval = 30
        ) {
            self.url = url
            self.tls = tls
            self.username = username
            self.password = password
            self.caFile = caFile
            self.clientName = clientName
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
        }

        private enum CodingKeys: String, CodingKey {
            case url, tls, username, password, caFile, clientName, connectTimeout, totalTimeout
        }

        /// Decodes a configuration; only `url` is required.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                url: try c.decode(String.self, forKey: .url),
                tls: try c.decodeIfPresent(TLSMode.self, forKey: .tls) ?? .opportunistic,
                username: try c.decodeIfPresent(String.self, forKey: .username),
                password: try c.decodeIfPresent(String.self, forKey: .password),
                caFile: try c.decodeIfPresent(String.self, forKey: .caFile),
                clientName: try c.decodeIfPresent(String.self, forKey: .clientName),
                connectTimeout: try c.decodeIfPresent(TimeInterval.self, forKey: .connectTimeout) ?? 10,
                totalTimeout: try c.decodeIfPresent(TimeInterval.self, forKey: .totalTimeout) ?? 30
            )
        }

        public var description: String {
            "SMTPClient.Configuration(url: \(url), tls: \(tls.rawValue), username: \(username ?? "none"), "
                + "password: \(password == nil ? "none" : "<redacted>"), caFile: \(caFile ?? "system"))"
        }
    }

    /// What the server said when it took a message.
    public struct Receipt: Sendable, Equatable {
        /// The Message-ID sent, without angle brackets.
        public let messageID: String
        /// The server's final reply, e.g. `250 2.0.0 Ok: queued as 17` (addresses blanked out).
        public let reply: String
    }

    /// The client's settings.
    public let configuration: Configuration

    /// Creates a client; each submission uses its own connection.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Submits `message` to the server.
    /// - Returns: the Message-ID and the server's final reply.
    /// - Throws: ``TransportError`` `invalidRequest` (nothing sent) or `smtp`.
    public func send(_ message: MailMessage) throws -> Receipt {
        let payload = try message.rendered()
        let url = try endpoint()
        return try perform(url: url, from: message.from, to: message.to, payload: payload, messageID: message.messageID)
    }

    /// Submits `message` on the transport dispatch queue, off the Swift concurrency pool.
    public func send(_ message: MailMessage) async throws -> Receipt {
        try await HTTPClient.runOffPool { try self.send(message) }
    }

    // MARK: - libcurl

    private static let globalInit: CURLcode = CCurl_global_init_default()

    /// The URL handed to libcurl: scheme, host and port, plus the EHLO name as the path.
    private func endpoint() throws -> String {
        let url = configuration.url
        let lower = url.lowercased()
        guard lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://") else {
            throw TransportError(.invalidRequest, "an SMTP URL starts with smtp:// or smtps://")
        }
        guard !url.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else {
            throw TransportError(.invalidRequest, "SMTP URL contains spaces, control or non-ASCII characters")
        }
        let rest = url[url.range(of: "://")!.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        guard !authority.isEmpty, !authority.contains("@"), rest.dropFirst(authority.count).allSatisfy({ $0 == "/" }) else {
            throw TransportError(.invalidRequest, "SMTP URL must be scheme://host[:port] (credentials go in username/password)")
        }
        var base = "\(url.prefix(upTo: url.range(of: "://")!.upperBound))\(authority)"
        if let name = configuration.clientName {
            guard !name.isEmpty, name.utf8.allSatisfy({ ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E })
            else { throw TransportError(.invalidRequest, "the EHLO client name must be a host name") }
            base += "/\(name)"
        }
        return base
    }

    private var displayEndpoint: String {
        guard let range = configuration.url.range(of: "://") else { return "?" }
        let rest = configuration.url[range.upperBound...]
        return String(configuration.url[..<range.upperBound]) + String(rest.prefix { $0 != "/" && $0 != "@" })
    }

    private func check(_ code: CURLcode, _ what: String) throws {
        guard code != CURLE_OK else { return }
        throw TransportError(.smtp, "setting \(what) for \(displayEndpoint) failed: \(curlCodeName(code)) (\(code.rawValue))")
    }

    private func perform(url: String, from: MailAddress, to: [MailAddress], payload: [UInt8], messageID: String) throws -> Receipt {
        do { try curlCheck(Self.globalInit, "curl_global_init") } catch { throw TransportError(.smtp, "curl_global_init failed") }
        guard let handle = curl_easy_init() else { throw TransportError(.smtp, "curl_easy_init returned NULL") }
        defer { curl_easy_cleanup(handle) }

        let config = configuration
        let source = UploadSource(payload)
        let trace = ReplyTrace()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for address in to {
            guard let next = curl_slist_append(recipients, "<\(address.address)>") else {
                throw TransportError(.smtp, "curl_slist_append failed")
            }
            recipients = next
        }

        return try errorBuffer.withUnsafeMutableBufferPointer { errorBuf in
            try withExtendedLifetime((source, trace)) {
                try check(CCurl_setopt_string(handle, CURLOPT_URL, url), "CURLOPT_URL")
                try check(CCurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"), "CURLOPT_PROTOCOLS_STR")
                try check(CCurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
                try check(CCurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuf.baseAddress), "CURLOPT_ERRORBUFFER")
                try check(CCurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(config.connectTimeout)), "CURLOPT_CONNECTTIMEOUT_MS")
                try check(CCurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(config.totalTimeout)), "CURLOPT_TIMEOUT_MS")
                try check(CCurl_setopt_string(handle, CURLOPT_PROXY, ""), "CURLOPT_PROXY")
                // A password never travels in clear: with AUTH, STARTTLS is required whatever `tls` says.
                let useSSL = config.tls == .required || config.username != nil ? CURLUSESSL_ALL : CURLUSESSL_TRY
                try check(CCurl_setopt_long(handle, CURLOPT_USE_SSL, Int(useSSL.rawValue)), "CURLOPT_USE_SSL")
                if let caFile = config.caFile {
                    try check(CCurl_setopt_string(handle, CURLOPT_CAINFO, caFile), "CURLOPT_CAINFO")
                }
                if let username = config.username {
                    try check(CCurl_setopt_string(handle, CURLOPT_USERNAME, username), "CURLOPT_USERNAME")
                    try check(CCurl_setopt_string(handle, CURLOPT_PASSWORD, config.password ?? ""), "CURLOPT_PASSWORD")
                }
                try check(CCurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from.address)>"), "CURLOPT_MAIL_FROM")
                try check(CCurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients), "CURLOPT_MAIL_RCPT")
                try check(CCurl_setopt_long(handle, CURLOPT_UPLOAD, 1), "CURLOPT_UPLOAD")
                try check(CCurl_setopt_read_callback(handle, smtpRead), "CURLOPT_READFUNCTION")
                try check(CCurl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()), "CURLOPT_READDATA")
                // The trace keeps the server's replies only; commands (AUTH) and the message are never looked at.
                try check(CCurl_setopt_debug_callback(handle, smtpTrace), "CURLOPT_DEBUGFUNCTION")
                try check(CCurl_setopt_pointer(handle, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(trace).toOpaque()), "CURLOPT_DEBUGDATA")
                try check(CCurl_setopt_long(handle, CURLOPT_VERBOSE, 1), "CURLOPT_VERBOSE")

                let code = curl_easy_perform(handle)
                var status = 0
                _ = CCurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
                let reply = Self.redact(trace.lastReply)
                guard code == CURLE_OK else {
                    let reply = Self.redact(trace.lastFailure.isEmpty ? trace.lastReply : trace.lastFailure)
                    let detail = Self.redact(String(decoding: errorBuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                    let message = curl_easy_strerror(code).map { String(cString: $0) } ?? "unknown error"
                    var reason = "SMTP to \(displayEndpoint) failed: \(curlCodeName(code)) (\(code.rawValue)): \(message)"
                    if !detail.isEmpty, detail != message { reason += " (\(detail))" }
                    if !reply.isEmpty { reason += "; server reply: \(reply)" }
                    throw TransportError(.smtp, reason)
                }
                return Receipt(messageID: messageID, reply: reply)
            }
        }
    }

    /// Blanks out anything that looks like an e-mail address and control characters; at most 200 characters.
    static func redact(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        let words = cleaned.split(separator: " ").map { $0.contains("@") ? "<address>" : String($0) }
        let joined = words.joined(separator: " ")
        return joined.count > 200 ? String(joined.prefix(200)) + "…" : joined
    }

    private static func milliseconds(_ seconds: TimeInterval) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 1 }
        return Int(min(seconds * 1000, Double(Int32.max)).rounded(.up))
    }
}

/// The bytes of one message, read out by libcurl's upload callback.
private final class UploadSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// The last line the server sent and the last 4xx/5xx reply (SMTP replies only, at most 512 bytes each).
private final class ReplyTrace {
    var lastReply = ""
    var lastFailure = ""
}

private func smtpRead(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return CCurl_readfunc_abort() }
    let source = Unmanaged<UploadSource>.fromOpaque(context).takeUnretainedValue()
    let (room, overflow) = size.multipliedReportingOverflow(by: count)
    guard !overflow else { return CCurl_readfunc_abort() }
    let n = min(room, source.bytes.count - source.offset)
    guard n > 0 else { return 0 }
    source.bytes.withUnsafeBufferPointer { all in
        UnsafeMutableRawPointer(buffer).copyMemory(from: all.baseAddress! + source.offset, byteCount: n)
    }
    source.offset += n
    return n
}

private func smtpTrace(
    _ handle: UnsafeMutableRawPointer?,
    _ type: curl_infotype,
    _ data: UnsafeMutablePointer<CChar>?,
    _ size: Int,
    _ context: UnsafeMutableRawPointer?
) -> Int32 {
    guard type == CURLINFO_HEADER_IN, let data, let context, size > 0 else { return 0 }
    let trace = Unmanaged<ReplyTrace>.fromOpaque(context).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: data, count: min(size, 512))
    let text = String(decoding: bytes, as: UTF8.self)
    if let line = text.split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }).last(where: { !$0.isEmpty }) {
        trace.lastReply = String(line)
        if line.first == "4" || line.first == "5" { trace.lastFailure = String(line) }
    }
    return 0
}
