import COpenSSL
import Foundation

/// The public numbers of a key, as needed to judge its strength.
///
/// RSA values are taken straight from the DER (no `EVP_PKEY` is built), so keys that OpenSSL
/// would refuse — an even modulus, `e = 1` — still reach the strength checks and get a
/// verdict instead of a parse error. EC points are checked with OpenSSL's `EC_POINT_*`.
public enum KeyComponents: Sendable {
    /// An RSA key (rsaEncryption or RSASSA-PSS SubjectPublicKeyInfo, PKCS#1, `ssh-rsa`).
    case rsa(modulus: BigNum, exponent: BigNum)
    /// An elliptic-curve key on a named or explicitly given curve.
    case ec(ECPublicComponents)
    /// An Edwards-curve signature key: `Ed25519` or `Ed448`.
    case edwards(EdwardsPublicComponents)
    /// A Montgomery-curve key-agreement key (RFC 7748): `X25519` or `X448`. It can never verify a
    /// signature, so it is judged unsuitable wherever a signature key is expected.
    case keyAgreement(name: String)
    /// Any other algorithm (named by OID or SSH type).
    case other(algorithm: String)

    /// Short text such as `RSA-2048 e=65537`, `EC P-384`, `Ed25519`.
    public var summary: String {
        switch self {
        case .rsa(let n, let e): "RSA-\(n.bitCount) e=\(e.bitCount <= 64 ? e.decimalString : "\(e.bitCount)-bit")"
        case .ec(let ec): "EC \(ec.curveName)"
        case .edwards(let ed): ed.name
        case .keyAgreement(let name): name
        case .other(let algorithm): "unsupported \(algorithm)"
        }
    }
}

/// An elliptic-curve public key and the results of OpenSSL's point checks.
public struct ECPublicComponents: Sendable {
    /// Dotted OID of the named curve, or nil for explicit parameters.
    public let curveOID: String?
    /// Curve name: `P-256`, `P-384`, `P-521` for the NIST curves, otherwise OpenSSL's short
    /// name (`brainpoolP256r1`, `secp256k1` …), or the OID when OpenSSL does not know it.
    public let curveName: String
    /// Bit length of the group order (0 when the curve is unknown).
    public let orderBits: Int
    /// The encoded point as found in the key.
    public let point: [UInt8]
    /// The curve was given by explicit parameters instead of a name.
    public let explicitParameters: Bool
    /// OpenSSL knows the curve, so the checks below were run.
    public let curveKnown: Bool
    /// The point decodes and satisfies the curve equation.
    public let onCurve: Bool
    /// The point is the point at infinity.
    public let atInfinity: Bool
    /// `h·P = ∞` for the cofactor `h` or `n·P ≠ ∞`: the point is not in the prime-order subgroup.
    public let smallOrder: Bool
}

/// Where a key came from inside its file, and what it is.
public struct ReadKey: Sendable {
    /// The container it was read from: `SubjectPublicKeyInfo`, `PKCS#1`, `certificate`, `OpenSSH`.
    public let format: String
    /// The key's public numbers.
    public let components: KeyComponents
}

