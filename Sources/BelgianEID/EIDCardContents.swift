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
    ///
    /// Without `trustedRoots` the RRN certificate is only checked against the root certificate
    /// found on the card, which a forged card brings along: give the trusted roots (matched by
    /// public key, spec §4.5) to have the card's root checked too (``IntegrityReport/Check/rootCertificate``).
    /// The chip itself is checked by ``EIDCard/verifyIntegrity(of:trustedRoots:)``, which adds the
    /// basic-key challenge of 1.8 cards.
    public func verifyIntegrity(trustedRoots: [Certificate]? = nil) -> IntegrityReport {
        IntegrityReport(contents: self, trustedRoots: trustedRoots)
    }
}

/// The outcome of the card-data integrity checks of spec §4.
public struct IntegrityReport: Sendable, Codable, Equatable {
    public enum Check: String, Sendable, Codable {
        /// The root certificate on the card (`503B`) has the key of a trusted root (only when trusted roots are given).
        case rootCertificate
        case rrnCertificate, identitySignature, addressSignature, photoHash, basicKeyHash
        /// 1.8: the chip signs a fresh challenge with the basic key of file `4040` (INTERNAL AUTHENTICATE).
        case basicKeyChallenge
        case chipNumber
    }

    public struct Result: Sendable, Codable, Equatable {
        public let check: Check
        public let passed: Bool
        /// What was checked and how (algorithm), or why it failed. No personal data.
        public let detail: String

        public init(check: Check, passed: Bool, detail: String) {
            self.check = check
            self.passed = passed
            self.detail = detail
        }
    }

    public let results: [Result]

    /// True when every check that applies passed.
    public var isValid: Bool { !results.isEmpty && results.allSatisfy(\.passed) }

    /// The checks that failed.
    public var failures: [Result] { results.filter { !$0.passed } }

    /// The checks that failed, by name (`identitySignature, addressSignature`), for messages.
    public var failureNames: String { failures.map(\.check.rawValue).joined(separator: ", ") }

    /// This report with `result` added (e.g. the basic-key challenge, which needs the card).
    public func adding(_ result: Result) -> IntegrityReport {
        IntegrityReport(results: results + [result])
    }

    private init(results: [Result]) { self.results = results }

    init(contents c: EIDCardContents, trustedRoots: [Certificate]?) {
        var results: [Result] = []
        func add(_ check: Check, _ passed: Bool, _ detail: String) {
            results.append(Result(check: check, passed: passed, detail: detail))
        }
        let idFile = c.files[.identity] ?? []
        let idSig = c.files[.identitySignature] ?? []
        let addrFile = c.files[.address] ?? []
        let addrSig = c.files[.addressSignature] ?? []

        // The root certificate on the card must be a trusted root (by key: re-issued roots keep it).
        if let trustedRoots {
            do {
                if let root = try c.certificate(.rootCertificate) {
                    let key = try root.publicKey().spkiDER()
                    let trusted = trustedRoots.contains { (try? $0.publicKey().spkiDER()) == key }
                    add(.rootCertificate, trusted && root.isSignedBy(root),
                        trusted ? "the card's root certificate has the key of a trusted root" : "the card's root certificate is not a trusted root")
                } else {
                    add(.rootCertificate, false, "no root certificate on the card")
                }
            } catch {
                add(.rootCertificate, false, "root certificate unreadable: \(error)")
            }
        }

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

        let basic = c.files[.basicPublicKey] ?? []
        switch (basic.isEmpty, c.identity.basicKeyHash) {
        case (false, let expected?):
            add(.basicKeyHash, DigestAlgorithm.sha384.hash(basic) == expected, "SHA-384 of file 4040 against identity tag 1A")
        case (false, nil):
            add(.basicKeyHash, false, "basic key file present but identity has no tag 1A")
        case (true, _?):
            add(.basicKeyHash, false, "identity tag 1A names a basic key but file 4040 was not read or is empty")
        case (true, nil):
            if c.cardData.appletVersion.isEC { add(.basicKeyHash, false, "applet 1.8 card without a basic key (no tag 1A, no file 4040)") }
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
