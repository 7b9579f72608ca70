import CryptoCore
import Foundation

/// Everything a virtual card holds, derived once from a ``CardProfile`` and its
/// ``CardMaterial`` and self-consistent (§11.9 of the card spec): chip serial = GET CARD DATA
/// serial = ID tag `02` = TokenInfo serial; photo hash (tag `11`); basic-key hash (tag `1A`,
/// 1.8); RRN signatures over `4031` and `4033`‖`4032`; PKCS#15 files matching the keys.
///
/// Immutable and `Sendable`. The PIN is kept internally and never exposed.
public struct CardImage: Sendable {
    /// File paths below the MF (without `3F00`), for ``file(_:)``.
    public enum Path {
        public static let dir: [UInt16] = [0x2F00]
        public static let odf: [UInt16] = [0xDF00, 0x5031]
        public static let tokenInfo: [UInt16] = [0xDF00, 0x5032]
        public static let aodf: [UInt16] = [0xDF00, 0x5034]
        public static let prkdf: [UInt16] = [0xDF00, 0x5035]
        public static let cdf: [UInt16] = [0xDF00, 0x5037]
        public static let authCertificate: [UInt16] = [0xDF00, 0x5038]
        public static let signCertificate: [UInt16] = [0xDF00, 0x5039]
        public static let caCertificate: [UInt16] = [0xDF00, 0x503A]
        public static let rootCertificate: [UInt16] = [0xDF00, 0x503B]
        public static let rrnCertificate: [UInt16] = [0xDF00, 0x503C]
        public static let identity: [UInt16] = [0xDF01, 0x4031]
        public static let identitySignature: [UInt16] = [0xDF01, 0x4032]
        public static let address: [UInt16] = [0xDF01, 0x4033]
        public static let addressSignature: [UInt16] = [0xDF01, 0x4034]
        public static let photo: [UInt16] = [0xDF01, 0x4035]
        public static let basicPublicKey: [UInt16] = [0xDF01, 0x4040]
    }

    /// Size of the address file (zero padded).
    public static let addressFileSize = 121
    /// Size of the RRN signature files for EC RRN keys (DER + zero padding).
    public static let ecSignatureFileSize = 256
    /// Size of EF(CDF) (entries + zero fill).
    public static let cdfFileSize = 256

    public let name: String
    public let applet: CardApplet
    public var atr: [UInt8] { applet.atr }
    /// The 16-byte chip serial.
    public let chipSerial: [UInt8]
    /// GET CARD DATA response body for P2 = `00` (28 bytes).
    public let cardData: [UInt8]
    /// Tries left when the card is first inserted (0 = blocked).
    public let initialPINTries: Int
    /// Commands allowed between VERIFY and a non-repudiation signature.
    public let nonRepudiationWindow: Int
    /// Authentication key `82`.
    public let authKey: PrivateKey?
    /// Non-repudiation key `83`.
    public let signKey: PrivateKey?
    /// Basic key `81` (1.8). A ``CardTamper`` may make it differ from the key in file `4040`.
    public internal(set) var basicKey: PrivateKey?
    /// Hash used for identity tag `11`.
    public let photoHashAlgorithm: DigestAlgorithm

    let pinDigits: [UInt8]
    var tree: FileTree

    /// Loads a profile file and everything it names.
    /// - Throws: ``VirtualCardError`` (missing file, bad JSON field, bad PIN, key/cert mismatch).
    public static func load(profileURL: URL) throws(VirtualCardError) -> CardImage {
        let profile = try CardProfile.load(from: profileURL)
        let material = try CardMaterial.load(for: profile, relativeTo: profileURL.deletingLastPathComponent())
        return try CardImage(profile: profile, material: material)
    }

