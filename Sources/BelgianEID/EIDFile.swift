/// The files of the Belgian eID card (spec §2.1), addressed by absolute path.
public enum EIDFile: String, Sendable, CaseIterable, Codable {
    case dir, odf, tokenInfo, aodf, prkdf, cdf
    case authenticationCertificate, signatureCertificate, caCertificate, rootCertificate, rrnCertificate
    case identity, identitySignature, address, addressSignature, photo, basicPublicKey

    /// File identifier (last two bytes of the path).
    public var fid: UInt16 {
        switch self {
        case .dir: 0x2F00
        case .odf: 0x5031
        case .tokenInfo: 0x5032
        case .aodf: 0x5034
        case .prkdf: 0x5035
        case .cdf: 0x5037
        case .authenticationCertificate: 0x5038
        case .signatureCertificate: 0x5039
        case .caCertificate: 0x503A
        case .rootCertificate: 0x503B
        case .rrnCertificate: 0x503C
        case .identity: 0x4031
        case .identitySignature: 0x4032
        case .address: 0x4033
        case .addressSignature: 0x4034
        case .photo: 0x4035
        case .basicPublicKey: 0x4040
        }
    }

    /// Absolute path including `3F00`, as sent with SELECT P1=`08`.
    public var path: [UInt8] {
        let df: [UInt8]
        switch self {
        case .dir: df = []
        case .identity, .identitySignature, .address, .addressSignature, .photo, .basicPublicKey: df = [0xDF, 0x01]
        default: df = [0xDF, 0x00]
        }
        return [0x3F, 0x00] + df + [UInt8(fid >> 8), UInt8(fid & 0xFF)]
    }

    /// Certificate files hold DER followed by zero padding; a first byte `00` means absent.
    public var isCertificate: Bool {
        switch self {
        case .authenticationCertificate, .signatureCertificate, .caCertificate, .rootCertificate, .rrnCertificate: true
        default: false
        }
    }

    /// The five certificate files in card order.
    public static let certificates: [EIDFile] = [
        .authenticationCertificate, .signatureCertificate, .caCertificate, .rootCertificate, .rrnCertificate,
    ]
}

/// The card's private keys (spec §6.1).
public enum EIDKey: UInt8, Sendable, Codable {
    /// The basic (card) key, 1.8 only, used by INTERNAL AUTHENTICATE.
    case basic = 0x81
    /// The citizen's authentication key ("PIN once").
    case authentication = 0x82
    /// The citizen's non-repudiation (qualified signature) key ("PIN just before").
    case nonRepudiation = 0x83
}
