import CryptoCore
import Foundation
import WebEID

extension ChallengeSigner {
    /// A Web eID authentication token for `nonce` on `origin`, signed with the card's (or test
    /// key's) authentication key: `hash(origin) ‖ hash(nonce)` with the card's digest for its key
    /// (ES384 on an EC P-384 card, RS256 on an RSA card), ECDSA as `r ‖ s`. The PIN must be
    /// verified first. The issuing CA certificates ride along, so the server needs none configured.
    public func webEIDToken(origin: String, nonce: String, appVersion: String) throws -> WebEIDToken {
        let kind = try Certificate(der: certificate).publicKey().kind
        let digest = kind.challengeDigest
        let data = WebEID.signedData(origin: origin, nonce: nonce, digest: digest)
        var signature = try sign(data)
        if case .ec(_, let bits) = kind {
            signature = try ECDSASignatureEncoding.raw(fromDER: signature, componentLength: (bits + 7) / 8)
        }
        let bits = digest.length * 8
        return WebEIDToken(unverifiedCertificate: Data(certificate).base64EncodedString(), algorithm: kind.isEC ? "ES\(bits)" : "RS\(bits)",
                           signature: Data(signature).base64EncodedString(), appVersion: appVersion,
                           unverifiedIntermediateCertificates: intermediates.map { Data($0).base64EncodedString() })
    }
}
