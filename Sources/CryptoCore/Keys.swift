import COpenSSL

/// The algorithm family and size of a key.
public enum KeyKind: Sendable, Equatable, CustomStringConvertible {
    case rsa(bits: Int)
    case ec(curve: String, bits: Int)
    case other(name: String, bits: Int)

    public var description: String {
        switch self {
        case .rsa(let bits): "RSA-\(bits)"
        case .ec(let curve, _): "EC \(curve)"
        case .other(let name, let bits): "\(name)-\(bits)"
        }
    }

    /// True for elliptic-curve keys.
    public var isEC: Bool { if case .ec = self { true } else { false } }

    /// The digest a Belgian eID card signs with this kind of key, and so the one a login
    /// challenge's signature is made and checked with: SHA-384 for EC (1.8 cards), SHA-256 for
    /// RSA (PKCS#1 v1.5, older cards). The project's one place for that choice.
    public var challengeDigest: DigestAlgorithm { isEC ? .sha384 : .sha256 }
}

/// Named curves this project generates keys on.
public enum NamedCurve: String, Sendable, Codable {
    case p256 = "P-256", p384 = "P-384", p521 = "P-521"

    /// Size of one coordinate / of r and s in bytes.
    public var componentLength: Int {
        switch self {
        case .p256: 32
        case .p384: 48
        case .p521: 66
        }
    }
}

/// Shared owner of an `EVP_PKEY`; immutable once made, so safe to share across threads.
final class PKeyBox: @unchecked Sendable {
    let pkey: OpaquePointer
    init(_ pkey: OpaquePointer) { self.pkey = pkey }
    deinit { EVP_PKEY_free(pkey) }

    var kind: KeyKind {
        let bits = Int(EVP_PKEY_get_bits(pkey))
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS:
            return .rsa(bits: bits)
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var len = 0
            let ok = EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, &name, name.count, &len)
            let raw = ok == 1 ? String(decoding: name.prefix(len).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
            let curve = switch raw {
            case "prime256v1", "P-256": "P-256"
            case "secp384r1", "P-384": "P-384"
            case "secp521r1", "P-521": "P-521"
            default: raw
            }
            return .ec(curve: curve, bits: bits)
        default:
            let name = EVP_PKEY_get0_type_name(pkey).map { String(cString: $0) } ?? "unknown"
            return .other(name: name, bits: bits)
        }
    }

    func context() throws -> OpaquePointer {
        try ossl(EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil), "EVP_PKEY_CTX_new_from_pkey")
    }
}

/// A public key (RSA or EC), read from SubjectPublicKeyInfo DER or PEM.
public struct PublicKey: Sendable {
    let box: PKeyBox

    init(box: PKeyBox) { self.box = box }

