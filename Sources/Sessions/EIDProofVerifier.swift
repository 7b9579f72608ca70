import CryptoCore
import Foundation
import Trust

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
/// certificate's key, then the certificate through Trust — path to the configured roots,
/// revocation of the leaf, and the key-strength policy on the authentication key.
public struct EIDProofVerifier: Sendable {
    public let paths: PathValidator
    /// nil only in configurations that explicitly run without revocation checks.
    public let revocation: RevocationChecker?
    public let keyStrength: KeyStrengthChecker

    public init(paths: PathValidator, revocation: RevocationChecker?, keyStrength: KeyStrengthChecker = KeyStrengthChecker()) {
        self.paths = paths
        self.revocation = revocation
        self.keyStrength = keyStrength
    }

    /// Verifies `signature` over `message` and the certificate at `time`.
    /// - Throws: ``SessionsError`` `invalidInput` (unreadable certificates), `signatureInvalid`,
    ///   or `certificateRefused` carrying the Trust rule that failed.
    public func verify(signature: [UInt8], over message: [UInt8], certificate der: [UInt8], intermediates: [[UInt8]],
                       at time: Date) throws(SessionsError) -> EIDProof {
        let leaf: Certificate
        let chain: [Certificate]
        let key: PublicKey
        do {
            leaf = try Certificate(der: der)
            chain = try intermediates.map { try Certificate(der: $0) }
            key = try leaf.publicKey()
        } catch {
            throw SessionsError(.invalidInput, "the certificates are not readable DER X.509")
        }
        let valid = key.kind.isEC
            ? key.verify(signature: signature, data: message, algorithm: .sha384)
            : key.verify(signature: signature, data: message, algorithm: .sha256)
        guard valid else {
            throw SessionsError(.signatureInvalid, "the signature does not verify with the authentication certificate's key")
        }
        do {
            let path = try paths.validate(leaf, kind: .authentication, intermediates: chain, at: time)
            if let revocation { _ = try revocation.requireGood(leaf, issuer: path.issuer, at: time) }
            try keyStrength.requireAcceptable(leaf, year: Self.year(of: time))
            guard let number = path.nationalNumber else {
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

    private static func year(of date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.component(.year, from: date)
    }
}