/// Reads public keys from the formats a service hands us: SubjectPublicKeyInfo (PEM
/// `PUBLIC KEY` or DER), PKCS#1 `RSA PUBLIC KEY` (PEM or DER), X.509 certificates (PEM or DER),
/// and OpenSSH public-key lines (`ssh-rsa`, `ecdsa-sha2-nistp256/384/521`, `ssh-ed25519`).
public enum KeyReader {
    /// Reads every key in `data`, guessing the format.
    /// - Throws: `CryptoError.invalidKey` when nothing readable is found (never traps on garbage).
    public static func read(_ data: [UInt8]) throws -> [ReadKey] {
        guard !data.isEmpty else { throw CryptoError.invalidKey("empty input") }
        if PEM.find(PEM.begin, in: data[...]) != nil { return try readPEM(bytes: data) }
        if let text = String(validating: data, as: UTF8.self) {
            let sshLines = text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("ssh-") || $0.hasPrefix("ecdsa-") }
            if !sshLines.isEmpty { return try sshLines.map { try readOpenSSH(String($0)) } }
        }
        return [try readDER(data)]
    }

    /// Reads one DER object: SubjectPublicKeyInfo, PKCS#1 RSAPublicKey or a certificate.
    public static func readDER(_ der: [UInt8]) throws -> ReadKey {
        if let key = try? spki(der) { return ReadKey(format: "SubjectPublicKeyInfo", components: key) }
        if let key = try? pkcs1(der) { return ReadKey(format: "PKCS#1", components: key) }
        if let cert = try? Certificate(der: der) {
            return ReadKey(format: "certificate", components: try spki(try cert.publicKey().spkiDER()))
        }
        throw CryptoError.invalidKey("not a public key, PKCS#1 key or certificate in DER")
    }

    /// Reads every `PUBLIC KEY`, `RSA PUBLIC KEY` and `CERTIFICATE` block of a PEM text.
    public static func readPEM(_ text: String) throws -> [ReadKey] {
        try readPEM(bytes: Array(text.utf8))
    }

    /// ``readPEM(_:)`` on raw bytes, without building strings (the fast path for many files).
    static func readPEM(bytes: [UInt8]) throws -> [ReadKey] {
        var keys: [ReadKey] = []
        for block in try PEM.blocks(bytes) {
            switch block.label {
            case "PUBLIC KEY": keys.append(ReadKey(format: "SubjectPublicKeyInfo", components: try spki(block.der)))
            case "RSA PUBLIC KEY": keys.append(ReadKey(format: "PKCS#1", components: try pkcs1(block.der)))
            case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
                let cert = try Certificate(paddedDER: block.der)
                keys.append(ReadKey(format: "certificate", components: try spki(try cert.publicKey().spkiDER())))
            case let l where l.contains("PRIVATE KEY"):
                throw CryptoError.unsupported("private keys are not read; give the public key")
            default:
                continue
            }
        }
        guard !keys.isEmpty else { throw CryptoError.invalidKey("no public key or certificate PEM block") }
        return keys
    }

    // MARK: - SubjectPublicKeyInfo and PKCS#1

    static let rsaEncryption = "1.2.840.113549.1.1.1"
    static let rsassaPSS = "1.2.840.113549.1.1.10"
    static let ecPublicKey = "1.2.840.10045.2.1"
    static let ed25519 = "1.3.101.112"
    static let ed448 = "1.3.101.113"
    static let x25519 = "1.3.101.110"
    static let x448 = "1.3.101.111"

    /// Decodes a DER SubjectPublicKeyInfo.
    public static func spki(_ der: [UInt8]) throws -> KeyComponents {
        var outer = DERReader(der)
        var spki = try outer.sequence()
        guard outer.isAtEnd else { throw CryptoError.invalidKey("trailing bytes after SubjectPublicKeyInfo") }
        var algorithm = try spki.sequence()
        let oid = try algorithm.oid()
        let keyBits = try spki.bitString()
        guard spki.isAtEnd else { throw CryptoError.invalidKey("extra fields in SubjectPublicKeyInfo") }
        switch oid {
        case rsaEncryption, rsassaPSS:
            return try pkcs1(keyBits)
        case ecPublicKey:
            if algorithm.isAtEnd { throw CryptoError.invalidKey("EC key without curve parameters") }
            if algorithm.peekTag == 0x06 {
                return .ec(ecComponents(curveOID: try algorithm.oid(), point: keyBits))
            }
            return .ec(ecComponents(curveOID: nil, point: keyBits))
        case ed25519:
            return .edwards(EdwardsPublicComponents(.ed25519, encoding: keyBits))
        case ed448:
            return .edwards(EdwardsPublicComponents(.ed448, encoding: keyBits))
        case x25519:
            return .keyAgreement(name: "X25519")
        case x448:
            return .keyAgreement(name: "X448")
        default:
            return .other(algorithm: oidName(oid))
        }
    }

    /// Decodes a DER PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
    public static func pkcs1(_ der: [UInt8]) throws -> KeyComponents {
        var outer = DERReader(der)
        var seq = try outer.sequence()
        guard outer.isAtEnd else { throw CryptoError.invalidKey("trailing bytes after RSAPublicKey") }
        let n = try seq.unsignedInteger()
        let e = try seq.unsignedInteger()
        guard seq.isAtEnd else { throw CryptoError.invalidKey("extra fields in RSAPublicKey") }
        return .rsa(modulus: n, exponent: e)
    }

    // MARK: - OpenSSH

    /// Decodes one OpenSSH public-key line (`type base64 [comment]`).
    public static func readOpenSSH(_ line: String) throws -> ReadKey {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])).map({ [UInt8]($0) }) else {
            throw CryptoError.invalidKey("not an OpenSSH public-key line")
        }
        var wire = SSHWireReader(blob)
        let type = String(decoding: try wire.string(), as: UTF8.self)
        guard type == fields[0] else { throw CryptoError.invalidKey("OpenSSH key type mismatch") }
        let components: KeyComponents
        switch type {
        case "ssh-rsa":
            let e = try wire.mpint(), n = try wire.mpint()
            components = .rsa(modulus: n, exponent: e)
        case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
            let curve = String(decoding: try wire.string(), as: UTF8.self)
            let oid: String
            switch curve {
            case "nistp256": oid = "1.2.840.10045.3.1.7"
            case "nistp384": oid = "1.3.132.0.34"
            case "nistp521": oid = "1.3.132.0.35"
            default: throw CryptoError.invalidKey("unknown OpenSSH curve")
            }
            guard type.hasSuffix(curve) else { throw CryptoError.invalidKey("OpenSSH curve mismatch") }
            components = .ec(ecComponents(curveOID: oid, point: try wire.string()))
        case "ssh-ed25519":
            let raw = try wire.string()
            components = .edwards(EdwardsPublicComponents(.ed25519, encoding: raw))
        default:
            components = .other(algorithm: type)
        }
        guard wire.isAtEnd else { throw CryptoError.invalidKey("trailing bytes in OpenSSH key") }
        return ReadKey(format: "OpenSSH", components: components)
    }

    // MARK: - OpenSSL helpers

    private static func oidName(_ oid: String) -> String {
        guard let obj = OBJ_txt2obj(oid, 1) else { _ = drainOpenSSLErrors(); return oid }
        defer { ASN1_OBJECT_free(obj) }
        let nid = OBJ_obj2nid(obj)
        guard nid != NID_undef, let sn = OBJ_nid2sn(nid) else { return oid }
        return String(cString: sn)
    }

    /// Runs OpenSSL's point checks for `point` on the named curve `curveOID`.
    static func ecComponents(curveOID: String?, point: [UInt8]) -> ECPublicComponents {
        func unknown(_ name: String) -> ECPublicComponents {
            ECPublicComponents(curveOID: curveOID, curveName: name, orderBits: 0, point: point,
                               explicitParameters: curveOID == nil, curveKnown: false, onCurve: false,
                               atInfinity: false, smallOrder: false)
        }
        guard let curveOID else { return unknown("explicit parameters") }
        guard let obj = OBJ_txt2obj(curveOID, 1) else { _ = drainOpenSSLErrors(); return unknown(curveOID) }
        let nid = OBJ_obj2nid(obj)
        ASN1_OBJECT_free(obj)
        guard nid != NID_undef, let group = EC_GROUP_new_by_curve_name(nid) else {
            _ = drainOpenSSLErrors()
            return unknown(curveOID)
        }
        defer { EC_GROUP_free(group) }
        let short = OBJ_nid2sn(nid).map { String(cString: $0) } ?? curveOID
        let name = switch short {
        case "prime256v1": "P-256"
        case "secp384r1": "P-384"
        case "secp521r1": "P-521"
        case "secp224r1": "P-224"
        default: short
        }
        let ctx = BigNum.context
        let orderBits = Int(EC_GROUP_order_bits(group))
        guard let p = EC_POINT_new(group) else { return unknown(name) }
        defer { EC_POINT_free(p) }
        let decoded = EC_POINT_oct2point(group, p, point, point.count, ctx) == 1
        _ = drainOpenSSLErrors()
        let onCurve = decoded && EC_POINT_is_on_curve(group, p, ctx) == 1
        let atInfinity = decoded && EC_POINT_is_at_infinity(group, p) == 1
        var smallOrder = false
        if onCurve, !atInfinity, let q = EC_POINT_new(group) {
            defer { EC_POINT_free(q) }
            // n·P must be ∞ (P in the prime-order subgroup) and h·P must not be (P not of small order).
            // On a curve of cofactor 1 (the NIST, Brainpool and secp256k1 curves) the group has prime
            // order n, so every finite point on it has order n: both products are skipped, which saves
            // a full scalar multiplication on every login.
            let cofactor = EC_GROUP_get0_cofactor(group)
            if let cofactor, BN_is_one(cofactor) == 1 {
                smallOrder = false
            } else {
                if let order = EC_GROUP_get0_order(group), EC_POINT_mul(group, q, nil, p, order, ctx) == 1 {
                    smallOrder = EC_POINT_is_at_infinity(group, q) != 1
                }
                if let cofactor, EC_POINT_mul(group, q, nil, p, cofactor, ctx) == 1, EC_POINT_is_at_infinity(group, q) == 1 {
                    smallOrder = true
                }
            }
            _ = drainOpenSSLErrors()
        }
        return ECPublicComponents(curveOID: curveOID, curveName: name, orderBits: orderBits, point: point,
                                  explicitParameters: false, curveKnown: true, onCurve: onCurve,
                                  atInfinity: atInfinity, smallOrder: smallOrder)
    }
}

