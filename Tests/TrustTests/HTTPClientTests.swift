import CryptoCore
import Foundation
import Testing
import Transport
import Trust

@Suite("HTTPClient over libcurl")
struct HTTPClientTests {
    @Test("only http and https URLs are fetched; nothing is sent otherwise", arguments: [
        "ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/", "127.0.0.1:8890/", "", "http://127.0.0.1/a b",
    ])
    func schemes(url: String) {
        let client = HTTPClient()
        expectTransportError { try client.get(url) }
        #expect(client.requestCount == 0)
    }

    @Test("connection refused names the curl code")
    func refused() {
        let client = HTTPClient(configuration: .init(connectTimeout: 2, totalTimeout: 3))
        let error = expectTransportError { try client.post(RevocationPKI.downOCSP, body: [1, 2, 3], contentType: "application/ocsp-request") }
        #expect(error?.reason.contains("CURLE_COULDNT_CONNECT (7)") == true, "\(String(describing: error))")
        #expect(client.requestCount == 1)
    }

    @Test("GET a CRL from the file server; 404 is a status, not an error", .revocationResponders)
    func get() throws {
        let client = HTTPClient()
        let reply = try client.get("\(RevocationPKI.files)/crl/rsa-citizen-ca.crl")
        #expect(reply.status == 200)
        #expect(try CRL(der: reply.body).derEncoded == RevocationPKI.bytes("crl/rsa-citizen-ca.crl"))
        let missing = try client.get("\(RevocationPKI.files)/crl/nothing-here.crl")
        #expect(missing.status == 404)
        #expect(client.requestCount == 2)
    }

    @Test("a body larger than maxBodySize fails the request", .revocationResponders)
    func bodyLimit() {
        let client = HTTPClient(configuration: .init(maxBodySize: 100))
        let error = expectTransportError { try client.get("\(RevocationPKI.files)/crl/rsa-citizen-ca.crl") }
        let reason = error?.reason ?? ""
        #expect(reason.contains("CURLE_FILESIZE_EXCEEDED") || reason.contains("exceeds 100 bytes"), "\(reason)")
    }

    @Test("POST an OCSP request to the real responder; the async overload runs off the pool", .revocationResponders)
    func post() async throws {
        let leaf = try RevocationPKI.certificate("persons/specimen-1.7/auth.crt")
        let ca = try RevocationPKI.certificate("rsa/citizen-ca.crt")
        let request = try OCSPRequest(certificate: leaf, issuer: ca)
        let client = HTTPClient()
        let reply = try await client.post("\(RevocationPKI.rsaOCSP)/citizen-ca", body: request.derEncoded, contentType: OCSPRequest.mediaType)
        #expect(reply.status == 200)
        #expect(reply.contentType == OCSPRequest.responseMediaType)
        #expect(try OCSPResponse(der: reply.body).responseStatus == .successful)
    }
}

/// Runs `body`, expecting a ``TransportError`` with code `http`; returns it.
@discardableResult
private func expectTransportError<R>(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) -> TransportError? {
    do {
        _ = try body()
        Issue.record("expected TransportError.http, got success", sourceLocation: sourceLocation)
    } catch let error as TransportError {
        #expect(error.code == .http, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected TransportError.http, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
