import COpenSSL
import Foundation

/// The reason code of a revocation (RFC 5280 §5.3.1), shared by CRL entries and OCSP answers.
public enum CRLReason: Int, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case unspecified = 0
    case keyCompromise = 1
    case caCompromise = 2
    case affiliationChanged = 3
    case superseded = 4
    case cessationOfOperation = 5
    case certificateHold = 6
    case removeFromCRL = 8
    case privilegeWithdrawn = 9
    case aaCompromise = 10

    public var description: String {
        switch self {
        case .unspecified: "unspecified"
        case .keyCompromise: "keyCompromise"
        case .caCompromise: "cACompromise"
        case .affiliationChanged: "affiliationChanged"
        case .superseded: "superseded"
        case .cessationOfOperation: "cessationOfOperation"
        case .certificateHold: "certificateHold"
        case .removeFromCRL: "removeFromCRL"
        case .privilegeWithdrawn: "privilegeWithdrawn"
        case .aaCompromise: "aACompromise"
        }
    }
}

/// One revoked certificate listed on a CRL.
public struct CRLEntry: Sendable, Equatable {
    /// Serial number as upper-case hex, like ``Certificate/serialNumberHex``.
    public let serialNumberHex: String
    /// When the certificate was revoked.
    public let revocationDate: Date
    /// The reason code, or nil when the entry carries none.
    public let reason: CRLReason?
}

final class CRLBox: @unchecked Sendable {
    let crl: OpaquePointer
    init(_ crl: OpaquePointer) { self.crl = crl }
    deinit { X509_CRL_free(crl) }
}

/// An X.509 certificate revocation list (RFC 5280 §5), parsed by OpenSSL. Immutable and shareable.
///
/// Parsing checks only the encoding. Before trusting a lookup, call ``verify(issuer:)``
/// (issuer name and signature) and ``checkFreshness(at:clockSkew:)``.
public struct CRL: Sendable {
    let box: CRLBox
    /// The DER encoding of the CRL.
    public let derEncoded: [UInt8]

