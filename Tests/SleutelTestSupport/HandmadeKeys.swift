import CryptoCore

/// Keys encoded by hand, so that tests can write keys OpenSSL would refuse to make (tiny or huge
/// moduli, even moduli, odd exponents).
public enum HandmadeKeys {
    /// SubjectPublicKeyInfo DER of the RSA public key (n, e).
    public static func rsaSPKI(n: BigNum, e: BigNum) -> [UInt8] {
        func len(_ n: Int) -> [UInt8] {
            n < 0x80 ? [UInt8(n)] : n < 0x100 ? [0x81, UInt8(n)] : [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
        }
        func tlv(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] { [tag] + len(body.count) + body }
        func int(_ x: BigNum) -> [UInt8] {
            var b = x.bigEndianBytes
            if b.isEmpty || b[0] & 0x80 != 0 { b.insert(0, at: 0) }
            return tlv(0x02, b)
        }
        let rsaKey = tlv(0x30, int(n) + int(e))
        let alg = tlv(0x30, [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00])
        return tlv(0x30, alg + tlv(0x03, [0] + rsaKey))
    }
}