    /// Decodes a DER SubjectPublicKeyInfo.
    public init(spkiDER der: [UInt8]) throws {
        let pkey: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_PUBKEY(nil, &p, buf.count)
        }
        guard let pkey else { throw CryptoError.invalidKey("not a SubjectPublicKeyInfo: \(drainOpenSSLErrors())") }
        box = PKeyBox(pkey)
    }

    /// Decodes a PEM `PUBLIC KEY` block.
    public init(pem: String) throws {
        let pkey = try withMemoryBIO(Array(pem.utf8)) { bio in
            PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let pkey else { throw CryptoError.invalidKey("no PEM public key: \(drainOpenSSLErrors())") }
        box = PKeyBox(pkey)
    }

    /// Algorithm and size.
    public var kind: KeyKind { box.kind }

    /// DER SubjectPublicKeyInfo.
    public func spkiDER() throws -> [UInt8] {
        try derEncode("i2d_PUBKEY") { i2d_PUBKEY(box.pkey, $0) }
    }

    /// RSA public-key operation with PKCS#1 v1.5 type-1 unpadding: returns the signed
    /// payload (normally a DigestInfo) or throws when the padding is wrong.
    public func rsaRecoverPKCS1(signature: [UInt8]) throws -> [UInt8] {
        guard case .rsa(let bits) = kind else { throw CryptoError.invalidKey("PKCS#1 recovery needs an RSA key") }
        guard signature.count == (bits + 7) / 8 else {
            throw CryptoError.invalidInput("RSA signature of \(signature.count) bytes for a \(bits)-bit key")
        }
        let ctx = try box.context()
        defer { EVP_PKEY_CTX_free(ctx) }
        try ossl(EVP_PKEY_verify_recover_init(ctx), "EVP_PKEY_verify_recover_init")
        try ossl(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), "EVP_PKEY_CTX_set_rsa_padding")
        var out = [UInt8](repeating: 0, count: signature.count)
        var outLen = out.count
        try ossl(EVP_PKEY_verify_recover(ctx, &out, &outLen, signature, signature.count), "EVP_PKEY_verify_recover")
        return Array(out.prefix(outLen))
    }

    /// Verifies a signature over a precomputed digest: RSA PKCS#1 v1.5 (DigestInfo of
    /// `algorithm`), RSA-PSS when `pss` is set, or ECDSA with a DER signature.
    public func verify(signature: [UInt8], digest: [UInt8], algorithm: DigestAlgorithm, pss: Bool = false) -> Bool {
        guard digest.count == algorithm.length, let ctx = try? box.context() else { return false }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_verify_init(ctx) == 1 else { _ = drainOpenSSLErrors(); return false }
        if case .rsa = kind {
            let padding = pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING
            guard EVP_PKEY_CTX_set_rsa_padding(ctx, padding) == 1,
                  EVP_PKEY_CTX_set_signature_md(ctx, algorithm.md) == 1
            else { _ = drainOpenSSLErrors(); return false }
            if pss { _ = EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, Int32(algorithm.length)) }
        }
        let rc = EVP_PKEY_verify(ctx, signature, signature.count, digest, digest.count)
        if rc != 1 { _ = drainOpenSSLErrors() }
        return rc == 1
    }

    /// Hashes `data` with `algorithm` and verifies like ``verify(signature:digest:algorithm:pss:)``.
    public func verify(signature: [UInt8], data: [UInt8], algorithm: DigestAlgorithm, pss: Bool = false) -> Bool {
        verify(signature: signature, digest: algorithm.hash(data), algorithm: algorithm, pss: pss)
    }
}

/// A private key held in memory. Its bytes are never exposed except as PEM on request
/// (for the test PKI), and `description` never shows them.
public struct PrivateKey: Sendable, CustomStringConvertible {
    let box: PKeyBox

    /// Decodes a PEM private key (PKCS#8, traditional RSA or EC).
    public init(pem: String) throws {
        let pkey = try withMemoryBIO(Array(pem.utf8)) { bio in
            PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let pkey else { throw CryptoError.invalidKey("no PEM private key: \(drainOpenSSLErrors())") }
        box = PKeyBox(pkey)
    }

    private init(box: PKeyBox) { self.box = box }

    /// Generates an RSA key of `bits` bits with e = 65537.
    public static func generateRSA(bits: Int) throws -> PrivateKey {
        let ctx = try ossl(EVP_PKEY_CTX_new_from_name(nil, "RSA", nil), "EVP_PKEY_CTX_new_from_name")
        defer { EVP_PKEY_CTX_free(ctx) }
        try ossl(EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
        try ossl(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)), "EVP_PKEY_CTX_set_rsa_keygen_bits")
        return try generate(ctx)
    }

