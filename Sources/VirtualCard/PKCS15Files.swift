/// The PKCS#15 files of `3F00` and `3F00/DF00` (card spec §2.5).
enum PKCS15 {
    static let pkcs15AID: [UInt8] = [0xA0, 0x00, 0x00, 0x01, 0x77, 0x50, 0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35]
    private static let df00: [UInt8] = [0x3F, 0x00, 0xDF, 0x00]

    /// EF(DIR) `2F00`, 37 bytes.
    static let dir: [UInt8] = DERWriter.element(
        0x61,
        [
            DERWriter.element(0x4F, pkcs15AID),
            DERWriter.element(0x50, Array("BELPIC".utf8)),
            DERWriter.element(0x51, df00),
            DERWriter.element(0x73, [0x06, 0x03, 0x60, 0x38, 0x02]),
        ]
    )

    /// EF(ODF) `5031`, 36 bytes: PrKDF, CDF, AODF.
    static let odf: [UInt8] = [(0xA0, 0x35), (0xA4, 0x37), (0xA8, 0x34)].flatMap { tag, fid in
        DERWriter.element(tag, DERWriter.path(df00 + [0x50, UInt8(fid)]))
    }

    /// EF(TokenInfo) `5032`, 41 bytes.
    static func tokenInfo(serial: [UInt8], applet: CardApplet) -> [UInt8] {
        // Graphical perso version, electrical perso version, electrical perso interface version, RFU.
        let perso: [UInt8] = applet == .v18 ? [0x04, 0x04, 0x01, 0x00] : [0x03, 0x03, 0x01, 0x00]
        return DERWriter.sequence(
            DERWriter.integer(0),
            DERWriter.octets(serial),
            DERWriter.element(0x80, Array("BELPIC".utf8)),
            [0x03, 0x02, 0x04, 0x30],
            DERWriter.element(0x9E, perso)
        )
    }

    /// EF(AODF) `5034`, 53 bytes: the "Basic PIN" object, reference 01, path 3F00.
    static let aodf: [UInt8] = DERWriter.sequence(
        DERWriter.sequence(DERWriter.utf8("Basic PIN"), [0x03, 0x02, 0x06, 0xC0]),
        DERWriter.sequence(DERWriter.octets([0x01])),
        DERWriter.element(
            0xA1,
            DERWriter.sequence(
                [0x03, 0x02, 0x02, 0x0C],  // initialized, needs-padding
                [0x0A, 0x01, 0x00],  // bcd
                DERWriter.integer(4),  // minLength
                DERWriter.integer(8),  // storedLength
                [0x80, 0x01, 0x01],  // pinReference
                DERWriter.octets([0xFF]),  // padChar
                DERWriter.path([0x3F, 0x00])
            )
        )
    )

    /// EF(PrKDF) `5035`: "Authentication" (82) and "Signature" (83) private keys; RSA entries are
    /// SEQUENCEs, EC entries the `[0]` privateECKey choice.
    static func prkdf(applet: CardApplet, keyBits: Int, hasAuth: Bool, hasSign: Bool) -> [UInt8] {
        let outer: UInt8 = applet.isEC ? 0xA0 : 0x30
        let bits: [UInt8] = [0x02, 0x02, UInt8(keyBits >> 8 & 0xFF), UInt8(keyBits & 0xFF)]
        let typeAttributes = DERWriter.element(0xA1, DERWriter.sequence(DERWriter.path(df00), bits))
        let accessFlags: [UInt8] = [0x03, 0x02, 0x03, 0xB8]
        var out: [UInt8] = []
        if hasAuth {
            out += DERWriter.element(
                outer,
                [
                    DERWriter.sequence(DERWriter.utf8("Authentication"), [0x03, 0x02, 0x07, 0x80], DERWriter.octets([0x01])),
                    DERWriter.sequence(DERWriter.octets([0x02]), [0x03, 0x02, 0x05, 0x20], accessFlags, [0x02, 0x02, 0x00, 0x82]),
                    typeAttributes,
                ]
            )
        }
        if hasSign {
            out += DERWriter.element(
                outer,
                [
                    DERWriter.sequence(
                        DERWriter.utf8("Signature"), [0x03, 0x02, 0x07, 0x80], DERWriter.octets([0x01]), DERWriter.integer(1)
                    ),
                    DERWriter.sequence(DERWriter.octets([0x03]), [0x03, 0x03, 0x06, 0x00, 0x40], accessFlags, [0x02, 0x02, 0x00, 0x83]),
                    typeAttributes,
                ]
            )
        }
        return out
    }

    /// EF(CDF) `5037`: Authentication (02 → 5038), Signature (03 → 5039), CA (04 → 503A),
    /// Root (06 → 503B); absent certificates are left out and the file is zero-filled to `size`.
    static func cdf(hasAuth: Bool, hasSign: Bool, hasCA: Bool, hasRoot: Bool, size: Int) -> [UInt8] {
        func entry(_ label: String, id: UInt8, authority: Bool, fid: UInt8) -> [UInt8] {
            var common = DERWriter.octets([id])
            if authority { common += [0x01, 0x01, 0xFF] }
            return DERWriter.sequence(
                DERWriter.sequence(DERWriter.utf8(label), DERWriter.octets([0x01])),
                DERWriter.element(0x30, common),
                DERWriter.element(0xA1, DERWriter.sequence(DERWriter.path(df00 + [0x50, fid])))
            )
        }
        var out: [UInt8] = []
        if hasAuth { out += entry("Authentication", id: 0x02, authority: false, fid: 0x38) }
        if hasSign { out += entry("Signature", id: 0x03, authority: false, fid: 0x39) }
        if hasCA { out += entry("CA", id: 0x04, authority: true, fid: 0x3A) }
        if hasRoot { out += entry("Root", id: 0x06, authority: true, fid: 0x3B) }
        return out + [UInt8](repeating: 0, count: max(0, size - out.count))
    }
}
