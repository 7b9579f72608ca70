import COpenSSL

/// Runs `body` with a read-only memory BIO over `bytes`.
func withMemoryBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> R) throws -> R {
    let bio: OpaquePointer = try bytes.withUnsafeBytes { raw in
        try ossl(BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)), "BIO_new_mem_buf")
    }
    defer { BIO_free(bio) }
    // BIO_new_mem_buf does not copy: keep `bytes` alive for the body.
    return try withExtendedLifetime(bytes) { () -> R in try body(bio) }
}

/// Runs `write` against a fresh memory BIO and returns what it wrote.
func collectBIO(_ write: (OpaquePointer) -> Int32, _ function: String) throws -> [UInt8] {
    let bio = try ossl(BIO_new(BIO_s_mem()), "BIO_new")
    defer { BIO_free(bio) }
    try ossl(write(bio), function, positive: true)
    var ptr: UnsafeMutablePointer<CChar>?
    let len = COpenSSL_BIO_get_mem_data(bio, &ptr)
    guard let ptr, len > 0 else { return [] }
    return ptr.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
}

/// Calls an `i2d_*` style encoder twice (size, then bytes).
func derEncode(_ function: String, _ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> [UInt8] {
    let size = encode(nil)
    guard size > 0 else { throw CryptoError(.openssl, "\(function) failed: \(drainOpenSSLErrors())") }
    var out = [UInt8](repeating: 0, count: Int(size))
    let written = out.withUnsafeMutableBufferPointer { buf -> Int32 in
        var p: UnsafeMutablePointer<UInt8>? = buf.baseAddress
        return encode(&p)
    }
    guard written == size else { throw CryptoError(.openssl, "\(function) wrote \(written) of \(size) bytes") }
    return out
}

/// Reads the total length (header + content) of the DER element at the start of `bytes`,
/// or nil when the header is malformed or longer than `bytes`.
public func derElementLength(_ bytes: some Collection<UInt8>) -> Int? {
    let b = Array(bytes.prefix(6))
    guard b.count >= 2 else { return nil }
    let first = Int(b[1])
    var total: Int
    if first < 0x80 {
        total = 2 + first
    } else {
        let n = first & 0x7F
        guard n >= 1, n <= 3, b.count >= 2 + n else { return nil }
        var len = 0
        for i in 0..<n { len = len << 8 | Int(b[2 + i]) }
        total = 2 + n + len
    }
    return total <= bytes.count ? total : nil
}