/// A bounds-checked reader for the few DER shapes keys use.
struct DERReader {
    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        index = 0
        end = bytes.count
    }

    private init(_ bytes: [UInt8], from: Int, to: Int) {
        self.bytes = bytes
        index = from
        end = to
    }

    var isAtEnd: Bool { index >= end }
    var peekTag: UInt8? { index < end ? bytes[index] : nil }

    /// Reads one TLV with `tag`, returning the content range.
    private mutating func element(_ tag: UInt8) throws -> Range<Int> {
        guard index + 2 <= end, bytes[index] == tag else { throw CryptoError.invalidKey("DER: expected tag \(tag)") }
        var i = index + 1
        var length = Int(bytes[i]); i += 1
        if length & 0x80 != 0 {
            let n = length & 0x7F
            guard n >= 1, n <= 4, i + n <= end else { throw CryptoError.invalidKey("DER: bad length") }
            length = 0
            for _ in 0..<n { length = length << 8 | Int(bytes[i]); i += 1 }
        }
        guard length >= 0, i + length <= end else { throw CryptoError.invalidKey("DER: length past end") }
        index = i + length
        return i..<(i + length)
    }

    mutating func sequence() throws -> DERReader {
        let r = try element(0x30)
        return DERReader(bytes, from: r.lowerBound, to: r.upperBound)
    }

    mutating func bitString() throws -> [UInt8] {
        let r = try element(0x03)
        guard !r.isEmpty, bytes[r.lowerBound] == 0 else { throw CryptoError.invalidKey("DER: BIT STRING with unused bits") }
        return Array(bytes[(r.lowerBound + 1)..<r.upperBound])
    }

    /// A non-negative INTEGER (a negative one is rejected: moduli and exponents are positive).
    mutating func unsignedInteger() throws -> BigNum {
        let r = try element(0x02)
        guard !r.isEmpty else { throw CryptoError.invalidKey("DER: empty INTEGER") }
        guard bytes[r.lowerBound] & 0x80 == 0 else { throw CryptoError.invalidKey("DER: negative INTEGER") }
        return BigNum(bigEndian: Array(bytes[r]))
    }

    /// An OBJECT IDENTIFIER as dotted text.
    mutating func oid() throws -> String {
        let r = try element(0x06)
        guard !r.isEmpty else { throw CryptoError.invalidKey("DER: empty OID") }
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        for i in r {
            guard value < (1 << 56) else { throw CryptoError.invalidKey("DER: OID arc too large") }
            value = value << 7 | UInt64(bytes[i] & 0x7F)
            if bytes[i] & 0x80 == 0 { arcs.append(value); value = 0 }
        }
        guard bytes[r.upperBound - 1] & 0x80 == 0, let first = arcs.first else { throw CryptoError.invalidKey("DER: bad OID") }
        let head: [UInt64] = first < 80 ? [first / 40, first % 40] : [2, first - 80]
        return (head + arcs.dropFirst()).map(String.init).joined(separator: ".")
    }
}

