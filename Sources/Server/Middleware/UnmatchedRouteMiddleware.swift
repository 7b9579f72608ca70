import Hummingbird

/// Answers requests no route takes as JSON errors: 405 with an `Allow` header when the path
/// exists under another method, 404 otherwise.
struct UnmatchedRouteMiddleware: RouterMiddleware {
    typealias Context = ServerContext

    /// Path patterns and their methods; a trailing `*` matches one final segment.
    static let routes: [(pattern: String, methods: [String])] = [
        ("/health", ["GET"]), ("/openapi.json", ["GET"]), ("/metrics", ["GET"]),
        ("/v1/eid/challenge", ["POST"]), ("/v1/eid/login", ["POST"]),
        ("/v1/session", ["GET", "DELETE"]), ("/v1/session/organisation", ["POST"]), ("/v1/session/access/*", ["GET"]),
        ("/v1/rights", ["GET"]), ("/v1/profile", ["GET"]), ("/v1/keys/check", ["POST"]),
        ("/v1/code/login", ["POST"]), ("/v1/code/login/send", ["POST"]), ("/v1/code/login/complete", ["POST"]),
        ("/v1/keys", ["GET"]), ("/v1/keys/totp", ["POST"]), ("/v1/keys/totp/confirm", ["POST"]),
        ("/v1/keys/destination", ["POST"]), ("/v1/keys/destination/confirm", ["POST"]), ("/v1/keys/password", ["PUT"]),
        ("/v1/keys/*", ["DELETE"]), ("/v1/otp/validate", ["POST"]),
        ("/.well-known/openid-configuration", ["GET"]), ("/oidc/jwks", ["GET"]), ("/oidc/authorize", ["GET"]),
        ("/oidc/token", ["POST"]), ("/oidc/userinfo", ["GET", "POST"]), ("/oidc/logout", ["GET", "POST"]),
        ("/login/page", ["GET"]), ("/assets/*", ["GET"]), ("/login/password", ["POST"]), ("/login/code/enter", ["POST"]),
        ("/login/code/send", ["POST"]), ("/login/code", ["POST"]), ("/login/eid/challenge", ["POST"]), ("/login/eid", ["POST"]),
        ("/login/organisation", ["GET", "POST"]), ("/login/refused", ["GET"]),
    ]

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            let path = request.uri.path
            if let route = Self.routes.first(where: { Self.matches($0.pattern, path) }) {
                var reply = try APIError(.methodNotAllowed, code: "request.methodNotAllowed",
                                         message: "\(request.method) is not allowed here; use \(route.methods.joined(separator: ", "))")
                    .response(from: request, context: context)
                reply.headers[.allow] = route.methods.joined(separator: ", ")
                return reply
            }
            throw APIError(.notFound, code: "request.notFound", message: "no such resource")
        }
    }

    static func matches(_ pattern: String, _ path: String) -> Bool {
        guard pattern.hasSuffix("*") else { return pattern == path }
        let prefix = pattern.dropLast()
        return path.hasPrefix(prefix) && path.count > prefix.count && !path.dropFirst(prefix.count).contains("/")
    }
}
