/// Conversions between the ECDSA signature forms met on the card.
///
/// - The card's PSO:CDS and INTERNAL AUTHENTICATE return **raw** `r ‖ s` (IEEE P1363), each
///   half as long as the curve order (48 bytes for P-384).
/// - X.509, CMS, TLS and the RRN signature files use **DER** `SEQUENCE { INTEGER r, INTEGER s }`;
///   the RRN files add zero padding up to a fixed size (§4.2).
///
/// All malformed input results in ``EIDError/Code/invalidSignatureFormat`` (or
/// `truncatedTLV`/`invalidLength` from the DER reader), never a crash.
package enum ECDSASignatureFormat {
    /// Converts raw `r ‖ s` into DER.
    /// - Parameter raw: an even number of bytes (2 × component size), 2…264 bytes.
    /// - Throws: ``EIDError/Code/invalidSignatureFormat`` for odd/empty input or a zero r or s.
    package static func der(fromRaw raw: [UInt8]) throws(EIDError) -> [UInt8] {
        guard !raw.isEmpty, raw.count % 2 == 0, raw.count <= 264 else {
            throw .invalidSignatureFormat(
                "raw ECDSA signature must have an even length of 2…264 bytes, got \(raw.count)"
            )
        }
        let half = raw.count / 2
        let r = Array(raw[..<half])
        let s = Array(raw[half...])
        guard r.contains(where: { $0 != 0 }), s.contains(where: { $0 != 0 }) else {
            throw .invalidSignatureFormat("ECDSA r or s is zero")
        }
        return DER.sequence(DER.unsignedInteger(r), DER.unsignedInteger(s))
    }

    /// Converts DER `SEQUENCE { INTEGER r, INTEGER s }` into raw `r ‖ s`.
    /// - Parameters:
    ///   - der: the exact DER encoding (no trailing bytes; use ``trimZeroPadding(_:)`` first).
    ///   - componentSize: size of each half in bytes (48 for P-384, 32 for P-256, 66 for P-521).
    /// - Throws: ``EIDError/Code/invalidSignatureFormat`` for malformed DER, negative or zero
    ///   integers, or integers longer than `componentSize`.
    package static func raw(fromDER der: [UInt8], componentSize: Int) throws(EIDError) -> [UInt8] {
        guard componentSize > 0 && componentSize <= 132 else {
            throw .invalidSignatureFormat("component size \(componentSize) out of range")
        }
        let (r, s) = try integers(der)
        guard r.count <= componentSize, s.count <= componentSize else {
            throw .invalidSignatureFormat("ECDSA integer longer than \(componentSize) bytes")
        }
        return [UInt8](repeating: 0, count: componentSize - r.count) + r
            + [UInt8](repeating: 0, count: componentSize - s.count) + s
    }

    /// Cuts the zero padding after a DER ECDSA signature (RRN files `4032`/`4034` on EC cards).
    ///
    /// The DER length is taken from the header (`30 LL`, or `30 81 LL` for long signatures);
    /// every byte after it must be `00`. The signature itself is checked to be a well-formed
    /// `SEQUENCE { INTEGER, INTEGER }`.
    /// - Throws: ``EIDError/Code/invalidSignatureFormat`` (or `truncatedTLV` when the header
    ///   claims more bytes than present).
    package static func trimZeroPadding(_ padded: [UInt8]) throws(EIDError) -> [UInt8] {
        guard padded.count >= 2, padded[0] == DER.Tag.sequence else {
            throw .invalidSignatureFormat("signature does not start with a DER SEQUENCE")
        }
        var reader = DERReader(padded)
        let sequence: DERElement
        do throws(EIDError) {
            sequence = try reader.read()
        } catch {
            throw error.code == .truncatedTLV ? error : .invalidSignatureFormat("bad DER header: \(error.reason)")
        }
        guard reader.remainderIsZero else {
            throw .invalidSignatureFormat("non-zero bytes after the DER signature at offset \(sequence.encodedCount)")
        }
        let der = Array(padded[..<sequence.encodedCount])
        _ = try integers(der)
        return der
    }

    /// Parses DER into the two integer magnitudes (no leading zeros).
    static func integers(_ der: [UInt8]) throws(EIDError) -> ([UInt8], [UInt8]) {
        do throws(EIDError) {
            var outer = DERReader(der)
            let sequence = try outer.read(tag: DER.Tag.sequence, "SEQUENCE")
            try outer.expectEnd("ECDSA signature")
            var inner = sequence.children()
            let r = try inner.read(tag: DER.Tag.integer, "INTEGER r").unsignedMagnitude()
            let s = try inner.read(tag: DER.Tag.integer, "INTEGER s").unsignedMagnitude()
            try inner.expectEnd("INTEGER s")
            guard !r.isEmpty, !s.isEmpty else { throw EIDError.invalidSignatureFormat("ECDSA r or s is zero") }
            return (r, s)
        } catch {
            if error.code == .invalidSignatureFormat { throw error }
            throw .invalidSignatureFormat("malformed DER ECDSA signature: \(error.reason)")
        }
    }
}
