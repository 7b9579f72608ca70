import CCurl
import Dispatch
import Foundation

/// An HTTP response: status code, body and content type.
public struct HTTPResponse: Sendable, Equatable {
    /// The HTTP status code (200, 404 …).
    public let status: Int
    /// The response body (at most the client's `maxBodySize` bytes).
    public let body: [UInt8]
    /// The Content-Type header, when the server sent one.
    public let contentType: String?

    /// Builds a response (for tests and adapters).
    public init(status: Int, body: [UInt8], contentType: String?) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }
}

/// A small blocking HTTP client over libcurl, for fetching OCSP responses, CRLs and CA
/// certificates. Only `http` and `https` URLs are accepted (also after redirects). Every call
/// is synchronous and blocks the calling thread up to ``Configuration/totalTimeout``: call it
/// from a thread of your own, or use the `async` overloads, which run the blocking work on a
/// dedicated dispatch queue instead of the Swift concurrency pool.
///
/// Failures (connection refused, timeout, body too large, bad URL) throw ``TransportError`` with
/// code ``TransportError/Code/http`` and a reason naming the libcurl code. HTTP error statuses are
/// not errors: they come back in ``HTTPResponse/status``.
public final class HTTPClient: Sendable {
    /// Limits of a client.
    public struct Configuration: Sendable, Equatable {
        /// Seconds allowed to establish the TCP (and TLS) connection.
        public var connectTimeout: TimeInterval
        /// Seconds allowed for the whole exchange, connection included.
        public var totalTimeout: TimeInterval
        /// Largest accepted response body in bytes; a larger one fails the request.
        public var maxBodySize: Int
        /// Follow up to 3 redirects (to `http`/`https` only). Off by default.
        public var followRedirects: Bool
        /// A proxy URL, or nil for a direct connection. The `http_proxy` environment variables
        /// are never used, so a test on loopback cannot be diverted by them.
        public var proxy: String?
        /// The User-Agent header.
        public var userAgent: String

        /// - Parameters:
        ///   - connectTimeout: connection timeout in seconds (default 5).
        ///   - totalTimeout: timeout of the whole request in seconds (default 15).
        ///   - maxBodySize: largest accepted body in bytes (default 32 MiB; Belgian CRLs are large).
        ///   - followRedirects: whether to follow redirects (default false).
        ///   - proxy: proxy URL, nil for none.
        ///   - userAgent: User-Agent header value.
        public init(
            connectTimeout: TimeInterval = 5,
            totalTimeout: TimeInterval = 15,
            maxBodySize: Int = 32 << 20,
            followRedirects: Bool = false,
            proxy: String? = nil,
            userAgent: String = "Sleutel"
        ) {
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.maxBodySize = maxBodySize
            self.followRedirects = followRedirects
            self.proxy = proxy
            self.userAgent = userAgent
        }
    }

    /// The client's limits.
    public let configuration: Configuration
    private let counter = RequestCounter()
    private static let queue = DispatchQueue(label: "be.sleutel.transport", qos: .utility, attributes: .concurrent)

    /// Creates a client. Clients are cheap; each request uses its own curl handle.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// How many requests this client has attempted (successful or not); for tests and metrics.
    public var requestCount: Int { counter.value }

    /// GET `url`.
    /// - Parameters:
    ///   - url: an `http` or `https` URL.
    ///   - accept: optional Accept header value.
    /// - Returns: status, body and content type.
    /// - Throws: ``TransportError`` with code `http`.
    public func get(_ url: String, accept: String? = nil) throws -> HTTPResponse {
        try perform(method: "GET", url: url, body: nil, headers: accept.map { ["Accept: \($0)"] } ?? [])
    }

    /// POST `body` to `url` with the given Content-Type.
    /// - Parameters:
    ///   - url: an `http` or `https` URL.
    ///   - body: the request body.
    ///   - contentType: the Content-Type header value, e.g. `application/ocsp-request`.
    ///   - accept: optional Accept header value.
    /// - Returns: status, body and content type.
    /// - Throws: ``TransportError`` with code `http`.
    public func post(_ url: String, body: [UInt8], contentType: String, accept: String? = nil) throws -> HTTPResponse {
        var headers = ["Content-Type: \(contentType)", "Expect:"]
        if let accept { headers.append("Accept: \(accept)") }
        return try perform(method: "POST", url: url, body: body, headers: headers)
    }

