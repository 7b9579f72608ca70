/// Hash algorithms whose PKCS#1 v1.5 DigestInfo prefixes are listed in §6.2.
///
/// The host prepends ``digestInfoPrefix`` to a digest when it signs with RSA algorithm `01`;
/// ``parseDigestInfo(_:)`` does the reverse on a recovered RSA signature payload.
public enum HashAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case md5, sha1, sha224, sha256, sha384, sha512, ripemd160

    /// Digest length in bytes.
    public var digestLength: Int {
        switch self {
        case .md5: 16
        case .sha1, .ripemd160: 20
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// DER prefix of `DigestInfo{AlgorithmIdentifier{oid, NULL}, OCTET STRING}` up to the digest.
    public var digestInfoPrefix: [UInt8] {
        switch self {
        case .md5:
            [
                0x30, 0x20, 0x30, 0x0C, 0x06, 0x08, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x05, 0x05, 0x00, 0x04,
                0x10,
            ]
        case .sha1: [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14]
        case .sha224:
            [
                0x30, 0x2D, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00,
                0x04, 0x1C,
            ]
        case .sha256:
            [
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x20,
            ]
        case .sha384:
            [
                0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
                0x04, 0x30,
            ]
        case .sha512:
            [
                0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
                0x04, 0x40,
            ]
        case .ripemd160: [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x24, 0x03, 0x02, 0x01, 0x05, 0x00, 0x04, 0x14]
        }
    }

    /// The algorithm with this digest length among SHA-1/SHA-256/SHA-384/SHA-512 (the choice
    /// rule for photo hashes and RRN signatures); nil otherwise.
    public static func sha(digestLength: Int) -> HashAlgorithm? {
        switch digestLength {
        case 20: .sha1
        case 32: .sha256
        case 48: .sha384
        case 64: .sha512
        default: nil
        }
    }

    /// `digestInfoPrefix ‖ digest`.
    /// - Throws: ``EIDError/Code/invalidLength`` when `digest` is not ``digestLength`` bytes.
    public func digestInfo(for digest: [UInt8]) throws(EIDError) -> [UInt8] {
        guard digest.count == digestLength else {
            throw .invalidLength("\(rawValue) digest must be \(digestLength) bytes, got \(digest.count)")
        }
        return digestInfoPrefix + digest
    }

    /// Recognises a DigestInfo (exact DER, as produced by the prefixes above).
    /// - Returns: the algorithm and the digest bytes.
    /// - Throws: ``EIDError/Code/invalidSignatureFormat`` for anything else.
    public static func parseDigestInfo(_ bytes: [UInt8]) throws(EIDError) -> (HashAlgorithm, [UInt8]) {
        for algorithm in allCases {
            let prefix = algorithm.digestInfoPrefix
            if bytes.count == prefix.count + algorithm.digestLength && bytes.starts(with: prefix) {
                return (algorithm, Array(bytes[prefix.count...]))
            }
        }
        throw .invalidSignatureFormat("not a DigestInfo for a known hash (\(bytes.count) bytes)")
    }
}

/// Recognises a DigestInfo; same as ``HashAlgorithm/parseDigestInfo(_:)``.
/// - Throws: ``EIDError/Code/invalidSignatureFormat``.
public func parseDigestInfo(_ bytes: [UInt8]) throws(EIDError) -> (HashAlgorithm, [UInt8]) {
    try HashAlgorithm.parseDigestInfo(bytes)
}
