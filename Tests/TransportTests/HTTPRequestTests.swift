import Foundation
import SleutelTestSupport
import Testing
import Transport

@Suite("HTTPClient generic requests")
struct HTTPRequestTests {
    static func path() -> String { "/req/\(UUID().uuidString.lowercased())" }

    @Test("PUT with extra headers and a body arrives exactly as given", .httpSink)
    func put() throws {
        let path = Self.path()
        let client = HTTPClient()
        let body = Array(#"{"to":"+32470000000","text":"héllo"}"#.utf8)
        let response = try client.send(HTTPRequest(
            method: "PUT",
            url: DeliverySinks.httpBase + path + "?a=1",
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Api-Key", "k-123"), HTTPHeader("X-Empty", "")],
            body: body
        ))
        #expect(response.status == 200)
        #expect(response.contentType == "application/json")
        let recorded = try #require(try DeliverySinks.requests(path: path).first)
        #expect(recorded.method == "PUT")
        #expect(recorded.query == "a=1")
        #expect(recorded.body == body)
        #expect(recorded.header("Content-Type") == "application/json")
        #expect(recorded.header("X-Api-Key") == "k-123")
        #expect(recorded.header("X-Empty") == "")
        #expect(recorded.header("Expect") == nil)
    }

    @Test("GET, DELETE and HEAD without a body; POST keeps working", .httpSink)
    func methods() async throws {
        let client = HTTPClient()
        for method in ["GET", "DELETE", "HEAD", "PATCH"] {
            let path = Self.path()
            let response = try await client.send(HTTPRequest(method: method, url: DeliverySinks.httpBase + path))
            #expect(response.status == 200)
            #expect(method == "HEAD" ? response.body.isEmpty : !response.body.isEmpty)
            let recorded = try #require(try DeliverySinks.requests(path: path).first)
            #expect(recorded.method == method)
            #expect(recorded.body.isEmpty)
        }
        let path = Self.path()
        let response = try await client.post(DeliverySinks.httpBase + path, body: [1, 2, 3], contentType: "application/octet-stream")
        #expect(response.status == 200)
        #expect(try DeliverySinks.requests(path: path).first?.body == [1, 2, 3])
    }

    @Test("error statuses come back as statuses", .httpSink)
    func statuses() throws {
        let client = HTTPClient()
        #expect(try client.send(HTTPRequest(method: "POST", url: DeliverySinks.httpBase + "/fail500", body: [])).status == 500)
        #expect(try client.send(HTTPRequest(method: "GET", url: DeliverySinks.httpBase + "/status/429")).status == 429)
    }

    @Test("a slow server hits the total timeout", .httpSink)
    func timeout() {
        let client = HTTPClient(configuration: .init(connectTimeout: 1, totalTimeout: 1))
        let start = Date()
        let error = expectTransportError { _ = try client.send(HTTPRequest(method: "GET", url: DeliverySinks.httpBase + "/slow?seconds=3")) }
        #expect(error?.code == .http)
        #expect(error?.reason.contains("CURLE_OPERATION_TIMEDOUT (28)") == true, "\(String(describing: error))")
        #expect(Date().timeIntervalSince(start) < 2.5)
    }

    @Test("header injection and bad methods are refused before anything is sent", arguments: [
        HTTPRequest(method: "POST", url: "http://127.0.0.1:1/", headers: [HTTPHeader("X-A", "v\r\nX-Injected: 1")]),
        HTTPRequest(method: "POST", url: "http://127.0.0.1:1/", headers: [HTTPHeader("X-A", "v\nX-Injected: 1")]),
        HTTPRequest(method: "POST", url: "http://127.0.0.1:1/", headers: [HTTPHeader("X A", "v")]),
        HTTPRequest(method: "POST", url: "http://127.0.0.1:1/", headers: [HTTPHeader("X-A:", "v")]),
        HTTPRequest(method: "GET /x HTTP/1.1\r\n", url: "http://127.0.0.1:1/"),
        HTTPRequest(method: "", url: "http://127.0.0.1:1/"),
    ])
    func refused(request: HTTPRequest) {
        let client = HTTPClient()
        let error = expectTransportError { _ = try client.send(request) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.reason.contains("X-Injected") == false)
        #expect(client.requestCount == 0)
    }
}