    /// Parses exactly one DER CRL.
    /// - Throws: ``CRLError`` with code `malformed` when the bytes are not a DER CRL.
    public init(der: [UInt8]) throws {
        let crl: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            guard let c = d2i_X509_CRL(nil, &p, buf.count) else { return nil }
            if let p, let base = buf.baseAddress, p - base != buf.count {
                X509_CRL_free(c)
                return nil
            }
            return c
        }
        guard let crl else { throw CRLError(.malformed, "not a DER CRL: \(drainOpenSSLErrors())") }
        box = CRLBox(crl)
        derEncoded = der
    }

    /// Parses the first PEM `X509 CRL` block of `pem`.
    /// - Throws: ``CRLError`` with code `malformed`.
    public init(pem: String) throws {
        let der = try withMemoryBIO(Array(pem.utf8)) { bio throws -> [UInt8] in
            guard let c = PEM_read_bio_X509_CRL(bio, nil, nil, nil) else {
                throw CRLError(.malformed, "no PEM CRL: \(drainOpenSSLErrors())")
            }
            defer { X509_CRL_free(c) }
            return try derEncode("i2d_X509_CRL") { i2d_X509_CRL(c, $0) }
        }
        try self.init(der: der)
    }

    /// Parses a CRL as served by a distribution point: DER, or PEM when the bytes start with `-----BEGIN`.
    /// - Throws: ``CRLError`` with code `malformed`.
    public init(derOrPEM bytes: [UInt8]) throws {
        let pemStart = Array("-----BEGIN".utf8)
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if trimmed.starts(with: pemStart) {
            try self.init(pem: String(decoding: bytes, as: UTF8.self))
        } else {
            try self.init(der: bytes)
        }
    }

    /// True when the CRL's issuer name equals `issuer`'s subject name (DER comparison).
    public func issuerNameMatches(subjectOf issuer: Certificate) -> Bool {
        X509_NAME_cmp(X509_CRL_get_issuer(box.crl), X509_get_subject_name(issuer.box.x509)) == 0
    }

    /// thisUpdate: when this CRL was issued.
    public var thisUpdate: Date { asn1Date(X509_CRL_get0_lastUpdate(box.crl)) ?? .distantPast }

    /// nextUpdate: when the next CRL is due, or nil when the CRL has none.
    public var nextUpdate: Date? { asn1Date(X509_CRL_get0_nextUpdate(box.crl)) }

    /// The cRLNumber extension as upper-case hex, or nil when absent.
    public var crlNumberHex: String? {
        guard let n = X509_CRL_get_ext_d2i(box.crl, NID_crl_number, nil, nil) else { return nil }
        let number = n.assumingMemoryBound(to: ASN1_INTEGER.self)
        defer { ASN1_INTEGER_free(number) }
        return integerHex(number)
    }

    /// All entries, in CRL order.
    public var entries: [CRLEntry] {
        guard let stack = X509_CRL_get_REVOKED(box.crl) else { return [] }
        return (0..<COpenSSL_sk_X509_REVOKED_num(stack)).compactMap { i in
            COpenSSL_sk_X509_REVOKED_value(stack, i).map(Self.entry)
        }
    }

    /// True when the CRL's issuer name is `issuer`'s subject and `issuer`'s key verifies its signature.
    public func isSignedBy(_ issuer: Certificate) -> Bool { (try? verify(issuer: issuer)) != nil }

    /// Checks that `issuer` issued this CRL: issuer name, then signature with its public key.
    /// - Throws: ``CRLError`` with code `wrongIssuer` or `badSignature`.
    public func verify(issuer: Certificate) throws {
        guard issuerNameMatches(subjectOf: issuer) else {
            throw CRLError(.wrongIssuer, "CRL issuer name differs from the issuer certificate's subject")
        }
        let key: PublicKey
        do { key = try issuer.publicKey() } catch { throw CRLError(.badSignature, "issuer key unreadable: \(error)") }
        guard X509_CRL_verify(box.crl, key.box.pkey) == 1 else {
            throw CRLError(.badSignature, "CRL signature does not verify with the issuer's key: \(drainOpenSSLErrors())")
        }
    }

    /// Checks thisUpdate ≤ `time` + skew and `time` ≤ nextUpdate + skew. A CRL without nextUpdate
    /// is treated as stale (RFC 5280 requires the field).
    /// - Throws: ``CRLError`` with code `notYetValid` or `stale`.
    public func checkFreshness(at time: Date, clockSkew: TimeInterval = 300) throws {
        guard thisUpdate.timeIntervalSince(time) <= clockSkew else {
            throw CRLError(.notYetValid, "CRL thisUpdate \(thisUpdate) is after the validation time \(time)")
        }
        guard let next = nextUpdate else { throw CRLError(.stale, "CRL has no nextUpdate") }
        guard time.timeIntervalSince(next) <= clockSkew else {
            throw CRLError(.stale, "CRL nextUpdate \(next) is before the validation time \(time)")
        }
    }

    /// The entry for `certificate`'s serial number, or nil when it is not listed. Compares serials
    /// only: call ``verify(issuer:)`` with the certificate's issuer first.
    public func entry(for certificate: Certificate) -> CRLEntry? {
        guard let serial = X509_get0_serialNumber(certificate.box.x509) else { return nil }
        return lookup(UnsafeMutablePointer(mutating: serial))
    }

    /// The entry for a serial number given in hex (case-insensitive), or nil when not listed or not hex.
    public func entry(serialNumberHex hex: String) -> CRLEntry? {
        var bn: OpaquePointer?
        guard !hex.isEmpty, hex.utf8.allSatisfy({ $0 < 0x80 && isxdigit(Int32($0)) != 0 }),
            BN_hex2bn(&bn, hex) > 0, let bn
        else { return nil }
        defer { BN_free(bn) }
        guard let serial = BN_to_ASN1_INTEGER(bn, nil) else { return nil }
        defer { ASN1_INTEGER_free(serial) }
        return lookup(serial)
    }

    private func lookup(_ serial: UnsafeMutablePointer<ASN1_INTEGER>) -> CRLEntry? {
        var revoked: OpaquePointer?
        let rc = X509_CRL_get0_by_serial(box.crl, &revoked, serial)
        guard rc > 0, let revoked else { return nil }
        return Self.entry(revoked)
    }

    private static func entry(_ revoked: OpaquePointer) -> CRLEntry {
        let serial = X509_REVOKED_get0_serialNumber(revoked).map { integerHex($0) } ?? ""
        let date = asn1Date(X509_REVOKED_get0_revocationDate(revoked)) ?? .distantPast
        let code = COpenSSL_X509_REVOKED_reason(revoked)
        return CRLEntry(serialNumberHex: serial, revocationDate: date, reason: code >= 0 ? CRLReason(rawValue: Int(code)) : nil)
    }
}

/// Converts an ASN.1 UTCTime/GeneralizedTime to a date; nil when absent or malformed.
func asn1Date(_ t: UnsafePointer<ASN1_TIME>?) -> Date? {
    var tm = tm()
    guard let t, ASN1_TIME_to_tm(t, &tm) == 1 else { return nil }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
}

/// An ASN.1 INTEGER as upper-case hex (like `BN_bn2hex`), empty when unreadable.
func integerHex(_ integer: UnsafePointer<ASN1_INTEGER>) -> String {
    guard let bn = ASN1_INTEGER_to_BN(integer, nil) else { return "" }
    defer { BN_free(bn) }
    guard let hex = BN_bn2hex(bn) else { return "" }
    defer { COpenSSL_free(hex) }
    return String(cString: hex)
}
