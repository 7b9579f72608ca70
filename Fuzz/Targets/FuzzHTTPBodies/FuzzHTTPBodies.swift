import Foundation
import FuzzSupport
@testable import Server

/// libFuzzer target: request bodies of the HTTP API, through the same functions the routes use:
/// `JSON.decode(_:body:)` for the JSON bodies of `POST /v1/eid/challenge`, `/v1/eid/login`,
/// `/v1/session/organisation` and `/v1/keys/check`, `FormEncoding.parse` for the form body of
/// `POST /oidc/token` and the query of `GET /oidc/authorize`, and the `Authorization: Basic`
/// header reader of the token endpoint. Each must return a value or throw an ``APIError`` /
/// ``OIDCError``, never crash.
@main
enum FuzzHTTPBodies {
    static func main() {
        FuzzDriver.run(fuzzOneInput)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let body = Data(FuzzDriver.bytes(data, size))
    _ = try? JSON.decode(ChallengeRequest.self, body: body)
    _ = try? JSON.decode(EIDLoginRequest.self, body: body)
    _ = try? JSON.decode(OrganisationRequest.self, body: body)
    _ = try? JSON.decode(KeyCheckRequest.self, body: body)
    let text = String(decoding: body, as: UTF8.self)
    _ = try? FormEncoding.parse(text)
    _ = SleutelServer.basicCredentials(authorization: text)
    _ = SleutelServer.basicCredentials(authorization: "Basic " + body.base64EncodedString())
    return 0
}