    /// Sends `request` as given: any method, the request's headers and body.
    /// - Returns: status, body and content type (error statuses are returned, not thrown).
    /// - Throws: ``TransportError`` `invalidRequest` for a bad method or header (nothing sent), `http` otherwise.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        var headers = try request.headerLines()
        if request.body != nil { headers.append("Expect:") }
        return try perform(method: request.method, url: request.url, body: request.body, headers: headers)
    }

    /// ``send(_:)`` on a dedicated dispatch queue, off the Swift concurrency pool.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await offPool { try self.send(request) }
    }

    /// GET on a dedicated dispatch queue, off the Swift concurrency pool.
    public func get(_ url: String, accept: String? = nil) async throws -> HTTPResponse {
        try await offPool { try self.get(url, accept: accept) }
    }

    /// POST on a dedicated dispatch queue, off the Swift concurrency pool.
    public func post(_ url: String, body: [UInt8], contentType: String, accept: String? = nil) async throws -> HTTPResponse {
        try await offPool { try self.post(url, body: body, contentType: contentType, accept: accept) }
    }

    /// Runs blocking `work` on the transport dispatch queue (off the Swift concurrency pool) and resumes with its result.
    package static func runOffPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.runOffPool(work)
    }

    // MARK: - libcurl

    private static let globalInit: CURLcode = CCurl_global_init_default()

    private func perform(method: String, url: String, body: [UInt8]?, headers: [String]) throws -> HTTPResponse {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw TransportError(.http, "only http and https URLs are fetched, not \(url.prefix(16))…")
        }
        guard !url.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) else {
            throw TransportError(.http, "URL contains spaces or control characters")
        }
        try curlCheck(Self.globalInit, "curl_global_init")
        guard let handle = curl_easy_init() else { throw TransportError(.http, "curl_easy_init returned NULL") }
        defer { curl_easy_cleanup(handle) }
        counter.increment()

        let config = configuration
        let sink = BodySink(limit: config.maxBodySize)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for header in headers {
            guard let next = curl_slist_append(list, header) else { throw TransportError(.http, "curl_slist_append failed") }
            list = next
        }

        return try errorBuffer.withUnsafeMutableBufferPointer { errorBuf in
            try withExtendedLifetime(sink) {
                try curlCheck(CCurl_setopt_string(handle, CURLOPT_URL, url), "CURLOPT_URL")
                try curlCheck(CCurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "CURLOPT_PROTOCOLS_STR")
                try curlCheck(CCurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
                try curlCheck(CCurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuf.baseAddress), "CURLOPT_ERRORBUFFER")
                try curlCheck(CCurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(config.connectTimeout)), "CURLOPT_CONNECTTIMEOUT_MS")
                try curlCheck(CCurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(config.totalTimeout)), "CURLOPT_TIMEOUT_MS")
                try curlCheck(CCurl_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(config.maxBodySize)), "CURLOPT_MAXFILESIZE_LARGE")
                try curlCheck(CCurl_setopt_string(handle, CURLOPT_PROXY, config.proxy ?? ""), "CURLOPT_PROXY")
                try curlCheck(CCurl_setopt_string(handle, CURLOPT_USERAGENT, config.userAgent), "CURLOPT_USERAGENT")
                if config.followRedirects {
                    try curlCheck(CCurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1), "CURLOPT_FOLLOWLOCATION")
                    try curlCheck(CCurl_setopt_long(handle, CURLOPT_MAXREDIRS, 3), "CURLOPT_MAXREDIRS")
                    try curlCheck(CCurl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "CURLOPT_REDIR_PROTOCOLS_STR")
                }
                try curlCheck(CCurl_setopt_slist(handle, CURLOPT_HTTPHEADER, list), "CURLOPT_HTTPHEADER")
                try curlCheck(CCurl_setopt_write_callback(handle, httpClientWrite), "CURLOPT_WRITEFUNCTION")
                try curlCheck(CCurl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque()), "CURLOPT_WRITEDATA")

                let code: CURLcode
                if let body {
                    code = try body.withUnsafeBytes { raw in
                        try curlCheck(CCurl_setopt_long(handle, CURLOPT_POST, 1), "CURLOPT_POST")
                        try curlCheck(CCurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(raw.count)), "CURLOPT_POSTFIELDSIZE_LARGE")
                        // An empty body still needs a non-NULL pointer, or curl reads from stdin.
                        let pointer = raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? UnsafeMutableRawPointer(errorBuf.baseAddress!)
                        try curlCheck(CCurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer), "CURLOPT_POSTFIELDS")
                        if method != "POST" {
                            try curlCheck(CCurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), "CURLOPT_CUSTOMREQUEST")
                        }
                        return curl_easy_perform(handle)
                    }
                } else {
                    try curlCheck(CCurl_setopt_long(handle, CURLOPT_HTTPGET, 1), "CURLOPT_HTTPGET")
                    if method == "HEAD" {
                        try curlCheck(CCurl_setopt_long(handle, CURLOPT_NOBODY, 1), "CURLOPT_NOBODY")
                    } else if method != "GET" {
                        try curlCheck(CCurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), "CURLOPT_CUSTOMREQUEST")
                    }
                    code = curl_easy_perform(handle)
                }
                if sink.exceeded {
                    throw TransportError(.http, "response body from \(url) exceeds \(config.maxBodySize) bytes")
                }
                let detail = String(decoding: errorBuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                try curlCheck(code, "curl_easy_perform(\(url))", detail: detail)

                var status = 0
                try curlCheck(CCurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
                var type: UnsafePointer<CChar>?
                let contentType = CCurl_getinfo_string(handle, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK ? type.map { String(cString: $0) } : nil
                return HTTPResponse(status: status, body: sink.body, contentType: contentType)
            }
        }
    }

    private static func milliseconds(_ seconds: TimeInterval) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 1 }
        return Int(min(seconds * 1000, Double(Int32.max)).rounded(.up))
    }
}