    /// Builds the card contents.
    /// - Throws: ``VirtualCardError`` `.badPIN`, `.badField`, `.keyMismatch` or `.crypto`.
    public init(profile: CardProfile, material: CardMaterial) throws(VirtualCardError) {
        name = profile.name
        applet = profile.applet

        guard let digits = PINBlockCodec.digits(of: profile.pin) else {
            throw VirtualCardError(.badPIN, "profile \(profile.name): the PIN must be 4 to 12 decimal digits")
        }
        pinDigits = digits
        guard (0...3).contains(profile.pinTriesLeft) else {
            throw VirtualCardError(.badPIN, "profile \(profile.name): pinTriesLeft must be 0…3, got \(profile.pinTriesLeft)")
        }
        initialPINTries = profile.pinTriesLeft

        guard let serial = bytes(fromHex: profile.chipSerial), serial.count == 16 else {
            throw VirtualCardError(.badField, "chipSerial must be 32 hex digits (16 bytes)")
        }
        chipSerial = serial

        let window = profile.nonRepudiationWindow ?? (applet == .v17 ? 0 : 1)
        guard (0...3).contains(window) else { throw VirtualCardError(.badField, "nonRepudiationWindow must be 0…3") }
        nonRepudiationWindow = window

        photoHashAlgorithm = try Self.photoHash(profile)
        let rrnRSAHash = try Self.rrnHash(profile, photoHash: photoHashAlgorithm)

        // Keys and certificates.
        try Self.check(key: material.authKey, certificate: material.authCertificate, role: "auth", applet: applet)
        try Self.check(key: material.signKey, certificate: material.signCertificate, role: "sign", applet: applet)
        try Self.check(rrnKey: material.rrnKey, certificate: material.rrnCertificate)
        authKey = material.authKey
        signKey = material.signKey
        if applet == .v18 {
            if let key = material.basicKey {
                guard key.kind.isEC else { throw VirtualCardError(.keyMismatch, "basicKey must be an EC key on applet 1.8") }
                basicKey = key
            } else {
                do {
                    basicKey = try PrivateKey.generateEC(curve: .p384)
                } catch {
                    throw VirtualCardError(.crypto, "cannot generate a basic key: \(error)")
                }
            }
        } else {
            basicKey = nil
        }

        // DF01: identity, signatures, address, photo, basic key.
        var df01: [UInt16: [UInt8]] = [:]
        var basicKeyFile: [UInt8]?
        if let basicKey {
            basicKeyFile = try Self.crypto("basic public key") { try basicKey.publicKey().spkiDER() }
            df01[0x4040] = basicKeyFile
        }
        let identity = try Self.identityFile(
            profile.identity, serial: serial, photoHash: photoHashAlgorithm.hash(material.photo),
            basicKeyHash: basicKeyFile.map { DigestAlgorithm.sha384.hash($0) }
        )
        let identitySignature = try Self.rrnSign(identity, key: material.rrnKey, rsaHash: rrnRSAHash)
        let addressContent = try Self.addressContent(profile.address)
        let address = addressContent + [UInt8](repeating: 0, count: Self.addressFileSize - addressContent.count)
        // §4.1: the address with its trailing zeros stripped, then the complete SGN#ID file.
        var trimmedAddress = address[...]
        while trimmedAddress.last == 0 { trimmedAddress = trimmedAddress.dropLast() }
        let addressSignature = try Self.rrnSign(Array(trimmedAddress) + identitySignature, key: material.rrnKey, rsaHash: rrnRSAHash)
        df01[0x4031] = identity
        df01[0x4032] = identitySignature
        df01[0x4033] = address
        df01[0x4034] = addressSignature
        df01[0x4035] = material.photo

        // DF00: PKCS#15 and certificates.
        var df00: [UInt16: [UInt8]] = [:]
        df00[0x5031] = PKCS15.odf
        df00[0x5032] = PKCS15.tokenInfo(serial: serial, applet: applet)
        df00[0x5034] = PKCS15.aodf
        df00[0x5035] = PKCS15.prkdf(
            applet: applet, keyBits: Self.keyBits(authKey ?? signKey, applet: applet),
            hasAuth: authKey != nil, hasSign: signKey != nil
        )
        df00[0x5037] = PKCS15.cdf(
            hasAuth: material.authCertificate != nil, hasSign: material.signCertificate != nil,
            hasCA: material.caCertificate != nil, hasRoot: material.rootCertificate != nil, size: Self.cdfFileSize
        )
        let certificates: [(UInt16, Certificate?)] = [
            (0x5038, material.authCertificate), (0x5039, material.signCertificate), (0x503A, material.caCertificate),
            (0x503B, material.rootCertificate), (0x503C, material.rrnCertificate),
        ]
        let padding = applet == .v18 ? 1100 : 50
        let absentSize = applet == .v18 ? 2500 : 1300
        for (fid, certificate) in certificates {
            if let der = certificate?.derEncoded {
                df00[fid] = der + [UInt8](repeating: 0, count: padding)
            } else {
                df00[fid] = [UInt8](repeating: 0, count: absentSize)
            }
        }

        tree = FileTree(mf: [0x2F00: PKCS15.dir], dfs: [0xDF00: df00, 0xDF01: df01])
        cardData = Self.cardData(serial: serial, applet: applet)
    }

