import COpenSSL
import Foundation

/// One attribute of a distinguished name.
public struct NameAttribute: Sendable, Equatable, Codable {
    /// Dotted OID, e.g. `2.5.4.5` for serialNumber.
    public let oid: String
    /// OpenSSL's short name (`CN`, `serialNumber`, `GN` …) or the OID when unknown.
    public let shortName: String
    public let value: String
}

/// A distinguished name as an ordered list of attributes.
public struct DistinguishedName: Sendable, Equatable, Codable, CustomStringConvertible {
    public let attributes: [NameAttribute]

    public static let commonNameOID = "2.5.4.3"
    public static let serialNumberOID = "2.5.4.5"
    public static let surnameOID = "2.5.4.4"
    public static let givenNameOID = "2.5.4.42"
    public static let countryOID = "2.5.4.6"
    public static let organizationOID = "2.5.4.10"

    /// The first value of attribute `oid`, if present.
    public func value(of oid: String) -> String? { attributes.first { $0.oid == oid }?.value }

    public var commonName: String? { value(of: Self.commonNameOID) }

    /// `C=BE, CN=…` in certificate order. Note: a subject may carry a national register
    /// number in serialNumber; use ``redactedDescription`` for logs.
    public var description: String { attributes.map { "\($0.shortName)=\($0.value)" }.joined(separator: ", ") }

    /// Like ``description`` but with the serialNumber attribute masked.
    public var redactedDescription: String {
        attributes.map { "\($0.shortName)=\($0.oid == Self.serialNumberOID ? "<redacted>" : $0.value)" }
            .joined(separator: ", ")
    }
}

/// Key-usage bits (RFC 5280 §4.2.1.3).
public struct KeyUsage: OptionSet, Sendable, Codable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let digitalSignature = KeyUsage(rawValue: UInt32(KU_DIGITAL_SIGNATURE))
    public static let nonRepudiation = KeyUsage(rawValue: UInt32(KU_NON_REPUDIATION))
    public static let keyEncipherment = KeyUsage(rawValue: UInt32(KU_KEY_ENCIPHERMENT))
    public static let keyCertSign = KeyUsage(rawValue: UInt32(KU_KEY_CERT_SIGN))
    public static let cRLSign = KeyUsage(rawValue: UInt32(KU_CRL_SIGN))
}

final class X509Box: @unchecked Sendable {
    let x509: OpaquePointer
    init(_ x509: OpaquePointer) { self.x509 = x509 }
    deinit { X509_free(x509) }
}

/// An X.509 certificate parsed by OpenSSL. Immutable and shareable.
public struct Certificate: Sendable {
    let box: X509Box
    /// The exact DER bytes the certificate was read from.
    public let derEncoded: [UInt8]

