import COpenSSL
import Foundation

/// Extended key-usage bits OpenSSL recognises (RFC 5280 §4.2.1.12).
public struct ExtendedKeyUsage: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let serverAuth = ExtendedKeyUsage(rawValue: UInt32(XKU_SSL_SERVER))
    public static let clientAuth = ExtendedKeyUsage(rawValue: UInt32(XKU_SSL_CLIENT))
    public static let emailProtection = ExtendedKeyUsage(rawValue: UInt32(XKU_SMIME))
    public static let codeSigning = ExtendedKeyUsage(rawValue: UInt32(XKU_CODE_SIGN))
    public static let ocspSigning = ExtendedKeyUsage(rawValue: UInt32(XKU_OCSP_SIGN))
    public static let timeStamping = ExtendedKeyUsage(rawValue: UInt32(XKU_TIMESTAMP))
    /// anyExtendedKeyUsage (2.5.29.37.0).
    public static let any = ExtendedKeyUsage(rawValue: UInt32(XKU_ANYEKU))
}

/// One extension's identity: OID and criticality.
public struct ExtensionInfo: Sendable, Equatable {
    public let oid: String
    public let isCritical: Bool
}

extension Certificate {
    /// OID of the qualified-certificate statements extension.
    public static let qcStatementsOID = "1.3.6.1.5.5.7.1.3"

    /// Certificate policy OIDs (dotted). Empty when the extension is absent.
    /// - Throws: ``CryptoError`` when the extension is present but malformed.
    public func policyOIDs() throws -> [String] {
        let max = 32
        let raw = UnsafeMutablePointer<CChar>.allocate(capacity: max * 80)
        defer { raw.deallocate() }
        raw.initialize(repeating: 0, count: max * 80)
        let n = raw.withMemoryRebound(to: OIDText.self, capacity: max) { COpenSSL_policy_oids(box.x509, $0, Int32(max)) }
        guard n >= 0 else { throw CryptoError.invalidCertificate("certificatePolicies extension is malformed") }
        return (0..<Int(n)).map { i in String(cString: raw + i * 80) }
    }

    /// All extensions with their criticality, in certificate order.
    public var extensions: [ExtensionInfo] {
        let max = 64
        let raw = UnsafeMutablePointer<CChar>.allocate(capacity: max * 80)
        defer { raw.deallocate() }
        raw.initialize(repeating: 0, count: max * 80)
        var critical = [Int32](repeating: 0, count: max)
        let n = raw.withMemoryRebound(to: OIDText.self, capacity: max) { COpenSSL_extension_oids(box.x509, $0, &critical, Int32(max)) }
        return (0..<Int(n)).map { ExtensionInfo(oid: String(cString: raw + $0 * 80), isCritical: critical[$0] != 0) }
    }

    /// True when OpenSSL found a critical extension it does not handle.
    public var hasUnhandledCriticalExtension: Bool {
        X509_get_extension_flags(box.x509) & UInt32(EXFLAG_CRITICAL) != 0
    }

    /// True when the extension `oid` is present.
    public func hasExtension(_ oid: String) -> Bool { extensions.contains { $0.oid == oid } }

    /// True when basicConstraints says `cA: TRUE`, whatever the key usage says
    /// (``Certificate/isCA`` also requires keyCertSign when a key usage is present).
    public var basicConstraintsCA: Bool {
        X509_get_extension_flags(box.x509) & UInt32(EXFLAG_CA) != 0
    }

    /// basicConstraints pathLenConstraint, or nil when absent.
    public var pathLengthConstraint: Int? {
        let v = X509_get_pathlen(box.x509)
        return v < 0 ? nil : Int(v)
    }

    /// Extended key usage, or nil when the extension is absent.
    public var extendedKeyUsage: ExtendedKeyUsage? {
        guard X509_get_extension_flags(box.x509) & UInt32(EXFLAG_XKUSAGE) != 0 else { return nil }
        return ExtendedKeyUsage(rawValue: X509_get_extended_key_usage(box.x509))
    }

    /// OCSP responder URLs from the authorityInfoAccess extension.
    public var ocspURLs: [String] { urls { COpenSSL_aia_urls(box.x509, NID_ad_OCSP, $0, $1) } }

    /// CA-issuer URLs from the authorityInfoAccess extension.
    public var caIssuerURLs: [String] { urls { COpenSSL_aia_urls(box.x509, NID_ad_ca_issuers, $0, $1) } }

    /// CRL distribution point URLs (full names only).
    public var crlURLs: [String] { urls { COpenSSL_crl_urls(box.x509, $0, $1) } }

    /// True when subject and issuer names are equal (a self-issued certificate).
    public var isSelfIssued: Bool {
        X509_NAME_cmp(X509_get_subject_name(box.x509), X509_get_issuer_name(box.x509)) == 0
    }

    /// True when this certificate's issuer name equals `issuer`'s subject name (DER comparison).
    public func issuerNameMatches(subjectOf issuer: Certificate) -> Bool {
        X509_NAME_cmp(X509_get_issuer_name(box.x509), X509_get_subject_name(issuer.box.x509)) == 0
    }

    /// The signature algorithm's OpenSSL name, e.g. `ecdsa-with-SHA384`.
    public var signatureAlgorithm: String {
        let nid = X509_get_signature_nid(box.x509)
        return OBJ_nid2ln(nid).map { String(cString: $0) } ?? "unknown"
    }

    /// SHA-256 over the DER SubjectPublicKeyInfo, to match trust anchors by key.
    public func publicKeyFingerprint() throws -> [UInt8] {
        DigestAlgorithm.sha256.hash(try publicKey().spkiDER())
    }

    /// SHA-256 over the whole DER certificate.
    public var fingerprint: [UInt8] { DigestAlgorithm.sha256.hash(derEncoded) }

    private func urls(_ read: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, Int32) -> Int32) -> [String] {
        var out = [UnsafeMutablePointer<CChar>?](repeating: nil, count: 16)
        let n = out.withUnsafeMutableBufferPointer { read($0.baseAddress!, 16) }
        defer { for p in out.prefix(Int(n)) { COpenSSL_free(p) } }
        return out.prefix(Int(n)).compactMap { $0.map { String(cString: $0) } }
    }
}

/// `char[80]` as Swift imports it.
typealias OIDText = (
    CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar,
    CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar,
    CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar,
    CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar,
    CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar,
    CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar,
    CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar,
    CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar
)
