import CryptoCore
import Foundation
import Hummingbird

/// Lets through only requests from the page this kiosk process served, in the browser on this
/// machine. Every other page open in that browser can send requests to the kiosk's loopback
/// port too (a form, a `no-cors` fetch, an image, a frame), and a DNS name rebound to 127.0.0.1
/// even makes a hostile page same-origin with whatever answers on the port. So every request must:
///
/// 1. name the kiosk in `Host`: exactly one `127.0.0.1:PORT` or `localhost:PORT` (any case), the
///    port the kiosk listens on — a rebound name (`evil.example:PORT`) is refused;
/// 2. carry no `Origin`, or exactly the kiosk's own origin, `http://` + that `Host`;
/// 3. when it has a body (any method but GET and HEAD), say `Content-Type: application/json` —
///    a browser sends that cross-origin only after a CORS preflight, which the kiosk never grants;
/// 4. except the page itself (`GET /`), carry the page token, generated per process and written
///    into the page, in ``tokenHeader``; compared in constant time.
public struct KioskRequestGuard: Sendable {
    public typealias FieldName = HTTPFields.Element.Name

    /// The header the page sends its token in.
    public static let tokenHeader = FieldName("X-Sleutel-Kiosk-Token")!
    private static let hostHeader = FieldName("Host")!

    /// The page token: 32 random bytes in hex.
    public let token: String
    private let tokenBytes: [UInt8]

    /// - Parameter token: the page token; a fresh random one by default.
    public init(token: String = Hex.encode(SecureRandom.bytes(32))) {
        self.token = token
        self.tokenBytes = Array(token.utf8)
    }

    /// Checks one request against the rules above.
    /// - Parameter port: the port the kiosk listens on; nil while it is not bound yet (all refused).
    /// - Throws: ``KioskRequestError`` naming the first rule the request breaks.
    public func check(method: HTTPRequest.Method, path: String, authority: String?, headers: HTTPFields,
                      port: Int?) throws(KioskRequestError) {
        // 1. Host. HTTP/1 gives the first Host field as the authority and leaves any second one in the fields.
        guard let authority, let port, headers[values: Self.hostHeader].isEmpty, Self.isOwnHost(authority, port: port) else {
            throw KioskRequestError(.hostRefused, "this kiosk answers only requests for its own loopback address and port",
                                    status: .forbidden)
        }
        // 2. Origin, when present.
        let origins = headers[values: .origin]
        guard origins.isEmpty || (origins.count == 1 && origins[0].lowercased() == "http://" + authority.lowercased()) else {
            throw KioskRequestError(.originRefused, "this kiosk answers only its own page", status: .forbidden)
        }
        // 3. JSON bodies only.
        if method != .get && method != .head {
            let types = headers[values: .contentType]
            let mediaType = types.first?.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first?
                .trimmingCharacters(in: .whitespaces).lowercased()
            guard types.count == 1, mediaType == "application/json" else {
                throw KioskRequestError(.contentTypeRefused, "the kiosk takes request bodies as application/json only",
                                        status: .unsupportedMediaType)
            }
        }
        // 4. The page token, everywhere but on the page itself.
        if !(method == .get && path == "/") {
            let tokens = headers[values: Self.tokenHeader]
            guard tokens.count == 1, constantTimeEquals(Array(tokens[0].utf8), tokenBytes) else {
                throw KioskRequestError(.tokenInvalid, "the request does not come from the kiosk's page (\(Self.tokenHeader) missing or wrong)",
                                        status: .forbidden)
            }
        }
    }

    /// `127.0.0.1:PORT` or `localhost:PORT` (the port may be left out only when it is 80).
    static func isOwnHost(_ authority: String, port: Int) -> Bool {
        let host = authority.lowercased()
        for name in ["127.0.0.1", "localhost"] {
            if host == "\(name):\(port)" || (port == 80 && host == name) { return true }
        }
        return false
    }
}