/// Reader for the SSH wire format (RFC 4251 §5): uint32-length strings and mpints.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var isAtEnd: Bool { index == bytes.count }

    mutating func string() throws -> [UInt8] {
        guard index + 4 <= bytes.count else { throw CryptoError.invalidKey("SSH: truncated length") }
        let length = bytes[index..<(index + 4)].reduce(0) { $0 << 8 | Int($1) }
        index += 4
        guard length <= bytes.count - index else { throw CryptoError.invalidKey("SSH: string past end") }
        defer { index += length }
        return Array(bytes[index..<(index + length)])
    }

    mutating func mpint() throws -> BigNum {
        let raw = try string()
        guard raw.first.map({ $0 & 0x80 == 0 }) ?? true else { throw CryptoError.invalidKey("SSH: negative mpint") }
        return BigNum(bigEndian: raw)
    }
}

/// A byte-level PEM reader (RFC 7468): finds `-----BEGIN label-----` … `-----END label-----`
/// blocks and decodes their base64 bodies, ignoring whitespace and any other non-alphabet byte.
enum PEM {
    static let begin = Array("-----BEGIN ".utf8)
    static let dashes = Array("-----".utf8)

    struct Block {
        let label: String
        let der: [UInt8]
    }

    static func blocks(_ bytes: [UInt8]) throws -> [Block] {
        var out: [Block] = []
        var rest = bytes[...]
        while let b = find(begin, in: rest) {
            let labelStart = b + begin.count
            guard let labelEnd = find(dashes, in: bytes[labelStart...]) else { break }
            let labelBytes = Array(bytes[labelStart..<labelEnd])
            let label = String(decoding: labelBytes, as: UTF8.self)
            let bodyStart = labelEnd + dashes.count
            let endMarker = Array("-----END ".utf8) + labelBytes + dashes
            guard let end = find(endMarker, in: bytes[bodyStart...]) else {
                throw CryptoError.invalidKey("PEM block \(label) has no END line")
            }
            guard let der = base64(bytes[bodyStart..<end]), !der.isEmpty else {
                throw CryptoError.invalidKey("PEM block \(label) is not base64")
            }
            out.append(Block(label: label, der: der))
            rest = bytes[(end + endMarker.count)...]
        }
        return out
    }

