import COpenSSL

/// Conversions between the DER `SEQUENCE { r, s }` form of an ECDSA signature (X.509, OpenSSL)
/// and the fixed-length `r ‖ s` form (IEEE P1363) used by JWS (RFC 7518 §3.4) and smart cards.
public enum ECDSASignatureEncoding {
    /// `r ‖ s`, each left-padded to `componentLength` bytes (32 for P-256, 48 for P-384).
    /// - Throws: ``CryptoError`` `invalidInput` when `der` is not an ECDSA signature or a
    ///   component does not fit.
    public static func raw(fromDER der: [UInt8], componentLength: Int) throws -> [UInt8] {
        let sig: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var pointer: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &pointer, buffer.count)
        }
        guard let sig else { throw CryptoError.invalidInput("not a DER ECDSA signature: \(drainOpenSSLErrors())") }
        defer { ECDSA_SIG_free(sig) }
        var out = [UInt8](repeating: 0, count: componentLength * 2)
        let r = ECDSA_SIG_get0_r(sig)
        let s = ECDSA_SIG_get0_s(sig)
        let written = out.withUnsafeMutableBufferPointer { buffer -> (Int32, Int32) in
            (BN_bn2binpad(r, buffer.baseAddress, Int32(componentLength)),
             BN_bn2binpad(s, buffer.baseAddress! + componentLength, Int32(componentLength)))
        }
        guard written.0 == componentLength, written.1 == componentLength else {
            throw CryptoError.invalidInput("an ECDSA component is longer than \(componentLength) bytes")
        }
        return out
    }

    /// The DER form of `r ‖ s` (two equal halves).
    public static func der(fromRaw raw: [UInt8]) throws -> [UInt8] {
        guard !raw.isEmpty, raw.count % 2 == 0 else { throw CryptoError.invalidInput("r ‖ s must have two equal halves") }
        let half = raw.count / 2
        guard let sig = ECDSA_SIG_new() else { throw CryptoError.invalidInput("ECDSA_SIG_new failed") }
        defer { ECDSA_SIG_free(sig) }
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32(half), nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + half, Int32(half), nil) }
        guard let r, let s, ECDSA_SIG_set0(sig, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            throw CryptoError.invalidInput("cannot build an ECDSA signature: \(drainOpenSSLErrors())")
        }
        return try derEncode("i2d_ECDSA_SIG") { i2d_ECDSA_SIG(sig, $0) }
    }
}

extension PublicKey {
    /// The uncompressed EC point `04 ‖ x ‖ y` of an EC public key (for JWK `x`/`y`).
    /// - Throws: ``CryptoError`` `invalidKey` for a non-EC key.
    public func ecUncompressedPoint() throws -> [UInt8] {
        guard kind.isEC else { throw CryptoError.invalidKey("not an EC key") }
        var length = 0
        try ossl(EVP_PKEY_get_octet_string_param(box.pkey, "encoded-pub-key", nil, 0, &length), "EVP_PKEY_get_octet_string_param")
        var out = [UInt8](repeating: 0, count: length)
        try ossl(EVP_PKEY_get_octet_string_param(box.pkey, "encoded-pub-key", &out, length, &length), "EVP_PKEY_get_octet_string_param")
        guard out.first == 0x04 else { throw CryptoError.invalidKey("the EC point is not uncompressed") }
        return Array(out.prefix(length))
    }
}