    /// Parses exactly one DER certificate.
    public init(der: [UInt8]) throws {
        let x509: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            let x = d2i_X509(nil, &p, buf.count)
            if let x, let p, let base = buf.baseAddress, p - base != buf.count {
                X509_free(x)
                return nil
            }
            return x
        }
        guard let x509 else { throw CryptoError.invalidCertificate("not a DER certificate: \(drainOpenSSLErrors())") }
        box = X509Box(x509)
        derEncoded = der
    }

    /// Parses a certificate followed by padding, as stored in eID certificate files:
    /// the length comes from the outer DER header, the rest is ignored.
    public init(paddedDER bytes: [UInt8]) throws {
        guard bytes.first == 0x30, let length = derElementLength(bytes) else {
            throw CryptoError.invalidCertificate("no DER SEQUENCE header at the start of the file")
        }
        try self.init(der: Array(bytes.prefix(length)))
    }

    /// Parses the first PEM `CERTIFICATE` block of `pem`.
    public init(pem: String) throws {
        let der = try withMemoryBIO(Array(pem.utf8)) { bio throws -> [UInt8] in
            guard let x = PEM_read_bio_X509(bio, nil, nil, nil) else {
                throw CryptoError.invalidCertificate("no PEM certificate: \(drainOpenSSLErrors())")
            }
            defer { X509_free(x) }
            return try derEncode("i2d_X509") { i2d_X509(x, $0) }
        }
        try self.init(der: der)
    }

    /// All PEM certificates in `pem`, in order.
    public static func all(pem: String) throws -> [Certificate] {
        // The markers are searched in the UTF-8 bytes by `PEM.find`: Foundation's `range(of:)` on
        // the String copied the rest of the text to UTF-16 at every call (quadratic in the number of
        // blocks), and its `firstRange(of:)` on bytes took 1.2 ms for a 16 KB bundle of 17 blocks
        // where the plain scan takes 6 µs.
        let text = Array(pem.utf8)
        let begin = Array("-----BEGIN CERTIFICATE-----".utf8), end = Array("-----END CERTIFICATE-----".utf8)
        var result: [Certificate] = []
        var from = text.startIndex
        while let b = PEM.find(begin, in: text[from...]), let e = PEM.find(end, in: text[(b + begin.count)...]) {
            let blockEnd = e + end.count
            result.append(try Certificate(pem: String(decoding: text[b..<blockEnd], as: UTF8.self)))
            from = blockEnd
        }
        return result
    }

    public var subject: DistinguishedName { Self.name(X509_get_subject_name(box.x509)) }
    public var issuer: DistinguishedName { Self.name(X509_get_issuer_name(box.x509)) }

    /// Serial number as upper-case hex.
    public var serialNumberHex: String {
        guard let asn1 = X509_get0_serialNumber(box.x509), let bn = ASN1_INTEGER_to_BN(asn1, nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { COpenSSL_free(hex) }
        return String(cString: hex)
    }

    public var notBefore: Date { Self.date(X509_get0_notBefore(box.x509)) }
    public var notAfter: Date { Self.date(X509_get0_notAfter(box.x509)) }

    /// Key usage bits, or nil when the extension is absent.
    public var keyUsage: KeyUsage? {
        let flags = X509_get_extension_flags(box.x509)
        guard flags & UInt32(EXFLAG_KUSAGE) != 0 else { return nil }
        return KeyUsage(rawValue: X509_get_key_usage(box.x509))
    }

    /// True when basicConstraints says CA.
    public var isCA: Bool { X509_check_ca(box.x509) >= 1 }

    /// The certificate's public key.
    public func publicKey() throws -> PublicKey {
        PublicKey(box: PKeyBox(try ossl(X509_get_pubkey(box.x509), "X509_get_pubkey")))
    }

    /// True when `issuer`'s key verifies this certificate's signature.
    public func isSignedBy(_ issuer: Certificate) -> Bool {
        guard let key = try? issuer.publicKey() else { return false }
        let rc = X509_verify(box.x509, key.box.pkey)
        if rc != 1 { _ = drainOpenSSLErrors() }
        return rc == 1
    }

    /// PEM text of the certificate.
    public func pem() throws -> String {
        String(decoding: try collectBIO({ PEM_write_bio_X509($0, box.x509) }, "PEM_write_bio_X509"), as: UTF8.self)
    }

    private static func name(_ name: OpaquePointer?) -> DistinguishedName {
        guard let name else { return DistinguishedName(attributes: []) }
        var attrs: [NameAttribute] = []
        for i in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, i), let obj = X509_NAME_ENTRY_get_object(entry) else { continue }
            var oidBuf = [CChar](repeating: 0, count: 128)
            let n = OBJ_obj2txt(&oidBuf, Int32(oidBuf.count), obj, 1)
            let oid = String(decoding: oidBuf.prefix(Int(max(0, n))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let nid = OBJ_obj2nid(obj)
            let short = nid != NID_undef ? (OBJ_nid2sn(nid).map { String(cString: $0) } ?? oid) : oid
            var out: UnsafeMutablePointer<UInt8>?
            let len = ASN1_STRING_to_UTF8(&out, X509_NAME_ENTRY_get_data(entry))
            var value = ""
            if len >= 0, let out {
                value = String(decoding: UnsafeBufferPointer(start: out, count: Int(len)), as: UTF8.self)
                COpenSSL_free(out)
            }
            attrs.append(NameAttribute(oid: oid, shortName: short, value: value))
        }
        return DistinguishedName(attributes: attrs)
    }

    private static func date(_ t: UnsafePointer<ASN1_TIME>?) -> Date {
        var tm = tm()
        guard let t, ASN1_TIME_to_tm(t, &tm) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }
}
