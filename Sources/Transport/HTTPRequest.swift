/// One header line of an ``HTTPRequest``.
public struct HTTPHeader: Sendable, Hashable {
    /// The field name, an RFC 9110 token such as `Authorization`.
    public let name: String
    /// The field value (no line breaks or other control characters but tab).
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A request for ``HTTPClient/send(_:)``: any method, extra headers, an optional body.
public struct HTTPRequest: Sendable {
    /// The method, e.g. `POST`, `PUT`, `GET` (an RFC 9110 token).
    public var method: String
    /// An `http` or `https` URL.
    public var url: String
    /// Header lines sent as given (Content-Type included, when there is a body).
    public var headers: [HTTPHeader]
    /// The body, or nil for none.
    public var body: [UInt8]?

    public init(method: String, url: String, headers: [HTTPHeader] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    private static let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    /// The header lines for libcurl, after checking method, names and values.
    /// - Throws: ``TransportError`` `invalidRequest`; the reason names the header, never its value.
    func headerLines() throws -> [String] {
        guard !method.isEmpty, method.utf8.allSatisfy(Self.tokenCharacters.contains) else {
            throw TransportError(.invalidRequest, "the HTTP method is not a token")
        }
        return try headers.map { header in
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.tokenCharacters.contains) else {
                throw TransportError(.invalidRequest, "an HTTP header name is not a token")
            }
            guard !header.value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else {
                throw TransportError(.invalidRequest, "header injection refused: line break or control character in the value of \(header.name)")
            }
            // "Name;" is curl's way of sending a header with an empty value.
            return header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
        }
    }
}
