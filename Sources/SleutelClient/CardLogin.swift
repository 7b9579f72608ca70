import BelgianEID
import CryptoCore
import Foundation

/// What answers a Sleutel eID login challenge: the eID card itself after its PIN (``CardSigner``),
/// or a key of the test PKI standing in for a card in benchmarks and the crash test (``KeySigner``).
public protocol ChallengeSigner {
    /// The authentication certificate (DER).
    var certificate: [UInt8] { get }
    /// The issuing CA certificates (DER).
    var intermediates: [[UInt8]] { get }
    /// Signs the challenge's bytes to be signed, with the digest the card uses for its key.
    func sign(_ toBeSigned: [UInt8]) throws -> [UInt8]
}

/// The eID card in a reader as the signer: its authentication certificate and CA read from the
/// card, the signature made by the card (the PIN must be verified first).
public struct CardSigner: ChallengeSigner {
    public let card: EIDCard
    public let certificate: [UInt8]
    public let intermediates: [[UInt8]]
    private let keyKind: KeyKind

    /// Reads the authentication certificate and the CA certificate from `card`.
    public init(card: EIDCard) throws {
        self.card = card
        let leaf = try Certificate(paddedDER: try card.read(.authenticationCertificate))
        let issuer = try Certificate(paddedDER: try card.read(.caCertificate))
        certificate = leaf.derEncoded
        intermediates = [issuer.derEncoded]
        keyKind = try leaf.publicKey().kind
    }

    public func sign(_ toBeSigned: [UInt8]) throws -> [UInt8] {
        try card.signChallenge(toBeSigned, keyKind: keyKind).bytes
    }
}

/// A private key standing in for a card (benchmarks, crash test), with its certificates.
public struct KeySigner: ChallengeSigner, Sendable {
    public let certificate: [UInt8]
    public let intermediates: [[UInt8]]
    public let key: PrivateKey

    public init(certificate: [UInt8], intermediates: [[UInt8]], key: PrivateKey) {
        self.certificate = certificate
        self.intermediates = intermediates
        self.key = key
    }

    public func sign(_ toBeSigned: [UInt8]) throws -> [UInt8] {
        try key.sign(data: toBeSigned, algorithm: key.kind.challengeDigest)
    }
}

extension SleutelClient {
    /// The one eID login flow over the API: asks a challenge, lets `beforeSigning` run (the PIN
    /// prompt), has `signer` sign the challenge, lets `afterSigning` run (the card's log off, also
    /// when signing failed) and sends the answer with the certificates.
    /// - Parameter cardBinding: the card in the local reader the session is bound to (kiosk), or nil.
    /// - Throws: ``Refusal`` when the server refuses, or what the signer or the hooks throw.
    public func login(application: String, cardBinding: String? = nil, signer: some ChallengeSigner,
                      beforeSigning: () throws -> Void = {}, afterSigning: () -> Void = {}) throws -> Issued {
        let challenge = try challenge(application: application, cardBinding: cardBinding)
        let signature: [UInt8]
        do {
            defer { afterSigning() }
            try beforeSigning()
            signature = try signer.sign(Array(challenge.toBeSigned))
        }
        return try login(transactionID: challenge.transactionId, signature: signature, certificate: signer.certificate,
                         intermediates: signer.intermediates)
    }
}
