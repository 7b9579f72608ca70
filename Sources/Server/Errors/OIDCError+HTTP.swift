import Hummingbird
import OIDC

extension OIDCError: HTTPResponseError {
    /// ``OIDCError/httpStatus``.
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: httpStatus) }

    /// The RFC 6749 §5.2 error object; `WWW-Authenticate` for an invalid access token (RFC 6750 §3.1)
    /// and for a client that authenticated with HTTP Basic (RFC 6749 §5.2).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONReply(["error": code.rawValue, "error_description": reason], status: status).response(from: request, context: context)
        if code == .invalidToken { response.headers[.wwwAuthenticate] = #"Bearer error="invalid_token""# }
        if code == .invalidClient, request.headers[.authorization]?.lowercased().hasPrefix("basic ") == true {
            response.headers[.wwwAuthenticate] = #"Basic realm="sleutel", charset="UTF-8""#
        }
        return response
    }
}
