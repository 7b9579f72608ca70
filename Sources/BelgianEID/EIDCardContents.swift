import CryptoCore

/// Everything read from one card: the raw files exactly as read, and their parsed forms.
public struct EIDCardContents: Sendable {
    public let cardData: CardData
    /// Raw file bytes as read (certificates without their zero padding; absent ones empty).
    public let files: [EIDFile: [UInt8]]
    public let identity: Identity
    public let address: Address

    /// Parses the identity and address files.
    /// - Throws: ``EIDError`` when a file is missing or malformed.
    public init(cardData: CardData, files: [EIDFile: [UInt8]]) throws {
        self.cardData = cardData
        self.files = files
        guard let id = files[.identity], let addr = files[.address] else {
            throw EIDError.fileNotFound("identity or address file was not read")
        }
        identity = try Identity(tlv: id)
        address = try Address(tlv: addr)
    }

    /// The photo (JPEG), when it was read.
    public var photo: [UInt8]? { files[.photo] }

    /// The certificate in `file`, or nil when the card holds none there.
    public func certificate(_ file: EIDFile) throws -> Certificate? {
        guard file.isCertificate, let der = files[file], !der.isEmpty else { return nil }
        return try Certificate(der: der)
    }

    /// Checks the card data's authenticity (spec §4) without talking to the card.
    public func verifyIntegrity() -> IntegrityReport { IntegrityReport(contents: self) }
}

/// The outcome of the card-data integrity checks of spec §4.
public struct IntegrityReport: Sendable, Codable, Equatable {
    public enum Check: String, Sendable, Codable {
        case rrnCertificate, identitySignature, addressSignature, photoHash, basicKeyHash, chipNumber
    }

    public struct Result: Sendable, Codable, Equatable {
        public let check: Check
        public let passed: Bool
        /// What was checked and how (algorithm), or why it failed. No personal data.
        public let detail: String
    }

    public let results: [Result]

    /// True when every check that applies passed.
    public var isValid: Bool { !results.isEmpty && results.allSatisfy(\.passed) }

    /// The checks that failed.
    public var failures: [Result] { results.filter { !$0.passed } }

    init(contents c: EIDCardContents) {
        var results: [Result] = []
        func add(_ check: Check, _ passed: Bool, _ detail: String) {
            results.append(Result(check: check, passed: passed, detail: detail))
        }
        let idFile = c.files[.identity] ?? []
        let idSig = c.files[.identitySignature] ?? []
        let addrFile = c.files[.address] ?? []
        let addrSig = c.files[.addressSignature] ?? []

        // The RRN certificate must be issued by the root certificate on the card.
        var rrnKey: PublicKey?
        do {
            guard let rrn = try c.certificate(.rrnCertificate) else { throw EIDError.fileNotFound("no RRN certificate") }
            rrnKey = try rrn.publicKey()
            if let root = try c.certificate(.rootCertificate) {
                add(.rrnCertificate, rrn.isSignedBy(root), "RRN certificate issued by the card's root certificate")
            } else {
                add(.rrnCertificate, false, "no root certificate on the card")
            }
        } catch {
            add(.rrnCertificate, false, "RRN certificate unreadable: \(error)")
        }

        if let key = rrnKey {
            let (okID, how) = Self.verifyRRN(key: key, signature: idSig, data: idFile)
            add(.identitySignature, okID, how)
            let signedAddress = EIDTLV.trimmingTrailingZeros(addrFile) + idSig
            let (okAddr, howAddr) = Self.verifyRRN(key: key, signature: addrSig, data: signedAddress)
            add(.addressSignature, okAddr, howAddr)
        } else {
            add(.identitySignature, false, "no RRN key to check with")
            add(.addressSignature, false, "no RRN key to check with")
        }

        if let photo = c.files[.photo] {
            let expected = c.identity.photoHash
            if let alg = DigestAlgorithm.sha(outputLength: expected.count) {
                add(.photoHash, alg.hash(photo) == expected, "photo \(alg.rawValue.uppercased()) hash against identity tag 11")
            } else {
                add(.photoHash, false, "identity tag 11 has an unknown hash length \(expected.count)")
            }
        }

        if let basic = c.files[.basicPublicKey], !basic.isEmpty {
            if let expected = c.identity.basicKeyHash {
                add(.basicKeyHash, DigestAlgorithm.sha384.hash(basic) == expected, "SHA-384 of file 4040 against identity tag 1A")
            } else {
                add(.basicKeyHash, false, "basic key file present but identity has no tag 1A")
            }
        }

        add(.chipNumber, c.identity.chipNumber == c.cardData.serialNumber, "chip number (tag 02) equals the GET CARD DATA serial")
        self.results = results
    }

    /// Verifies an RRN signature: RSA by recovering the DigestInfo and using the hash it
    /// names (robust for re-signed cards), EC as DER ECDSA with SHA-384 after trimming padding.
    static func verifyRRN(key: PublicKey, signature: [UInt8], data: [UInt8]) -> (Bool, String) {
        switch key.kind {
        case .rsa:
            guard let recovered = try? key.rsaRecoverPKCS1(signature: signature) else {
                return (false, "RSA signature does not open with the RRN key")
            }
            guard let (alg, digest) = try? HashAlgorithm.parseDigestInfo(recovered), let dalg = DigestAlgorithm(rawValue: alg.rawValue) else {
                return (false, "RSA signature carries no known DigestInfo")
            }
            return (dalg.hash(data) == digest, "RSA PKCS#1 v1.5 \(dalg.rawValue.uppercased())")
        case .ec:
            guard let der = try? ECDSASignatureFormat.trimZeroPadding(signature) else {
                return (false, "EC signature is not DER")
            }
            return (key.verify(signature: der, data: data, algorithm: .sha384), "ECDSA SHA-384")
        case .other(let name, _):
            return (false, "unsupported RRN key type \(name)")
        }
    }
}