    /// Generates an EC key on `curve`.
    public static func generateEC(curve: NamedCurve) throws -> PrivateKey {
        let ctx = try ossl(EVP_PKEY_CTX_new_from_name(nil, "EC", nil), "EVP_PKEY_CTX_new_from_name")
        defer { EVP_PKEY_CTX_free(ctx) }
        try ossl(EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
        try ossl(EVP_PKEY_CTX_set_group_name(ctx, curve.rawValue), "EVP_PKEY_CTX_set_group_name")
        return try generate(ctx)
    }

    private static func generate(_ ctx: OpaquePointer) throws -> PrivateKey {
        var pkey: OpaquePointer?
        try ossl(EVP_PKEY_generate(ctx, &pkey), "EVP_PKEY_generate")
        return PrivateKey(box: PKeyBox(try ossl(pkey, "EVP_PKEY_generate")))
    }

    /// Algorithm and size.
    public var kind: KeyKind { box.kind }

    public var description: String { "PrivateKey(\(kind), redacted)" }

    /// The matching public key.
    public func publicKey() throws -> PublicKey {
        let der = try derEncode("i2d_PUBKEY") { i2d_PUBKEY(box.pkey, $0) }
        return try PublicKey(spkiDER: der)
    }

    /// PKCS#8 PEM (unencrypted), for writing test keys to disk.
    public func pkcs8PEM() throws -> String {
        let bytes = try collectBIO({ PEM_write_bio_PrivateKey($0, box.pkey, nil, nil, 0, nil, nil) }, "PEM_write_bio_PrivateKey")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// RSA private-key operation with PKCS#1 v1.5 type-1 padding over `payload` as given
    /// (a DigestInfo, or a bare hash for the card's hash-specific algorithms).
    public func rsaSignPKCS1(payload: [UInt8]) throws -> [UInt8] {
        guard case .rsa(let bits) = kind else { throw CryptoError.invalidKey("PKCS#1 signing needs an RSA key") }
        guard payload.count <= (bits + 7) / 8 - 11 else { throw CryptoError.invalidInput("payload too long for PKCS#1 v1.5") }
        return try sign(payload) { ctx in
            try ossl(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), "EVP_PKEY_CTX_set_rsa_padding")
        }
    }

    /// RSASSA-PSS over a precomputed digest, salt length = digest length, MGF1 with the same hash.
    public func rsaSignPSS(digest: [UInt8], algorithm: DigestAlgorithm) throws -> [UInt8] {
        guard case .rsa = kind else { throw CryptoError.invalidKey("PSS signing needs an RSA key") }
        guard digest.count == algorithm.length else { throw CryptoError.invalidInput("digest length does not match \(algorithm)") }
        return try sign(digest) { ctx in
            try ossl(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING), "EVP_PKEY_CTX_set_rsa_padding")
            try ossl(EVP_PKEY_CTX_set_signature_md(ctx, algorithm.md), "EVP_PKEY_CTX_set_signature_md")
            try ossl(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, Int32(algorithm.length)), "EVP_PKEY_CTX_set_rsa_pss_saltlen")
        }
    }

    /// ECDSA over a precomputed digest (any length; OpenSSL truncates to the order size).
    /// Returns the DER `SEQUENCE { r, s }`.
    public func ecdsaSign(digest: [UInt8]) throws -> [UInt8] {
        guard kind.isEC else { throw CryptoError.invalidKey("ECDSA signing needs an EC key") }
        guard !digest.isEmpty else { throw CryptoError.invalidInput("empty digest") }
        return try sign(digest) { _ in }
    }

    /// Signs `data` with `algorithm`: PKCS#1 v1.5 for RSA (RSA-PSS with a salt of the digest's
    /// length when `pss` is set), ECDSA (DER) for EC.
    public func sign(data: [UInt8], algorithm: DigestAlgorithm, pss: Bool = false) throws -> [UInt8] {
        let digest = algorithm.hash(data)
        return try sign(digest) { ctx in
            if case .rsa = kind {
                try ossl(EVP_PKEY_CTX_set_rsa_padding(ctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING), "EVP_PKEY_CTX_set_rsa_padding")
            }
            try ossl(EVP_PKEY_CTX_set_signature_md(ctx, algorithm.md), "EVP_PKEY_CTX_set_signature_md")
            if pss, case .rsa = kind {
                try ossl(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, Int32(algorithm.length)), "EVP_PKEY_CTX_set_rsa_pss_saltlen")
            }
        }
    }

    private func sign(_ input: [UInt8], configure: (OpaquePointer) throws -> Void) throws -> [UInt8] {
        let ctx = try box.context()
        defer { EVP_PKEY_CTX_free(ctx) }
        try ossl(EVP_PKEY_sign_init(ctx), "EVP_PKEY_sign_init")
        try configure(ctx)
        var len = 0
        try ossl(EVP_PKEY_sign(ctx, nil, &len, input, input.count), "EVP_PKEY_sign(size)")
        var out = [UInt8](repeating: 0, count: len)
        try ossl(EVP_PKEY_sign(ctx, &out, &len, input, input.count), "EVP_PKEY_sign")
        return Array(out.prefix(len))
    }
}
