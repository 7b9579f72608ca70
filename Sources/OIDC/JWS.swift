import CryptoCore
import Foundation

/// Compact JWS with ES256 (RFC 7515, RFC 7518 §3.4) and the JWK of the signing key (RFC 7517,
/// thumbprint key id per RFC 7638).
struct JWSSigner: Sendable {
    let key: PrivateKey
    /// The RFC 7638 thumbprint of the public key, used as `kid`.
    let keyID: String
    /// The public JWK.
    let jwk: [String: String]
    /// The protected header, base64url: the same for every token, so made once.
    private let encodedHeader: String

    init(key: PrivateKey) throws {
        self.key = key
        let point = try key.publicKey().ecUncompressedPoint()
        guard point.count == 65 else { throw OIDCError(.configuration, "the signing key is not a P-256 key") }
        let x = Base64URL.encode(Array(point[1..<33]))
        let y = Base64URL.encode(Array(point[33..<65]))
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        keyID = Base64URL.encode(DigestAlgorithm.sha256.hash(Array(canonical.utf8)))
        jwk = ["kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": keyID, "use": "sig", "alg": "ES256"]
        let header = try JSONSerialization.data(withJSONObject: ["alg": "ES256", "typ": "JWT", "kid": keyID], options: [.sortedKeys])
        encodedHeader = Base64URL.encode(Array(header))
    }

    /// Signs `claims` (a JSON object) into `header.payload.signature`.
    /// - Parameter type: the header's `typ` (`logout+jwt` for logout tokens).
    func sign(_ claims: some Encodable, type: String = "JWT") throws -> String {
        let header = type == "JWT"
            ? encodedHeader
            : Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: ["alg": "ES256", "typ": type, "kid": keyID], options: [.sortedKeys])))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = try encoder.encode(claims)
        let input = header + "." + Base64URL.encode(Array(payload))
        let der = try key.ecdsaSign(digest: DigestAlgorithm.sha256.hash(Array(input.utf8)))
        let raw = try ECDSASignatureEncoding.raw(fromDER: der, componentLength: 32)
        return input + "." + Base64URL.encode(raw)
    }
}


