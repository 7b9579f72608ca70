import CryptoCore
import Foundation
import Trust
import WebEID

/// What a verified eID proof established.
public struct EIDProof: Sendable {
    /// The national register number from the authentication certificate (11 digits).
    public let nationalNumber: String
    /// The authentication certificate.
    public let certificate: Certificate
    /// Given names and surname from the certificate subject (GN, SN).
    public let givenName: String?
    public let familyName: String?
}

/// Checks the card's answer to a login challenge: the signature with the authentication
/// certificate's key, then the certificate through Trust's ``TrustService`` — path to the
/// configured roots, the key-strength policy on the authentication key, and revocation.
public struct EIDProofVerifier: Sendable {
    public let trust: TrustService

    public init(trust: TrustService) {
        self.trust = trust
    }

    /// Verifies `signature` over `message` and the certificate at `time`.
    /// - Parameter scheme: the digest and padding; nil for the card's own scheme
    ///   (``KeyKind/challengeDigest``, PKCS#1 v1.5 for RSA, DER ECDSA).
    /// - Throws: ``SessionsError`` `invalidInput` (unreadable certificates), `signatureInvalid`,
    ///   or `certificateRefused` carrying the Trust rule that failed.
    public func verify(signature: [UInt8], over message: [UInt8], certificate der: [UInt8], intermediates: [[UInt8]],
                       at time: Date, scheme: WebEID.Algorithm? = nil) throws(SessionsError) -> EIDProof {
        let leaf: Certificate
        let chain: [Certificate]
        let key: PublicKey
        do {
            leaf = try Certificate.remembered(der: der)
            chain = try intermediates.map { try Certificate.remembered(der: $0) }
            key = try leaf.publicKey()
        } catch {
            throw SessionsError(.invalidInput, "the certificates are not readable DER X.509")
        }
        let valid: Bool
        if let scheme {
            valid = Self.verify(signature: signature, over: message, key: key, scheme: scheme)
        } else {
            valid = key.verify(signature: signature, data: message, algorithm: key.kind.challengeDigest)
        }
        guard valid else {
            throw SessionsError(.signatureInvalid, "the signature does not verify with the authentication certificate's key")
        }
        do {
            let verdict = try trust.requireAcceptable(certificate: leaf, intermediates: chain, kind: .authentication, at: time)
            guard let number = verdict.validatedPath?.nationalNumber else {
                throw TrustError(.missingNationalNumber, "the authentication certificate carries no national register number")
            }
            return EIDProof(nationalNumber: number, certificate: leaf, givenName: leaf.subject.value(of: DistinguishedName.givenNameOID),
                            familyName: leaf.subject.value(of: DistinguishedName.surnameOID))
        } catch let error as TrustError {
            throw SessionsError(.certificateRefused, error.reason, trustCode: "trust.\(error.code)")
        } catch {
            throw SessionsError(.certificateRefused, "trust check failed: \(error)", trustCode: "trust.unknown")
        }
    }

    /// A Web eID signature: ECDSA `r ‖ s` of the key's curve size with an EC key, RSA (PKCS#1 v1.5
    /// or PSS) with an RSA key; any other pairing does not verify.
    static func verify(signature: [UInt8], over message: [UInt8], key: PublicKey, scheme: WebEID.Algorithm) -> Bool {
        switch key.kind {
        case .ec(_, let bits) where scheme.isECDSA:
            guard signature.count == 2 * ((bits + 7) / 8), let der = try? ECDSASignatureEncoding.der(fromRaw: signature) else { return false }
            return key.verify(signature: der, data: message, algorithm: scheme.digest)
        case .rsa where !scheme.isECDSA:
            return key.verify(signature: signature, data: message, algorithm: scheme.digest, pss: scheme.isPSS)
        default:
            return false
        }
    }
}