    /// The content of the file at `path` (below the MF, e.g. ``Path/identity``), or nil.
    public func file(_ path: [UInt16]) -> [UInt8]? { tree.file(path) }

    // MARK: - Building blocks

    private static func photoHash(_ profile: CardProfile) throws(VirtualCardError) -> DigestAlgorithm {
        switch (profile.applet, profile.photoHash?.lowercased()) {
        case (.v17, nil), (.v17, "sha256"), (.v17, "sha-256"): return .sha256
        case (.v17, "sha1"), (.v17, "sha-1"): return .sha1
        case (.v18, nil), (.v18, "sha384"), (.v18, "sha-384"): return .sha384
        case (.v17, _): throw VirtualCardError(.badField, "photoHash must be sha1 or sha256 on applet 1.7")
        case (.v18, _): throw VirtualCardError(.badField, "photoHash must be sha384 (or absent) on applet 1.8")
        }
    }

    private static func rrnHash(_ profile: CardProfile, photoHash: DigestAlgorithm) throws(VirtualCardError) -> DigestAlgorithm {
        switch profile.rrnSignatureHash?.lowercased() {
        case nil: return photoHash == .sha1 ? .sha1 : .sha256
        case "sha1", "sha-1": return .sha1
        case "sha256", "sha-256": return .sha256
        default: throw VirtualCardError(.badField, "rrnSignatureHash must be sha1 or sha256")
        }
    }

    private static func check(key: PrivateKey?, certificate: Certificate?, role: String, applet: CardApplet) throws(VirtualCardError) {
        if let key {
            switch (applet, key.kind) {
            case (.v17, .rsa), (.v18, .ec): break
            default:
                throw VirtualCardError(
                    .keyMismatch, "\(role)Key is \(key.kind) but applet \(applet.rawValue) needs \(applet.isEC ? "EC" : "RSA") keys"
                )
            }
        }
        guard let certificate else { return }
        guard let key else { throw VirtualCardError(.keyMismatch, "\(role) certificate present but \(role)Key is null") }
        guard try sameKey(key, certificate) else {
            throw VirtualCardError(.keyMismatch, "\(role)Key does not match the \(role) certificate's public key")
        }
    }

    private static func check(rrnKey: PrivateKey, certificate: Certificate?) throws(VirtualCardError) {
        switch rrnKey.kind {
        case .rsa, .ec: break
        default: throw VirtualCardError(.keyMismatch, "rrnKey must be RSA or EC, not \(rrnKey.kind)")
        }
        if let certificate, try !sameKey(rrnKey, certificate) {
            throw VirtualCardError(.keyMismatch, "rrnKey does not match the RRN certificate's public key")
        }
    }

    private static func sameKey(_ key: PrivateKey, _ certificate: Certificate) throws(VirtualCardError) -> Bool {
        try crypto("key comparison") { try key.publicKey().spkiDER() == certificate.publicKey().spkiDER() }
    }

    private static func crypto<T>(_ what: String, _ body: () throws -> T) throws(VirtualCardError) -> T {
        do {
            return try body()
        } catch {
            throw VirtualCardError(.crypto, "\(what): \(error)")
        }
    }

    private static func keyBits(_ key: PrivateKey?, applet: CardApplet) -> Int {
        switch key?.kind {
        case .rsa(let bits)?: bits
        case .ec(_, let bits)?: bits
        default: applet == .v18 ? 384 : 2048
        }
    }

