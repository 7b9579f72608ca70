import COpenSSL

/// HMAC over the SHA digests (RFC 2104).
public enum HMAC {
    /// The MAC of `data` under `key`.
    public static func mac(_ algorithm: DigestAlgorithm, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLen: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                COpenSSL.HMAC(algorithm.md, k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self),
                              d.count, &out, &outLen)
            }
        }
        precondition(result != nil, "HMAC cannot fail for a built-in digest")
        return Array(out.prefix(Int(outLen)))
    }
}

/// Compares two byte strings in time independent of where they differ.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<lhs.count { diff |= lhs[i] ^ rhs[i] }
    return diff == 0
}

/// AES-256-GCM with a 12-byte random nonce and a 16-byte tag. The sealed form is
/// `nonce ‖ ciphertext ‖ tag`.
public enum AESGCM {
    public static let keyLength = 32
    static let nonceLength = 12
    static let tagLength = 16

    /// Encrypts `plaintext` under `key`, authenticating `associatedData` too.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard key.count == keyLength else { throw .invalidKey("AES-256-GCM needs a 32-byte key") }
        let nonce = SecureRandom.bytes(nonceLength)
        do {
            let ctx = try ossl(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
            defer { EVP_CIPHER_CTX_free(ctx) }
            try ossl(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce), "EVP_EncryptInit_ex")
            var len: Int32 = 0
            if !associatedData.isEmpty {
                try ossl(EVP_EncryptUpdate(ctx, nil, &len, associatedData, Int32(associatedData.count)), "EVP_EncryptUpdate(aad)")
            }
            var out = [UInt8](repeating: 0, count: plaintext.count + 16)
            try ossl(EVP_EncryptUpdate(ctx, &out, &len, plaintext, Int32(plaintext.count)), "EVP_EncryptUpdate")
            var total = Int(len)
            try out.withUnsafeMutableBufferPointer { p throws in
                _ = try ossl(EVP_EncryptFinal_ex(ctx, p.baseAddress! + total, &len), "EVP_EncryptFinal_ex")
            }
            total += Int(len)
            var tag = [UInt8](repeating: 0, count: tagLength)
            try ossl(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag), "EVP_CTRL_GCM_GET_TAG")
            return nonce + out.prefix(total) + tag
        } catch let error as CryptoError {
            throw error
        } catch {
            throw CryptoError(.openssl, "\(error)")
        }
    }

    /// Decrypts a sealed box; throws `invalidInput` when the tag does not verify.
    public static func open(_ sealed: [UInt8], key: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard key.count == keyLength else { throw .invalidKey("AES-256-GCM needs a 32-byte key") }
        guard sealed.count >= nonceLength + tagLength else { throw .invalidInput("sealed box too short") }
        let nonce = Array(sealed.prefix(nonceLength))
        let body = Array(sealed[nonceLength..<(sealed.count - tagLength)])
        var tag = Array(sealed.suffix(tagLength))
        do {
            let ctx = try ossl(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
            defer { EVP_CIPHER_CTX_free(ctx) }
            try ossl(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce), "EVP_DecryptInit_ex")
            var len: Int32 = 0
            if !associatedData.isEmpty {
                try ossl(EVP_DecryptUpdate(ctx, nil, &len, associatedData, Int32(associatedData.count)), "EVP_DecryptUpdate(aad)")
            }
            var out = [UInt8](repeating: 0, count: body.count + 16)
            try ossl(EVP_DecryptUpdate(ctx, &out, &len, body, Int32(body.count)), "EVP_DecryptUpdate")
            var total = Int(len)
            try ossl(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &tag), "EVP_CTRL_GCM_SET_TAG")
            let ok = out.withUnsafeMutableBufferPointer { p in EVP_DecryptFinal_ex(ctx, p.baseAddress! + total, &len) }
            guard ok == 1 else {
                _ = drainOpenSSLErrors()
                throw CryptoError.invalidInput("AES-GCM tag does not verify")
            }
            total += Int(len)
            return Array(out.prefix(total))
        } catch let error as CryptoError {
            throw error
        } catch {
            throw CryptoError(.openssl, "\(error)")
        }
    }
}

/// scrypt (RFC 7914) through OpenSSL's EVP_PBE_scrypt.
public enum Scrypt {
    /// Derives `length` bytes from `password` and `salt` with cost `n` (a power of two), block
    /// size `r` and parallelism `p`.
    public static func derive(password: [UInt8], salt: [UInt8], n: UInt64, r: UInt64, p: UInt64, length: Int = 32) throws(CryptoError) -> [UInt8] {
        guard n > 1, n & (n - 1) == 0, r > 0, p > 0 else { throw .invalidInput("scrypt parameters out of range") }
        var out = [UInt8](repeating: 0, count: length)
        let maxMem: UInt64 = 128 * r * n * p + 128 * r * p + (1 << 20) * 64
        let passwordChars = password.map { CChar(bitPattern: $0) }
        let rc = passwordChars.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                EVP_PBE_scrypt(pw.baseAddress, pw.count, s.baseAddress, s.count, n, r, p, maxMem, &out, length)
            }
        }
        do { try ossl(rc, "EVP_PBE_scrypt") } catch let error as CryptoError { throw error } catch { throw CryptoError(.openssl, "\(error)") }
        return out
    }
}
