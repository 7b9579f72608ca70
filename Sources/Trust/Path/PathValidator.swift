import CryptoCore
import Foundation

/// A chain that passed every rule.
public struct ValidatedPath: Sendable {
    public let kind: CertificateKind
    /// Leaf first, then the intermediates up to (not including) the root.
    public let chain: [Certificate]
    public let anchor: TrustAnchor
    /// The version of the root certificate that was valid at the validation time.
    public let anchorCertificate: Certificate
    public let holderType: HolderType
    /// The policy OID that matched.
    public let policy: String
    /// The national register number from the subject's serialNumber (auth/sign only).
    public let nationalNumber: String?

    public var leaf: Certificate { chain[0] }
    /// The certificate that issued the leaf (the Citizen/Foreigner CA, or the root for RRN).
    public var issuer: Certificate { chain.count > 1 ? chain[1] : anchorCertificate }
}

/// Certificate path validation for eID certificates (RFC 5280 basics plus the Belgian
/// profile of spec §8): signatures, name chaining, validity at an instant, basic constraints
/// and path length, key usage per certificate kind, policy per root generation, national
/// register number in the subject. Each refusal is a ``TrustError`` naming the rule.
///
/// Extended key usage is not enforced: the public documentation of eID leaf certificates
/// does not state it (spec §12.7), so requiring one could refuse genuine cards.
public struct PathValidator: Sendable {
    public let configuration: TrustConfiguration

    public init(configuration: TrustConfiguration) {
        self.configuration = configuration
    }

    /// Validates `leaf` as a certificate of `kind` at `time`.
    /// - Parameters:
    ///   - intermediates: candidate issuers (e.g. the card's CA certificate). Self-signed
    ///     certificates in this list are ignored: roots are trusted only from the configuration.
    public func validate(_ leaf: Certificate, kind: CertificateKind, intermediates: [Certificate] = [], at time: Date = Date()) throws -> ValidatedPath {
        let (chain, anchor, anchorCert) = try buildChain(leaf, intermediates: intermediates.filter { !$0.isSelfIssued })
        try checkValidity(chain, anchor: anchor, anchorCertificate: anchorCert, at: time)
        try checkStructure(chain, anchorCertificate: anchorCert, kind: kind)
        let (holder, policy) = try checkPolicy(leaf, kind: kind, generation: anchor.generation)
        let nationalNumber = try checkSubject(leaf, kind: kind)
        return ValidatedPath(kind: kind, chain: chain, anchor: anchor, anchorCertificate: anchorCert,
                             holderType: holder, policy: policy, nationalNumber: nationalNumber)
    }

    // MARK: Chain building

    private func buildChain(_ leaf: Certificate, intermediates: [Certificate]) throws -> ([Certificate], TrustAnchor, Certificate) {
        var chain = [leaf]
        var remaining = intermediates
        while chain.count <= 4 {
            let current = chain[chain.count - 1]
            let role = Self.role(of: current, at: chain.count - 1)
            // A configured root, matched by name and proven by its key.
            let namedAnchors = configuration.anchors.filter { a in a.certificates.contains { current.issuerNameMatches(subjectOf: $0) } }
            if let anchor = namedAnchors.first(where: { Self.isSigned(current, by: $0.certificates[0]) }) {
                return (chain, anchor, anchor.certificates[0])
            }
            let namedIssuers = remaining.filter { current.issuerNameMatches(subjectOf: $0) }
            if let issuer = namedIssuers.first(where: { Self.isSigned(current, by: $0) }) {
                chain.append(issuer)
                remaining.removeAll { $0.derEncoded == issuer.derEncoded }
                continue
            }
            if !namedAnchors.isEmpty || !namedIssuers.isEmpty {
                throw TrustError(.badSignature, "the signature of \(role) does not verify with the key of its issuer '\(current.issuer.commonName ?? "?")'")
            }
            throw TrustError(
                .noTrustAnchor,
                "\(role) was issued by '\(current.issuer.commonName ?? "?")', which is neither a trusted root "
                    + "(\(configuration.mode.rawValue) roots: \(configuration.anchors.map(\.name).joined(separator: ", "))) nor a given intermediate"
            )
        }
        throw TrustError(.pathLength, "no trusted root within 4 certificates")
    }

    /// Whether `child` verifies with `issuer`'s key. Verified pairs are remembered by SHA-256 of
    /// both encodings — a pure function of the bytes — so the Citizen CA's signature by the root
    /// is checked once per process, and a returning card's certificate once per ``verifiedCapacity``
    /// distinct certificates. Failures are never remembered.
    static func isSigned(_ child: Certificate, by issuer: Certificate) -> Bool {
        let key = DigestAlgorithm.sha256.hash(child.derEncoded + issuer.derEncoded)
        if verifiedIssuers[key] == true { return true }
        let valid = child.isSignedBy(issuer)
        if valid { verifiedIssuers.remember(true, for: key) }
        return valid
    }

    /// How many verified pairs are kept (32-byte keys, a few MiB at most).
    static let verifiedCapacity = 65_536
    private static let verifiedIssuers = BoundedCache<[UInt8], Bool>(capacity: verifiedCapacity)

    // MARK: Rules

