import CryptoCore
import Foundation

/// A generation of Belgium Root CA; each has its own policy arc (spec §8.2).
public enum RootGeneration: String, Sendable, Codable, CaseIterable {
    case brca = "Belgium Root CA"
    case brca2 = "Belgium Root CA2"
    case brca3 = "Belgium Root CA3"
    case brca4 = "Belgium Root CA4"
    case brca6 = "Belgium Root CA6"

    /// The policy OID arc under which this root's certificates carry their policies.
    public var policyArc: String {
        switch self {
        case .brca: "2.16.56.1"
        case .brca2: "2.16.56.9"
        case .brca3: "2.16.56.10"
        case .brca4: "2.16.56.12"
        case .brca6: "2.16.56.13.6"
        }
    }

    /// Certificate policies a leaf of `kind` must carry under this root, by holder type.
    public func policies(for kind: CertificateKind) -> [HolderType: String] {
        switch (self, kind) {
        case (.brca6, .authentication): [.citizen: "2.16.56.13.6.1.1.1000", .foreigner: "2.16.56.13.6.2.1.1000"]
        case (.brca6, .signature): [.citizen: "2.16.56.13.6.1.2.1000", .foreigner: "2.16.56.13.6.2.2.1000"]
        case (.brca6, .rrn): [.registry: "2.16.56.13.6.0.1"]
        case (_, .authentication): [.citizen: "\(policyArc).1.1.2.2", .foreigner: "\(policyArc).1.1.7.2"]
        case (_, .signature): [.citizen: "\(policyArc).1.1.2.1", .foreigner: "\(policyArc).1.1.7.1"]
        case (_, .rrn): [.registry: "\(policyArc).1.1.4"]
        }
    }

    /// The generation named by a root's common name (`… Belgium Root CA4` → `.brca4`).
    public static func fromCommonName(_ cn: String) -> RootGeneration? {
        for g in [RootGeneration.brca6, .brca4, .brca3, .brca2] where cn.hasSuffix(g.rawValue) { return g }
        return cn.hasSuffix(RootGeneration.brca.rawValue) ? .brca : nil
    }
}

/// Who a leaf certificate was issued to, as its policy says.
public enum HolderType: String, Sendable, Codable {
    case citizen, foreigner
    /// The National Register itself (RRN certificate).
    case registry
}

/// The kinds of eID certificates Sleutel validates.
public enum CertificateKind: String, Sendable, Codable, CaseIterable {
    /// File 5038: citizen authentication (key 82).
    case authentication
    /// File 5039: qualified signature (key 83).
    case signature
    /// File 503C: the National Register certificate that signs the identity and address files.
    case rrn
}

/// A root certificate trusted for eID chains. Roots re-issued with the same key are one
/// anchor with several certificates: chains are matched by public key.
public struct TrustAnchor: Sendable {
    /// All certificates of this root (same key), e.g. the original and a re-issue.
    public let certificates: [Certificate]
    /// SHA-256 of the SubjectPublicKeyInfo shared by all of them.
    public let keyFingerprint: [UInt8]
    public let generation: RootGeneration
    /// True for roots that are not among the public Belgium roots (test PKIs).
    public let isTest: Bool

    public var name: String { certificates.first?.subject.commonName ?? generation.rawValue }

    /// Groups root certificates by key into anchors.
    /// - Parameter isTest: marks anchors that are not the public Belgium roots.
    /// - Throws: ``TrustError`` `.configuration` when a certificate is not a self-signed CA
    ///   or its generation cannot be told from its common name.
    public static func group(_ certificates: [Certificate], isTest: Bool) throws -> [TrustAnchor] {
        var byKey: [[UInt8]: [Certificate]] = [:]
        var order: [[UInt8]] = []
        for cert in certificates {
            guard cert.isCA, cert.isSelfIssued, cert.isSignedBy(cert) else {
                throw TrustError(.configuration, "root \(cert.subject.redactedDescription) is not a self-signed CA certificate")
            }
            let fp = try cert.publicKeyFingerprint()
            if byKey[fp] == nil { order.append(fp) }
            byKey[fp, default: []].append(cert)
        }
        return try order.map { fp in
            let certs = byKey[fp]!.sorted { $0.notAfter < $1.notAfter }
            let cn = certs[0].subject.commonName ?? ""
            guard let generation = RootGeneration.fromCommonName(cn) else {
                throw TrustError(.configuration, "cannot tell the root generation of \(cn): its common name must end in 'Belgium Root CA<n>'")
            }
            return TrustAnchor(certificates: certs, keyFingerprint: fp, generation: generation, isTest: isTest)
        }
    }
}
