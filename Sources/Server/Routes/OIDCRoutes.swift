import Foundation
import Hummingbird
import OIDC

extension SleutelServer {
    func addOIDCRoutes(to router: Router<ServerContext>, provider: OIDCProvider) {
        router.get("/.well-known/openid-configuration") { _, _ in JSONReply(provider.discovery) }
        router.get("/oidc/jwks") { _, _ in JSONReply(provider.jwks) }
        router.post("/oidc/token") { request, _ in
            let body = try await JSON.body(of: request, limit: 16 << 10)
            let form = try FormEncoding.parse(String(decoding: body.readableBytesView, as: UTF8.self))
            let credentials = Self.basicCredentials(request)
            let reply = try await Blocking.run { try provider.token(form: form, basicCredentials: credentials) }
            return JSONReply(reply)
        }
        let userinfo: @Sendable (Request, ServerContext) async throws -> JSONReply<ClaimSet> = { request, _ in
            guard let token = try? Self.bearer(request, required: true) else { throw OIDCError(.invalidToken, "an access token is required") }
            return JSONReply(try await Blocking.run { try provider.userinfo(accessToken: token) })
        }
        router.get("/oidc/userinfo", use: userinfo)
        router.post("/oidc/userinfo", use: userinfo)
    }

    static func basicCredentials(_ request: Request) -> (String, String)? {
        basicCredentials(authorization: request.headers[.authorization])
    }

    /// Client id and secret of an `Authorization: Basic` header (RFC 6749 §2.3.1).
    static func basicCredentials(authorization header: String?) -> (String, String)? {
        guard let header, header.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let id = String(text[..<colon]).removingPercentEncoding ?? ""
        let secret = String(text[text.index(after: colon)...]).removingPercentEncoding ?? ""
        return (id, secret)
    }
}

/// `application/x-www-form-urlencoded` and query strings.
enum FormEncoding {
    /// Parses `a=1&b=2`; a repeated parameter is an OAuth `invalid_request` (RFC 6749 §3.1).
    static func parse(_ text: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            guard let name, let value else { throw OIDCError(.invalidRequest, "malformed percent-encoding") }
            guard result[name] == nil else { throw OIDCError(.invalidRequest, "parameter \(name.prefix(40)) is repeated") }
            result[name] = value
        }
        return result
    }

    private static func decode(_ part: Substring) -> String? {
        // Most names and values hold neither `+` nor `%`: they are their own decoding, without
        // Foundation's (slow on Linux) string search and percent-decoding.
        guard part.utf8.contains(where: { $0 == 0x2B || $0 == 0x25 }) else { return String(part) }
        return part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
