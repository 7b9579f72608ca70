import COpenSSL

/// Message digests offered by the crypto layer.
public enum DigestAlgorithm: String, Sendable, CaseIterable, Codable {
    case md5, sha1, sha224, sha256, sha384, sha512

    /// Output length in bytes.
    public var length: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The digest whose output has `length` bytes among SHA-1/256/384/512.
    public static func sha(outputLength length: Int) -> DigestAlgorithm? {
        switch length {
        case 20: .sha1
        case 32: .sha256
        case 48: .sha384
        case 64: .sha512
        default: nil
        }
    }

    var md: OpaquePointer {
        switch self {
        case .md5: EVP_md5()
        case .sha1: EVP_sha1()
        case .sha224: EVP_sha224()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }

    /// Hashes `data` in one call.
    public func hash(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLen: UInt32 = 0
        let ok = data.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &out, &outLen, md, nil)
        }
        precondition(ok == 1, "EVP_Digest cannot fail for a built-in digest")
        return Array(out.prefix(Int(outLen)))
    }
}

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let rc = RAND_bytes(&out, Int32(count))
        precondition(rc == 1, "RAND_bytes failed: \(drainOpenSSLErrors())")
        return out
    }
}
