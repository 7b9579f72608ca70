import CryptoCore
import Foundation

// The Web eID authentication protocol (token format web-eid:1.0), shared by the server that checks
// tokens (Sessions) and the card agent that makes them (CardAgent).

/// A Web eID authentication token (format `web-eid:1.0`), as the Web eID browser extension and
/// Sleutel's card agent return it: the card's authentication certificate and its signature over
/// `hash(origin) ‖ hash(challenge nonce)`, so a token made for one site or one challenge is useless
/// for any other.
public struct WebEIDToken: Sendable, Codable, Equatable {
    /// Base64 DER of the authentication certificate (unverified until Trust accepts it).
    public let unverifiedCertificate: String
    /// The JWA name of the signature algorithm: `ES256/384/512`, `RS256/384/512`, `PS256/384/512`.
    public let algorithm: String
    /// Base64 signature; ECDSA as `r ‖ s` (IEEE P1363), RSA as the plain signature block.
    public let signature: String
    /// `web-eid:1.0` (any `web-eid:1.x` is read as 1.0).
    public let format: String
    /// The URL and version of the application that made the token.
    public let appVersion: String
    /// Base64 DER of the issuing CA certificates read from the card. Sleutel's agent adds them;
    /// the Web eID application does not, and then the configured intermediates are used.
    public let unverifiedIntermediateCertificates: [String]?

    public init(unverifiedCertificate: String, algorithm: String, signature: String, format: String = "web-eid:1.0",
                appVersion: String, unverifiedIntermediateCertificates: [String]? = nil) {
        self.unverifiedCertificate = unverifiedCertificate
        self.algorithm = algorithm
        self.signature = signature
        self.format = format
        self.appVersion = appVersion
        self.unverifiedIntermediateCertificates = unverifiedIntermediateCertificates
    }
}

/// The algorithms and the signed data of the Web eID authentication protocol.
public enum WebEID {
    /// A Web eID signature algorithm.
    public struct Algorithm: Sendable, Equatable {
        public let name: String
        public let digest: DigestAlgorithm
        /// ECDSA (`ES…`), else RSA.
        public let isECDSA: Bool
        /// RSASSA-PSS (`PS…`) rather than PKCS#1 v1.5.
        public let isPSS: Bool

        /// The algorithm named `name`, nil for any other name (`none` included).
        public init?(_ name: String) {
            let digests: [String: DigestAlgorithm] = ["256": .sha256, "384": .sha384, "512": .sha512]
            guard name.utf8.count == 5, let digest = digests[String(name.suffix(3))] else { return nil }
            switch name.prefix(2) {
            case "ES": (isECDSA, isPSS) = (true, false)
            case "RS": (isECDSA, isPSS) = (false, false)
            case "PS": (isECDSA, isPSS) = (false, true)
            default: return nil
            }
            self.name = name
            self.digest = digest
        }
    }

    /// The bytes the card signs: `hash(origin) ‖ hash(nonce)`, with the algorithm's digest over
    /// the UTF-8 of the origin's ASCII serialisation and of the nonce as sent.
    public static func signedData(origin: String, nonce: String, digest: DigestAlgorithm) -> [UInt8] {
        digest.hash(Array(origin.utf8)) + digest.hash(Array(nonce.utf8))
    }

    /// `origin` if it is the ASCII serialisation of a web origin Sleutel may serve a login page
    /// on: `https://host[:port]`, or `http://` on a loopback host (127.0.0.1, [::1], localhost);
    /// lowercase, no path, no default port, no user info.
    public static func checkedOrigin(_ origin: String) -> String? {
        guard origin.utf8.count <= 255, let url = URLComponents(string: origin), let scheme = url.scheme, let host = url.host,
              !host.isEmpty, url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil, url.password == nil,
              origin == origin.lowercased()
        else { return nil }
        let loopback = ["127.0.0.1", "localhost", "[::1]", "::1"].contains(host)
        guard scheme == "https" || (scheme == "http" && loopback) else { return nil }
        if let port = url.port, port == (scheme == "https" ? 443 : 80) { return nil }
        return origin
    }
}
