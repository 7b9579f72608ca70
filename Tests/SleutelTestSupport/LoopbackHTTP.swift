import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP answer as a test sees it.
public struct HTTPReply: Sendable {
    public let status: Int
    public let body: Data
    /// Header fields, names in lower case.
    public let headers: [String: String]

    public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    /// The stable error code of a JSON error answer.
    public var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    public var location: String? { headers["location"] }
}

/// Requests to a server on a loopback port through URLSession (a client independent of the
/// server's own stack), without following redirects (the OIDC tests read `Location`).
public enum LoopbackHTTP {
    /// Sends one request with a JSON or form body and extra header fields, through `session`
    /// (default ``session``; ``flooding`` for many at once).
    public static func send(port: Int, _ method: String, _ path: String, json: Any? = nil, form: String? = nil,
                            headers: [String: String] = [:], through session: URLSession = session) async throws -> HTTPReply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let form {
            request.httpBody = Data(form.utf8)
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
        return HTTPReply(status: http.statusCode, body: data, headers: fields)
    }

    /// The session behind ``send(port:_:_:json:form:headers:)``, for requests it cannot express (raw bodies).
    /// Cookies are neither stored nor sent on their own: a test sends the ones it means to.
    public static let session = URLSession(configuration: noCookies(.ephemeral), delegate: NoRedirect(), delegateQueue: nil)

    static func noCookies(_ configuration: URLSessionConfiguration) -> URLSessionConfiguration {
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpCookieStorage = nil
        return configuration
    }

    /// A session that opens up to 128 connections to one host at once (URLSession keeps to a few
    /// by default), for floods that must reach the server together.
    public static let flooding: URLSession = {
        let configuration = noCookies(.ephemeral)
        configuration.httpMaximumConnectionsPerHost = 128
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration, delegate: NoRedirect(), delegateQueue: nil)
    }()

    final class NoRedirect: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }
}
