import CryptoCore
import Foundation

/// The keys, certificates and photo a card image is built from.
///
/// Load it from a profile with ``load(for:relativeTo:)``, or build it in code (unit tests):
/// every certificate may be absent; only the RRN key is required, because the card's data
/// signatures are computed when the image is built.
public struct CardMaterial: Sendable {
    /// The JPEG stored in `4035` (hashed into identity tag `11`).
    public var photo: [UInt8]
    public var authKey: PrivateKey?
    public var authCertificate: Certificate?
    public var signKey: PrivateKey?
    public var signCertificate: Certificate?
    public var caCertificate: Certificate?
    public var rootCertificate: Certificate?
    public var rrnCertificate: Certificate?
    /// Signs `4032` and `4034`.
    public var rrnKey: PrivateKey
    /// Basic (card) key `81`; 1.8 only. A 1.8 image without one gets a fresh P-384 key.
    public var basicKey: PrivateKey?

    public init(
        photo: [UInt8] = CardMaterial.placeholderPhoto, authKey: PrivateKey? = nil, authCertificate: Certificate? = nil,
        signKey: PrivateKey? = nil, signCertificate: Certificate? = nil, caCertificate: Certificate? = nil,
        rootCertificate: Certificate? = nil, rrnCertificate: Certificate? = nil, rrnKey: PrivateKey,
        basicKey: PrivateKey? = nil
    ) {
        self.photo = photo
        self.authKey = authKey
        self.authCertificate = authCertificate
        self.signKey = signKey
        self.signCertificate = signCertificate
        self.caCertificate = caCertificate
        self.rootCertificate = rootCertificate
        self.rrnCertificate = rrnCertificate
        self.rrnKey = rrnKey
        self.basicKey = basicKey
    }

    /// A stand-in photo for profiles without one: JPEG markers (SOI, a JFIF APP0, EOI) around a
    /// fixed filler. It is *not* a decodable image; real profiles should name a JPEG.
    public static let placeholderPhoto: [UInt8] = {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        bytes += Array("sleutel virtual card placeholder photo".utf8)
        bytes += [0xFF, 0xD9]
        return bytes
    }()

    /// Reads the files a profile names. Paths are relative to `directory` (the profile's folder).
    /// - Throws: ``VirtualCardError`` `.missingFile` for an unreadable file, `.crypto` for a
    ///   file that is not a PEM key/certificate, `.badJSON` when `rrnKey` is null.
    public static func load(for profile: CardProfile, relativeTo directory: URL) throws(VirtualCardError) -> CardMaterial {
        let c = profile.certificates
        func read(_ path: String, _ field: String) throws(VirtualCardError) -> Data {
            let url = URL(fileURLWithPath: path, relativeTo: directory).standardizedFileURL
            do {
                return try Data(contentsOf: url)
            } catch {
                throw VirtualCardError(.missingFile, "\(field): cannot read \(url.path)")
            }
        }
        func key(_ path: String?, _ field: String) throws(VirtualCardError) -> PrivateKey? {
            guard let path else { return nil }
            let text = String(decoding: try read(path, field), as: UTF8.self)
            do {
                return try PrivateKey(pem: text)
            } catch {
                throw VirtualCardError(.crypto, "\(field): \(path) is not a PEM private key")
            }
        }
        func certificate(_ path: String?, _ field: String) throws(VirtualCardError) -> Certificate? {
            guard let path else { return nil }
            let data = try read(path, field)
            do {
                if data.first == 0x30 { return try Certificate(der: Array(data)) }
                return try Certificate(pem: String(decoding: data, as: UTF8.self))
            } catch {
                throw VirtualCardError(.crypto, "\(field): \(path) is not a PEM or DER certificate")
            }
        }

        guard let rrnKey = try key(c.rrnKey, "certificates.rrnKey") else {
            throw VirtualCardError(.badJSON, "certificates.rrnKey is required (it signs the identity and address files)")
        }
        var photo = CardMaterial.placeholderPhoto
        if let path = profile.photo { photo = Array(try read(path, "photo")) }
        return CardMaterial(
            photo: photo,
            authKey: try key(c.authKey, "certificates.authKey"),
            authCertificate: try certificate(c.auth, "certificates.auth"),
            signKey: try key(c.signKey, "certificates.signKey"),
            signCertificate: try certificate(c.sign, "certificates.sign"),
            caCertificate: try certificate(c.ca, "certificates.ca"),
            rootCertificate: try certificate(c.root, "certificates.root"),
            rrnCertificate: try certificate(c.rrn, "certificates.rrn"),
            rrnKey: rrnKey,
            basicKey: try key(c.basicKey, "certificates.basicKey")
        )
    }
}