    /// The index where `needle` starts in `haystack`, if anywhere.
    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    private static let alphabet: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Decodes base64, skipping bytes outside the alphabet; stops at `=`. Nil when the bits do not end on a byte.
    static func base64(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        // Four sextets make three bytes; `count` sextets are pending in `acc`.
        var acc: UInt32 = 0, count = 0
        alphabet.withUnsafeBufferPointer { table in
            text.withUnsafeBufferPointer { input in
                for c in input {
                    let v = table[Int(c)]
                    if v == 0xFF {
                        if c == UInt8(ascii: "=") { break }
                        continue
                    }
                    acc = acc << 6 | UInt32(v)
                    count += 1
                    if count == 4 {
                        out.append(UInt8(truncatingIfNeeded: acc >> 16))
                        out.append(UInt8(truncatingIfNeeded: acc >> 8))
                        out.append(UInt8(truncatingIfNeeded: acc))
                        acc = 0
                        count = 0
                    }
                }
            }
        }
        // Leftover sextets: none, or 2 (one byte and 4 zero bits) or 3 (two bytes and 2 zero bits).
        switch count {
        case 0: break
        case 2:
            guard acc & 0xF == 0 else { return nil }
            out.append(UInt8(truncatingIfNeeded: acc >> 4))
        case 3:
            guard acc & 0x3 == 0 else { return nil }
            out.append(UInt8(truncatingIfNeeded: acc >> 10))
            out.append(UInt8(truncatingIfNeeded: acc >> 2))
        default: return nil
        }
        return out
    }
}