/// The single checker for libcurl return codes: anything but `CURLE_OK` throws a ``TransportError``
/// with code `http` naming the libcurl code, e.g. `CURLE_COULDNT_CONNECT (7)`.
package func curlCheck(_ code: CURLcode, _ function: String, detail: String = "", file: String = #fileID, line: Int = #line) throws {
    guard code != CURLE_OK else { return }
    let message = curl_easy_strerror(code).map { String(cString: $0) } ?? "unknown error"
    let extra = detail.isEmpty || detail == message ? "" : " (\(detail))"
    throw TransportError(.http, "\(function) failed: \(curlCodeName(code)) (\(code.rawValue)): \(message)\(extra)", file: file, line: line)
}

/// The libcurl constant name of `code`, e.g. `CURLE_OPERATION_TIMEDOUT`.
package func curlCodeName(_ code: CURLcode) -> String {
    let names: [UInt32: String] = [
        1: "CURLE_UNSUPPORTED_PROTOCOL", 2: "CURLE_FAILED_INIT", 3: "CURLE_URL_MALFORMAT",
        5: "CURLE_COULDNT_RESOLVE_PROXY", 6: "CURLE_COULDNT_RESOLVE_HOST", 7: "CURLE_COULDNT_CONNECT",
        8: "CURLE_WEIRD_SERVER_REPLY", 9: "CURLE_REMOTE_ACCESS_DENIED", 18: "CURLE_PARTIAL_FILE", 22: "CURLE_HTTP_RETURNED_ERROR",
        23: "CURLE_WRITE_ERROR", 26: "CURLE_READ_ERROR", 27: "CURLE_OUT_OF_MEMORY", 28: "CURLE_OPERATION_TIMEDOUT",
        35: "CURLE_SSL_CONNECT_ERROR", 43: "CURLE_BAD_FUNCTION_ARGUMENT", 47: "CURLE_TOO_MANY_REDIRECTS",
        48: "CURLE_UNKNOWN_OPTION", 52: "CURLE_GOT_NOTHING", 55: "CURLE_SEND_ERROR", 56: "CURLE_RECV_ERROR",
        60: "CURLE_PEER_FAILED_VERIFICATION", 61: "CURLE_BAD_CONTENT_ENCODING", 63: "CURLE_FILESIZE_EXCEEDED",
        64: "CURLE_USE_SSL_FAILED", 67: "CURLE_LOGIN_DENIED", 77: "CURLE_SSL_CACERT_BADFILE",
    ]
    return names[code.rawValue] ?? "CURLE_\(code.rawValue)"
}

/// Collects the body; refuses to grow past `limit` (curl then fails with CURLE_WRITE_ERROR).
private final class BodySink {
    let limit: Int
    var body: [UInt8] = []
    var exceeded = false
    init(limit: Int) { self.limit = limit }
}

private func httpClientWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let sink = Unmanaged<BodySink>.fromOpaque(context).takeUnretainedValue()
    let (total, overflow) = size.multipliedReportingOverflow(by: count)
    guard !overflow else { return 0 }
    guard total > 0, let data else { return total }
    guard sink.body.count + total <= sink.limit else {
        sink.exceeded = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: total) { sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: total)) }
    return total
}

private final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