    static func identityFile(
        _ id: CardProfile.Identity, serial: [UInt8], photoHash: [UInt8], basicKeyHash: [UInt8]?
    ) throws(VirtualCardError) -> [UInt8] {
        var fields: [UInt8: [UInt8]] = [
            0x01: Array(id.cardNumber.utf8), 0x02: serial, 0x03: Array(id.validityBegin.utf8),
            0x04: Array(id.validityEnd.utf8), 0x05: Array(id.deliveryMunicipality.utf8),
            0x06: Array(id.nationalNumber.utf8), 0x07: Array(id.surname.utf8), 0x08: Array(id.givenNames.utf8),
            0x09: Array(id.thirdInitial.utf8), 0x0A: Array(id.nationality.utf8), 0x0B: Array(id.birthLocation.utf8),
            0x0C: Array(id.birthDate.utf8), 0x0D: Array(id.sex.utf8), 0x0E: Array(id.nobleCondition.utf8),
            0x0F: Array(id.documentType.utf8), 0x10: Array(id.specialStatus.utf8), 0x11: photoHash,
        ]
        if let basicKeyHash { fields[0x1A] = basicKeyHash }
        for (tagText, valueText) in id.extraTags ?? [:] {
            guard let tagBytes = bytes(fromHex: tagText), tagBytes.count == 1 else {
                throw VirtualCardError(.badField, "identity.extraTags: key \"\(tagText)\" is not one hex byte")
            }
            guard let value = bytes(fromHex: valueText) else {
                throw VirtualCardError(.badField, "identity.extraTags.\(tagText): value is not hex")
            }
            let tag = tagBytes[0]
            guard fields[tag] == nil else {
                throw VirtualCardError(.badField, "identity.extraTags.\(tagText): tag is generated by the card")
            }
            fields[tag] = value
        }
        var writer = TLVWriter()
        for tag in fields.keys.sorted() { try writer.append(tag, fields[tag]!) }
        return writer.bytes
    }

    static func addressContent(_ address: CardProfile.Address) throws(VirtualCardError) -> [UInt8] {
        var writer = TLVWriter()
        try writer.append(0x01, address.streetAndNumber)
        try writer.append(0x02, address.zip)
        try writer.append(0x03, address.municipality)
        guard writer.bytes.count <= addressFileSize else {
            throw VirtualCardError(.badField, "address does not fit the \(addressFileSize)-byte address file")
        }
        return writer.bytes
    }

    /// RSA: raw PKCS#1 v1.5 signature (modulus length). EC: DER ECDSA-SHA384 + zero padding.
    static func rrnSign(_ data: [UInt8], key: PrivateKey, rsaHash: DigestAlgorithm) throws(VirtualCardError) -> [UInt8] {
        if key.kind.isEC {
            let der = try crypto("RRN signature") { try key.sign(data: data, algorithm: .sha384) }
            return der + [UInt8](repeating: 0, count: max(0, ecSignatureFileSize - der.count))
        }
        return try crypto("RRN signature") { try key.sign(data: data, algorithm: rsaHash) }
    }

    static func cardData(serial: [UInt8], applet: CardApplet) -> [UInt8] {
        // Component code, OS number/version, softmask number/version: chip specific, made up.
        var data = serial + [0xD0, 0x01, 0x26, 0x01, 0x15]
        switch applet {
        case .v17: data += [0x17, 0x00, 0x03, 0x00, 0x21, 0x01, 0x0F]
        case .v18: data += [0x18, 0x00, 0x01, 0x00, 0x00, 0x02, 0x0F]
        }
        return data
    }
}

/// The card's file system: the MF's EFs plus two DFs of EFs.
struct FileTree: Sendable {
    static let mf: UInt16 = 0x3F00
    var mf: [UInt16: [UInt8]]
    var dfs: [UInt16: [UInt16: [UInt8]]]

    /// Replaces the content of an existing EF `[DF, EF]` below the MF (``CardTamper``).
    mutating func replace(_ path: [UInt16], with content: [UInt8]) {
        guard path.count == 2, dfs[path[0]]?[path[1]] != nil else { return }
        dfs[path[0]]?[path[1]] = content
    }

    func isDF(_ fid: UInt16) -> Bool { fid == Self.mf || dfs[fid] != nil }

    /// Looks up `fid` among the children of `df`.
    func child(_ fid: UInt16, of df: UInt16) -> Node? {
        if df == Self.mf {
            if dfs[fid] != nil { return .df(fid) }
            if mf[fid] != nil { return .ef(parent: df, fid) }
            return nil
        }
        return dfs[df]?[fid] != nil ? .ef(parent: df, fid) : nil
    }

    func content(parent: UInt16, _ fid: UInt16) -> [UInt8]? {
        parent == Self.mf ? mf[fid] : dfs[parent]?[fid]
    }

    func file(_ path: [UInt16]) -> [UInt8]? {
        var df = Self.mf
        for (i, fid) in path.enumerated() {
            switch child(fid, of: df) {
            case .df(let d)?: df = d
            case .ef(let parent, let f)? where i == path.count - 1: return content(parent: parent, f)
            default: return nil
            }
        }
        return nil
    }

    enum Node: Equatable { case df(UInt16), ef(parent: UInt16, UInt16) }
}