    private func checkValidity(_ chain: [Certificate], anchor: TrustAnchor, anchorCertificate: Certificate, at time: Date) throws {
        for (i, cert) in chain.enumerated() {
            let role = Self.role(of: cert, at: i)
            if time < cert.notBefore { throw TrustError(.notYetValid, "\(role) is valid only from \(Self.format(cert.notBefore))") }
            if time > cert.notAfter { throw TrustError(.expired, "\(role) expired on \(Self.format(cert.notAfter))") }
        }
        // The root: any certificate of the anchor's key that is valid now will do (re-issues).
        guard anchor.certificates.contains(where: { $0.notBefore <= time && time <= $0.notAfter }) else {
            let last = anchor.certificates.map(\.notAfter).max() ?? anchorCertificate.notAfter
            if time > last { throw TrustError(.expired, "root '\(anchor.name)' expired on \(Self.format(last))") }
            throw TrustError(.notYetValid, "root '\(anchor.name)' is not yet valid")
        }
    }

    private func checkStructure(_ chain: [Certificate], anchorCertificate: Certificate, kind: CertificateKind) throws {
        for (i, cert) in (chain + [anchorCertificate]).enumerated() where cert.hasUnhandledCriticalExtension {
            throw TrustError(.unhandledCriticalExtension, "\(Self.role(of: cert, at: i)) has a critical extension Sleutel does not understand")
        }
        let leaf = chain[0]
        if leaf.isCA || leaf.basicConstraintsCA { throw TrustError(.basicConstraints, "the \(kind.rawValue) certificate is a CA certificate") }
        // Every issuer must be a CA allowed to sign certificates, within its path length.
        let issuers = Array(chain.dropFirst()) + [anchorCertificate]
        for (index, issuer) in issuers.enumerated() {
            let role = Self.role(of: issuer, at: index + 1)
            guard issuer.isCA else { throw TrustError(.basicConstraints, "\(role) is not a CA (basicConstraints)") }
            if let usage = issuer.keyUsage, !usage.contains(.keyCertSign) {
                throw TrustError(.keyUsage, "\(role) may not sign certificates (keyUsage lacks keyCertSign)")
            }
            let casBelow = index  // intermediates between this issuer and the leaf
            if let limit = issuer.pathLengthConstraint, casBelow > limit {
                throw TrustError(.pathLength, "\(role) allows \(limit) CA certificates below it, the chain has \(casBelow)")
            }
        }
        try checkKeyUsage(leaf, kind: kind)
    }

    private func checkKeyUsage(_ leaf: Certificate, kind: CertificateKind) throws {
        guard let usage = leaf.keyUsage else {
            throw TrustError(.keyUsage, "the \(kind.rawValue) certificate has no keyUsage extension")
        }
        let ds = usage.contains(.digitalSignature), nr = usage.contains(.nonRepudiation)
        switch kind {
        case .authentication:
            guard ds && !nr else {
                throw TrustError(.keyUsage, "an authentication certificate must have digitalSignature and not nonRepudiation")
            }
            // An extended key usage, when present, restricts the key to its purposes (RFC 5280
            // §4.2.1.12); eID authentication certificates carry clientAuth (and emailProtection).
            if let purposes = leaf.extendedKeyUsage, !purposes.contains(.clientAuth), !purposes.contains(.any) {
                throw TrustError(.extendedKeyUsage, "the authentication certificate's extendedKeyUsage lacks clientAuth")
            }
        case .signature:
            guard nr && !ds else {
                throw TrustError(.keyUsage, "a signature certificate must have nonRepudiation and not digitalSignature")
            }
            guard leaf.hasExtension(Certificate.qcStatementsOID) else {
                throw TrustError(.policy, "a signature certificate must carry qualified-certificate statements")
            }
        case .rrn:
            guard ds && nr else {
                throw TrustError(.keyUsage, "the RRN certificate must have digitalSignature and nonRepudiation")
            }
        }
    }

    private func checkPolicy(_ leaf: Certificate, kind: CertificateKind, generation: RootGeneration) throws -> (HolderType, String) {
        let present = try leaf.policyOIDs()
        let expected = generation.policies(for: kind)
        for holder in [HolderType.citizen, .foreigner, .registry] {
            if let oid = expected[holder], present.contains(oid) { return (holder, oid) }
        }
        throw TrustError(
            .policy,
            "the \(kind.rawValue) certificate carries policies [\(present.joined(separator: ", "))]; "
                + "under \(generation.rawValue) one of [\(expected.values.sorted().joined(separator: ", "))] is required"
        )
    }

    private func checkSubject(_ leaf: Certificate, kind: CertificateKind) throws -> String? {
        let subject = leaf.subject
        switch kind {
        case .authentication, .signature:
            guard let number = subject.value(of: DistinguishedName.serialNumberOID) else {
                throw TrustError(.missingNationalNumber, "the \(kind.rawValue) certificate's subject has no serialNumber")
            }
            guard Self.isNationalNumber(number) else {
                throw TrustError(
                    .missingNationalNumber,
                    "the \(kind.rawValue) certificate's serialNumber is not a valid national register number (11 digits, mod-97 check)"
                )
            }
            return number
        case .rrn:
            guard subject.value(of: DistinguishedName.countryOID) == "BE", subject.value(of: DistinguishedName.organizationOID) == "RRN",
                  subject.commonName == "RRN"
            else {
                throw TrustError(.nameChaining, "the RRN certificate's subject must be C=BE, O=RRN, CN=RRN")
            }
            return nil
        }
    }

    /// 11 digits whose last two are 97 − (first nine mod 97), for births before or after 2000.
    static func isNationalNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 11, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
        let body = Int(text.prefix(9))!, check = Int(text.suffix(2))!
        return 97 - body % 97 == check || 97 - (2_000_000_000 + body) % 97 == check
    }

    private static func role(of cert: Certificate, at index: Int) -> String {
        // Leaf names are personal data: never put them in errors.
        index == 0 ? "the leaf certificate" : "CA certificate '\(cert.subject.commonName ?? "?")'"
    }

    private static func format(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
