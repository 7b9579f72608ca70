/// An Ed25519 or Ed448 public key and what decoding it per RFC 8032 (§5.1.3, §5.2.3) found.
///
/// OpenSSL takes any string of the right length as a raw Edwards public key, so the checks
/// here are our own: the encoding is canonical (y < p, and no "negative zero" x), the point is
/// on the curve, and it is not of small order (the identity or one of the cofactor's torsion
/// points, with which any message "verifies" under some implementations).
public struct EdwardsPublicComponents: Sendable, Equatable {
    /// `Ed25519` or `Ed448`.
    public let name: String
    /// The key's nominal size in bits (256 or 456).
    public let bits: Int
    /// The encoded key as found.
    public let encoding: [UInt8]
    /// The encoding has the curve's length (32 or 57 bytes).
    public let lengthValid: Bool
    /// The y-coordinate is below p and x = 0 does not carry the sign bit.
    public let canonical: Bool
    /// The point decodes: (y² − 1)/(d·y² − a) is a square modulo p.
    public let onCurve: Bool
    /// The point's order divides the cofactor (8 for Ed25519, 4 for Ed448).
    public let smallOrder: Bool

    /// True when every check passed.
    public var isValid: Bool { lengthValid && canonical && onCurve && !smallOrder }

    /// Decodes and checks `encoding` as a key on `curve`.
    public init(_ curve: EdwardsCurve, encoding: [UInt8]) {
        name = curve.name
        bits = curve.keyBits
        self.encoding = encoding
        lengthValid = encoding.count == curve.encodedLength
        guard lengthValid else {
            (canonical, onCurve, smallOrder) = (false, false, false)
            return
        }
        var littleEndian = encoding
        let sign = littleEndian[littleEndian.count - 1] >> 7
        littleEndian[littleEndian.count - 1] &= 0x7F
        let y = BigNum(bigEndian: littleEndian.reversed())
        guard y < curve.p else {
            (canonical, onCurve, smallOrder) = (false, false, false)
            return
        }
        guard let x2 = curve.xSquared(y: y) else {
            (canonical, onCurve, smallOrder) = (true, false, false)
            return
        }
        onCurve = curve.isSquare(x2)
        canonical = !(x2.isZero && sign == 1)
        smallOrder = onCurve && curve.hasSmallOrder(y: y)
    }
}

/// The two Edwards curves of RFC 8032, as needed to check public keys: a·x² + y² = 1 + d·x²·y²
/// over GF(p).
public struct EdwardsCurve: Sendable {
    /// `Ed25519` or `Ed448`.
    public let name: String
    let keyBits: Int
    let encodedLength: Int
    let p: BigNum
    /// −1 for edwards25519, 1 for edwards448 (as residues modulo p).
    let a: BigNum
    let d: BigNum
    /// log₂ of the cofactor: 3 (h = 8) or 2 (h = 4).
    let cofactorBits: Int
    private let halfOrder: BigNum

    private init(name: String, keyBits: Int, encodedLength: Int, p: BigNum, a: BigNum, d: BigNum, cofactorBits: Int) {
        self.name = name
        self.keyBits = keyBits
        self.encodedLength = encodedLength
        self.p = p
        self.a = a
        self.d = d
        self.cofactorBits = cofactorBits
        halfOrder = p.subtracting(1).shiftedRight(by: 1)
    }

    /// edwards25519: p = 2²⁵⁵ − 19, a = −1, d = −121665/121666, cofactor 8, 32-byte keys.
    public static let ed25519: EdwardsCurve = {
        let p = BigNum(1).shiftedLeft(by: 255).subtracting(19)
        let d = p.subtracting(121665).multiplied(by: BigNum(121666).inverse(modulo: p)!)
        return EdwardsCurve(name: "Ed25519", keyBits: 256, encodedLength: 32, p: p, a: p.subtracting(1),
                            d: try! d.modulo(p), cofactorBits: 3)
    }()

    /// edwards448: p = 2⁴⁴⁸ − 2²²⁴ − 1, a = 1, d = −39081, cofactor 4, 57-byte keys.
    public static let ed448: EdwardsCurve = {
        let p = BigNum(1).shiftedLeft(by: 448).subtracting(BigNum(1).shiftedLeft(by: 224)).subtracting(1)
        return EdwardsCurve(name: "Ed448", keyBits: 456, encodedLength: 57, p: p, a: BigNum(1),
                            d: p.subtracting(39081), cofactorBits: 2)
    }()

    private func mod(_ x: BigNum) -> BigNum { try! x.modulo(p) }
    private func mul(_ x: BigNum, _ y: BigNum) -> BigNum { mod(x.multiplied(by: y)) }
    private func sub(_ x: BigNum, _ y: BigNum) -> BigNum { mod(x.adding(p).subtracting(y)) }

    /// x² for the point with this y: (y² − 1)/(d·y² − a), or nil when the denominator vanishes
    /// (impossible on these curves, where d/a is not a square).
    func xSquared(y: BigNum) -> BigNum? {
        let y2 = mul(y, y)
        guard let inverse = sub(mul(d, y2), a).inverse(modulo: p) else { return nil }
        return mul(sub(y2, BigNum(1)), inverse)
    }

    /// Euler's criterion: 0 or v^((p−1)/2) = 1.
    func isSquare(_ v: BigNum) -> Bool {
        v.isZero || ((try? v.power(halfOrder, modulo: p))?.isOne ?? false)
    }

    /// Doubles the point `cofactorBits` times by its y-coordinate alone and tells whether the
    /// result is the identity (y = 1). Doubling: y' = (y² − a·x²)/(2 − a·x² − y²), with x² from y.
    func hasSmallOrder(y start: BigNum) -> Bool {
        var y = start
        for _ in 0..<cofactorBits {
            guard let x2 = xSquared(y: y) else { return false }
            let y2 = mul(y, y), ax2 = mul(a, x2)
            guard let inverse = sub(sub(BigNum(2), ax2), y2).inverse(modulo: p) else { return false }
            y = mul(sub(y2, ax2), inverse)
        }
        return y.isOne
    }
}
