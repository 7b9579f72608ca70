import CryptoCore
/// Builders and parsers for the PKCS#15 files of the BELPIC application (§2.5):
/// EF(DIR) `2F00`, EF(ODF) `5031`, EF(TokenInfo) `5032`, EF(AODF) `5034`, EF(PrKDF) `5035`
/// and EF(CDF) `5037`.
///
/// The builders produce DER following the PKCS#15 ASN.1 module (implicit tags) in the shape
/// the card uses, which is what OpenSC's pkcs15 parser expects. Parsers accept trailing zero
/// fill after the last object and reject anything else that is malformed with a typed
/// ``EIDError``.
public enum PKCS15 {
    /// AID of the PKCS#15 application DF(BELPIC) (`"PKCS-15"`).
    public static let belpicAID: [UInt8] = [0xA0, 0x00, 0x00, 0x01, 0x77, 0x50, 0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35]
    /// Path of DF(BELPIC).
    public static let belpicPath: [UInt8] = [0x3F, 0x00, 0xDF, 0x00]
    /// Content of the discretionary data of EF(DIR): OID 2.16.56.2 ("Belpic card").
    public static let belpicDiscretionaryData: [UInt8] = [0x06, 0x03, 0x60, 0x38, 0x02]

    // MARK: - Bit numbers

    /// Bits of CommonObjectFlags.
    public enum ObjectFlag {
        public static let `private` = 0
        public static let modifiable = 1
    }

    /// Bits of KeyUsageFlags.
    public enum KeyUsage {
        public static let encrypt = 0
        public static let decrypt = 1
        public static let sign = 2
        public static let signRecover = 3
        public static let wrap = 4
        public static let unwrap = 5
        public static let verify = 6
        public static let verifyRecover = 7
        public static let derive = 8
        public static let nonRepudiation = 9
    }

    /// Bits of KeyAccessFlags.
    public enum KeyAccess {
        public static let sensitive = 0
        public static let extractable = 1
        public static let alwaysSensitive = 2
        public static let neverExtractable = 3
        public static let local = 4
    }

    /// Bits of PinFlags.
    public enum PINFlag {
        public static let caseSensitive = 0
        public static let local = 1
        public static let changeDisabled = 2
        public static let unblockDisabled = 3
        public static let initialized = 4
        public static let needsPadding = 5
    }

    /// Bits of TokenFlags.
    public enum TokenFlag {
        public static let readOnly = 0
        public static let loginRequired = 1
        public static let prnGeneration = 2
        public static let eidCompliant = 3
    }

    // MARK: - EF(DIR)

    /// The application template of EF(DIR) `2F00`.
    public struct DirectoryRecord: Sendable, Hashable {
        /// Application identifier (tag `4F`).
        public var applicationID: [UInt8]
        /// Application label (tag `50`).
        public var label: String
        /// Application path (tag `51`).
        public var path: [UInt8]
        /// Content of the discretionary data template (tag `73`), nil when absent.
        public var discretionaryData: [UInt8]?

        /// Creates a record.
        public init(applicationID: [UInt8], label: String, path: [UInt8], discretionaryData: [UInt8]? = nil) {
            self.applicationID = applicationID
            self.label = label
            self.path = path
            self.discretionaryData = discretionaryData
        }

        /// The record of the Belgian eID card.
        public static let belpic = DirectoryRecord(
            applicationID: PKCS15.belpicAID,
            label: "BELPIC",
            path: PKCS15.belpicPath,
            discretionaryData: PKCS15.belpicDiscretionaryData
        )

        /// Parses EF(DIR) (one application template, optional zero fill).
        /// - Throws: ``EIDError`` for malformed DER or a missing AID/path.
        public init(der bytes: [UInt8]) throws(EIDError) {
            var reader = DERReader(bytes)
            let template = try reader.read(tag: 0x61, "application template")
            guard reader.remainderIsZero else {
                throw .invalidCardData("EF(DIR): unexpected data after the application template")
            }
            var children = template.children()
            var aid: [UInt8]?
            var label = ""
            var path: [UInt8]?
            var discretionary: [UInt8]?
            while !children.isAtEnd {
                let element = try children.read()
                switch element.tag {
                case 0x4F: aid = element.content
                case 0x50: label = try element.utf8Value()
                case 0x51: path = element.content
                case 0x73: discretionary = element.content
                default: continue
                }
            }
            guard let aid, let path else { throw .invalidCardData("EF(DIR): application template lacks AID or path") }
            self.init(applicationID: aid, label: label, path: path, discretionaryData: discretionary)
        }

        /// The DER bytes of the record.
        public func derBytes() -> [UInt8] {
            var parts = [
                DER.element(0x4F, applicationID), DER.element(0x50, Array(label.utf8)), DER.element(0x51, path),
            ]
            if let discretionaryData { parts.append(DER.element(0x73, discretionaryData)) }
            return DER.element(0x61, parts: parts)
        }
    }

    // MARK: - EF(ODF)

    /// One entry of EF(ODF): which directory file lives where.
    public struct ODFEntry: Sendable, Hashable {
        /// The PKCS15Objects choice, i.e. the context tag number `[n]`.
        public struct Kind: RawRepresentable, Sendable, Hashable {
            public let rawValue: UInt8
            public init(rawValue: UInt8) { self.rawValue = rawValue }
            /// `[0]` private keys (PrKDF).
            public static let privateKeys = Kind(rawValue: 0)
            /// `[1]` public keys (PuKDF).
            public static let publicKeys = Kind(rawValue: 1)
            /// `[4]` certificates (CDF).
            public static let certificates = Kind(rawValue: 4)
            /// `[5]` trusted certificates.
            public static let trustedCertificates = Kind(rawValue: 5)
            /// `[7]` data objects (DODF).
            public static let dataObjects = Kind(rawValue: 7)
            /// `[8]` authentication objects (AODF).
            public static let authObjects = Kind(rawValue: 8)
        }

        /// The kind of directory.
        public var kind: Kind
        /// Its path (e.g. `3F00DF005035`).
        public var path: [UInt8]

        /// Creates an entry.
        public init(kind: Kind, path: [UInt8]) {
            self.kind = kind
            self.path = path
        }
    }

    /// The ODF of the card: PrKDF `5035`, CDF `5037`, AODF `5034` (36 bytes).
    public static let belpicODFEntries: [ODFEntry] = [
        ODFEntry(kind: .privateKeys, path: belpicPath + [0x50, 0x35]),
        ODFEntry(kind: .certificates, path: belpicPath + [0x50, 0x37]),
        ODFEntry(kind: .authObjects, path: belpicPath + [0x50, 0x34]),
    ]

    /// Encodes EF(ODF).
    public static func encodeODF(_ entries: [ODFEntry] = belpicODFEntries, paddedTo: Int? = nil) throws(EIDError)
        -> [UInt8]
    {
        let bytes = entries.flatMap { entry in
            DER.element(DER.context(entry.kind.rawValue, constructed: true), pathSequence(entry.path))
        }
        return try pad(bytes, to: paddedTo, "EF(ODF)")
    }

    /// Parses EF(ODF).
    /// - Throws: ``EIDError`` for malformed DER or entries that are not `[n] Path`.
    public static func parseODF(_ bytes: [UInt8]) throws(EIDError) -> [ODFEntry] {
        try objects(bytes, "EF(ODF)").map { (element) throws(EIDError) in
            guard element.tag & 0xE0 == 0xA0 else {
                throw .invalidTag("EF(ODF): tag \(Hex.byte(element.tag)) at offset \(element.offset) is not [n]")
            }
            var children = element.children()
            let path = try readPath(&children)
            return ODFEntry(kind: ODFEntry.Kind(rawValue: element.tag & 0x1F), path: path)
        }
    }

    // MARK: - EF(TokenInfo)

    /// EF(TokenInfo) `5032`.
    public struct TokenInfo: Sendable, Hashable {
        /// Version (0).
        public var version: Int
        /// Token serial (the 16-byte chip serial).
        public var serialNumber: [UInt8]
        /// Manufacturer ID (absent on the card).
        public var manufacturerID: String?
        /// Label (`BELPIC`), coded `[0]`.
        public var label: String?
        /// Token flags (bit numbers, see ``PKCS15/TokenFlag``).
        public var tokenFlags: Set<Int>
        /// The `[30]` field: graphical perso version, electrical perso version, electrical
        /// perso interface version, RFU.
        public var persoVersions: [UInt8]?

        /// Creates token info; defaults follow the card (label `BELPIC`,
        /// prnGeneration + eidCompliant).
        public init(
            version: Int = 0,
            serialNumber: [UInt8],
            manufacturerID: String? = nil,
            label: String? = "BELPIC",
            tokenFlags: Set<Int> = [TokenFlag.prnGeneration, TokenFlag.eidCompliant],
            persoVersions: [UInt8]? = nil
        ) {
            self.version = version
            self.serialNumber = serialNumber
            self.manufacturerID = manufacturerID
            self.label = label
            self.tokenFlags = tokenFlags
            self.persoVersions = persoVersions
        }

        /// Parses EF(TokenInfo) (optional zero fill).
        /// - Throws: ``EIDError`` for malformed DER or missing mandatory fields.
        public init(der bytes: [UInt8]) throws(EIDError) {
            var reader = DERReader(bytes)
            let sequence = try reader.read(tag: DER.Tag.sequence, "TokenInfo SEQUENCE")
            guard reader.remainderIsZero else { throw .invalidCardData("EF(TokenInfo): data after the SEQUENCE") }
            var children = sequence.children()
            version = try children.read(tag: DER.Tag.integer, "version").integerValue()
            serialNumber = try children.read(tag: DER.Tag.octetString, "serialNumber").content
            manufacturerID = try children.readIfPresent(tag: DER.Tag.utf8String)?.utf8Value()
            label = try children.readIfPresent(tag: 0x80)?.utf8Value()
            tokenFlags = try children.read(tag: DER.Tag.bitString, "tokenflags").bits()
            persoVersions = nil
            while !children.isAtEnd {
                let element = try children.read()
                if element.tag == 0x9E { persoVersions = element.content }
            }
        }

        /// The DER bytes.
        public func derBytes() -> [UInt8] {
            var parts = [DER.integer(version), DER.octetString(serialNumber)]
            if let manufacturerID { parts.append(DER.utf8String(manufacturerID)) }
            if let label { parts.append(DER.element(0x80, Array(label.utf8))) }
            parts.append(DER.bitString(tokenFlags))
            if let persoVersions { parts.append(DER.element(0x9E, persoVersions)) }
            return DER.element(DER.Tag.sequence, parts: parts)
        }
    }

    // MARK: - Common attributes

    /// CommonObjectAttributes shared by all PKCS#15 objects.
    public struct CommonObjectAttributes: Sendable, Hashable {
        /// Label (UTF8String).
        public var label: String?
        /// CommonObjectFlags bits (see ``PKCS15/ObjectFlag``); nil = not encoded.
        public var flags: Set<Int>?
        /// authId of the PIN protecting the object.
        public var authID: [UInt8]?
        /// userConsent (number of operations per PIN verification).
        public var userConsent: Int?

        /// Creates attributes.
        public init(label: String? = nil, flags: Set<Int>? = nil, authID: [UInt8]? = nil, userConsent: Int? = nil) {
            self.label = label
            self.flags = flags
            self.authID = authID
            self.userConsent = userConsent
        }

        func derBytes() -> [UInt8] {
            var parts: [[UInt8]] = []
            if let label { parts.append(DER.utf8String(label)) }
            if let flags { parts.append(DER.bitString(flags)) }
            if let authID { parts.append(DER.octetString(authID)) }
            if let userConsent { parts.append(DER.integer(userConsent)) }
            return DER.element(DER.Tag.sequence, parts: parts)
        }

        init(_ element: DERElement) throws(EIDError) {
            guard element.tag == DER.Tag.sequence else {
                throw .invalidTag("CommonObjectAttributes at offset \(element.offset) is not a SEQUENCE")
            }
            var children = element.children()
            while !children.isAtEnd {
                let child = try children.read()
                switch child.tag {
                case DER.Tag.utf8String: label = try child.utf8Value()
                case DER.Tag.bitString: flags = try child.bits()
                case DER.Tag.octetString: authID = child.content
                case DER.Tag.integer: userConsent = try child.integerValue()
                default: continue
                }
            }
        }
    }

    // MARK: - EF(AODF)

    /// A PIN authentication object of EF(AODF).
    public struct PINObject: Sendable, Hashable {
        /// Common attributes (label "Basic PIN", flags private + modifiable).
        public var common: CommonObjectAttributes
        /// The PIN's own identifier (CommonAuthenticationObjectAttributes.authId).
        public var authID: [UInt8]
        /// PinFlags bits (see ``PKCS15/PINFlag``).
        public var pinFlags: Set<Int>
        /// PinType (0 = bcd, 1 = ascii-numeric, …).
        public var pinType: Int
        /// Minimum PIN length.
        public var minLength: Int
        /// Stored length.
        public var storedLength: Int
        /// Maximum PIN length (absent on the card).
        public var maxLength: Int?
        /// PIN reference (`[0]`, default 0).
        public var pinReference: Int
        /// Pad character.
        public var padChar: UInt8?
        /// Path of the DF holding the PIN.
        public var path: [UInt8]?

        /// Creates a PIN object.
        public init(
            common: CommonObjectAttributes,
            authID: [UInt8],
            pinFlags: Set<Int>,
            pinType: Int,
            minLength: Int,
            storedLength: Int,
            maxLength: Int? = nil,
            pinReference: Int,
            padChar: UInt8? = nil,
            path: [UInt8]? = nil
        ) {
            self.common = common
            self.authID = authID
            self.pinFlags = pinFlags
            self.pinType = pinType
            self.minLength = minLength
            self.storedLength = storedLength
            self.maxLength = maxLength
            self.pinReference = pinReference
            self.padChar = padChar
            self.path = path
        }

        /// The card's "Basic PIN" object (53 bytes when encoded).
        public static let belpicBasicPIN = PINObject(
            common: CommonObjectAttributes(label: "Basic PIN", flags: [ObjectFlag.private, ObjectFlag.modifiable]),
            authID: [0x01],
            pinFlags: [PINFlag.initialized, PINFlag.needsPadding],
            pinType: 0,
            minLength: 4,
            storedLength: 8,
            pinReference: 1,
            padChar: 0xFF,
            path: [0x3F, 0x00]
        )

        /// The DER bytes of the object.
        public func derBytes() -> [UInt8] {
            var attributes = [
                DER.bitString(pinFlags), DER.enumerated(pinType), DER.integer(minLength), DER.integer(storedLength),
            ]
            if let maxLength { attributes.append(DER.integer(maxLength)) }
            if pinReference != 0 { attributes.append(DER.element(0x80, DER.integerContent(pinReference))) }
            if let padChar { attributes.append(DER.octetString([padChar])) }
            if let path { attributes.append(PKCS15.pathSequence(path)) }
            return DER.sequence(
                common.derBytes(),
                DER.sequence(DER.octetString(authID)),
                DER.element(0xA1, DER.element(DER.Tag.sequence, parts: attributes))
            )
        }

        init(_ element: DERElement) throws(EIDError) {
            guard element.tag == DER.Tag.sequence else {
                throw .invalidTag("EF(AODF): object at offset \(element.offset) is not a PIN object")
            }
            var children = element.children()
            common = try CommonObjectAttributes(try children.read())
            var authAttributes = try children.read(tag: DER.Tag.sequence, "CommonAuthenticationObjectAttributes")
                .children()
            authID = try authAttributes.read(tag: DER.Tag.octetString, "authId").content
            _ = try children.readIfPresent(tag: 0xA0)
            var typeAttributes = try children.read(tag: 0xA1, "[1] PinAttributes").children()
            var pin = try typeAttributes.read(tag: DER.Tag.sequence, "PinAttributes").children()
            pinFlags = try pin.read(tag: DER.Tag.bitString, "pinFlags").bits()
            pinType = try pin.read(tag: DER.Tag.enumerated, "pinType").integerValue()
            minLength = try pin.read(tag: DER.Tag.integer, "minLength").integerValue()
            storedLength = try pin.read(tag: DER.Tag.integer, "storedLength").integerValue()
            maxLength = try pin.readIfPresent(tag: DER.Tag.integer)?.integerValue()
            pinReference = try pin.readIfPresent(tag: 0x80)?.integerValue() ?? 0
            let pad = try pin.readIfPresent(tag: DER.Tag.octetString)
            if let pad {
                guard pad.content.count == 1 else {
                    throw .invalidLength("padChar at offset \(pad.offset) is not 1 byte")
                }
                padChar = pad.content[0]
            } else {
                padChar = nil
            }
            _ = try pin.readIfPresent(tag: 0x18)  // lastPinChange GeneralizedTime
            if pin.peekTag == DER.Tag.sequence {
                path = try PKCS15.readPath(&pin)
            } else {
                path = nil
            }
        }
    }

    /// Encodes EF(AODF).
    public static func encodeAODF(
        _ objects: [PINObject] = [.belpicBasicPIN],
        paddedTo: Int? = nil
    ) throws(EIDError) -> [UInt8] {
        try pad(objects.flatMap { $0.derBytes() }, to: paddedTo, "EF(AODF)")
    }

    /// Parses EF(AODF).
    /// - Throws: ``EIDError`` for malformed DER or non-PIN objects.
    public static func parseAODF(_ bytes: [UInt8]) throws(EIDError) -> [PINObject] {
        try objects(bytes, "EF(AODF)").map { (element) throws(EIDError) in try PINObject(element) }
    }

    // MARK: - EF(PrKDF)

    /// A private key object of EF(PrKDF).
    public struct PrivateKeyObject: Sendable, Hashable {
        /// RSA (`30 …`) or EC (`A0 …`, the `[0]` privateECKey choice).
        public enum KeyType: String, Sendable, Hashable, Codable {
            case rsa, ec
        }

        /// Key type (decides the outer tag).
        public var keyType: KeyType
        /// Common attributes (label, private flag, authId, userConsent).
        public var common: CommonObjectAttributes
        /// Key identifier (`02` authentication, `03` signature).
        public var id: [UInt8]
        /// KeyUsageFlags bits (see ``PKCS15/KeyUsage``).
        public var usage: Set<Int>
        /// `native` (absent on the card; DEFAULT TRUE).
        public var native: Bool?
        /// KeyAccessFlags bits (see ``PKCS15/KeyAccess``).
        public var accessFlags: Set<Int>?
        /// Key reference on the card (`0x82`, `0x83`).
        public var keyReference: Int?
        /// Path in the type attributes (`3F00DF00`).
        public var path: [UInt8]
        /// Modulus length in bits (RSA) or key size in bits (EC).
        public var keySize: Int?

        /// Creates a key object.
        public init(
            keyType: KeyType,
            common: CommonObjectAttributes,
            id: [UInt8],
            usage: Set<Int>,
            native: Bool? = nil,
            accessFlags: Set<Int>? = nil,
            keyReference: Int? = nil,
            path: [UInt8],
            keySize: Int?
        ) {
            self.keyType = keyType
            self.common = common
            self.id = id
            self.usage = usage
            self.native = native
            self.accessFlags = accessFlags
            self.keyReference = keyReference
            self.path = path
            self.keySize = keySize
        }

        private static let cardAccessFlags: Set<Int> = [
            KeyAccess.sensitive, KeyAccess.alwaysSensitive, KeyAccess.neverExtractable, KeyAccess.local,
        ]

        /// The authentication key entry (label "Authentication", id `02`, key `82`, usage sign).
        /// - Parameter keySize: 1024/2048 for RSA, 384 for EC.
        public static func belpicAuthentication(keyType: KeyType, keySize: Int) -> PrivateKeyObject {
            PrivateKeyObject(
                keyType: keyType,
                common: CommonObjectAttributes(label: "Authentication", flags: [ObjectFlag.private], authID: [0x01]),
                id: [0x02],
                usage: [KeyUsage.sign],
                accessFlags: cardAccessFlags,
                keyReference: 0x82,
                path: PKCS15.belpicPath,
                keySize: keySize
            )
        }

        /// The signature key entry (label "Signature", userConsent 1, id `03`, key `83`,
        /// usage nonRepudiation).
        public static func belpicSignature(keyType: KeyType, keySize: Int) -> PrivateKeyObject {
            PrivateKeyObject(
                keyType: keyType,
                common: CommonObjectAttributes(
                    label: "Signature",
                    flags: [ObjectFlag.private],
                    authID: [0x01],
                    userConsent: 1
                ),
                id: [0x03],
                usage: [KeyUsage.nonRepudiation],
                accessFlags: cardAccessFlags,
                keyReference: 0x83,
                path: PKCS15.belpicPath,
                keySize: keySize
            )
        }

        /// The DER bytes of the object.
        public func derBytes() -> [UInt8] {
            var keyAttributes = [DER.octetString(id), DER.bitString(usage)]
            if let native { keyAttributes.append(DER.boolean(native)) }
            if let accessFlags { keyAttributes.append(DER.bitString(accessFlags)) }
            if let keyReference { keyAttributes.append(DER.integer(keyReference)) }
            var typeAttributes = [PKCS15.pathSequence(path)]
            if let keySize { typeAttributes.append(DER.integer(keySize)) }
            return DER.element(
                keyType == .rsa ? DER.Tag.sequence : 0xA0,
                parts: [
                    common.derBytes(),
                    DER.element(DER.Tag.sequence, parts: keyAttributes),
                    DER.element(0xA1, DER.element(DER.Tag.sequence, parts: typeAttributes)),
                ]
            )
        }

        init(_ element: DERElement) throws(EIDError) {
            switch element.tag {
            case DER.Tag.sequence: keyType = .rsa
            case 0xA0: keyType = .ec
            default:
                throw .invalidTag(
                    "EF(PrKDF): key type tag \(Hex.byte(element.tag)) at offset \(element.offset) not supported"
                )
            }
            var children = element.children()
            common = try CommonObjectAttributes(try children.read())
            var key = try children.read(tag: DER.Tag.sequence, "CommonKeyAttributes").children()
            id = try key.read(tag: DER.Tag.octetString, "iD").content
            usage = try key.read(tag: DER.Tag.bitString, "usage").bits()
            native = try key.readIfPresent(tag: DER.Tag.boolean)?.booleanValue()
            accessFlags = try key.readIfPresent(tag: DER.Tag.bitString)?.bits()
            keyReference = try key.readIfPresent(tag: DER.Tag.integer)?.integerValue()
            _ = try children.readIfPresent(tag: 0xA0)  // subClassAttributes
            var typeWrapper = try children.read(tag: 0xA1, "[1] typeAttributes").children()
            var type = try typeWrapper.read(tag: DER.Tag.sequence, "key attributes").children()
            path = try PKCS15.readPath(&type)
            keySize = try type.readIfPresent(tag: DER.Tag.integer)?.integerValue()
        }
    }

    /// Encodes EF(PrKDF).
    public static func encodePrKDF(_ keys: [PrivateKeyObject], paddedTo: Int? = nil) throws(EIDError) -> [UInt8] {
        try pad(keys.flatMap { $0.derBytes() }, to: paddedTo, "EF(PrKDF)")
    }

    /// The card's PrKDF: the authentication key and, when `includeSignatureKey`, the
    /// signature key. RSA cards: `keySize` 1024 or 2048; EC cards: 384.
    public static func belpicPrKDF(keyType: PrivateKeyObject.KeyType, keySize: Int, includeSignatureKey: Bool = true)
        -> [UInt8]
    {
        var keys = [PrivateKeyObject.belpicAuthentication(keyType: keyType, keySize: keySize)]
        if includeSignatureKey { keys.append(.belpicSignature(keyType: keyType, keySize: keySize)) }
        return keys.flatMap { $0.derBytes() }
    }

    /// Parses EF(PrKDF).
    /// - Throws: ``EIDError`` for malformed DER or unsupported key types.
    public static func parsePrKDF(_ bytes: [UInt8]) throws(EIDError) -> [PrivateKeyObject] {
        try objects(bytes, "EF(PrKDF)").map { (element) throws(EIDError) in try PrivateKeyObject(element) }
    }

    // MARK: - EF(CDF)

    /// An X.509 certificate object of EF(CDF).
    public struct CertificateObject: Sendable, Hashable {
        /// Common attributes (label, authId `01`).
        public var common: CommonObjectAttributes
        /// Certificate identifier (`02`, `03`, `04`, `06`).
        public var id: [UInt8]
        /// `authority` (CA certificates); encoded only when true (DEFAULT FALSE).
        public var authority: Bool
        /// Path of the certificate file (`3F00DF005038` …).
        public var path: [UInt8]

        /// Creates a certificate object.
        public init(common: CommonObjectAttributes, id: [UInt8], authority: Bool = false, path: [UInt8]) {
            self.common = common
            self.id = id
            self.authority = authority
            self.path = path
        }

        private static func belpic(_ label: String, _ id: UInt8, _ file: UInt8, authority: Bool) -> CertificateObject {
            CertificateObject(
                common: CommonObjectAttributes(label: label, authID: [0x01]),
                id: [id],
                authority: authority,
                path: PKCS15.belpicPath + [0x50, file]
            )
        }

        /// "Authentication", id `02` → `5038`.
        public static let belpicAuthentication = belpic("Authentication", 0x02, 0x38, authority: false)
        /// "Signature", id `03` → `5039`.
        public static let belpicSignature = belpic("Signature", 0x03, 0x39, authority: false)
        /// "CA", id `04` → `503A`, authority.
        public static let belpicCA = belpic("CA", 0x04, 0x3A, authority: true)
        /// "Root", id `06` → `503B`, authority.
        public static let belpicRoot = belpic("Root", 0x06, 0x3B, authority: true)

        /// The DER bytes of the object.
        public func derBytes() -> [UInt8] {
            var certificateAttributes = [DER.octetString(id)]
            if authority { certificateAttributes.append(DER.boolean(true)) }
            return DER.sequence(
                common.derBytes(),
                DER.element(DER.Tag.sequence, parts: certificateAttributes),
                DER.element(0xA1, DER.sequence(PKCS15.pathSequence(path)))
            )
        }

        init(_ element: DERElement) throws(EIDError) {
            guard element.tag == DER.Tag.sequence else {
                throw .invalidTag(
                    "EF(CDF): certificate type tag \(Hex.byte(element.tag)) at offset \(element.offset) not supported"
                )
            }
            var children = element.children()
            common = try CommonObjectAttributes(try children.read())
            var attributes = try children.read(tag: DER.Tag.sequence, "CommonCertificateAttributes").children()
            id = try attributes.read(tag: DER.Tag.octetString, "iD").content
            authority = try attributes.readIfPresent(tag: DER.Tag.boolean)?.booleanValue() ?? false
            _ = try children.readIfPresent(tag: 0xA0)
            var typeWrapper = try children.read(tag: 0xA1, "[1] typeAttributes").children()
            var x509 = try typeWrapper.read(tag: DER.Tag.sequence, "X509CertificateAttributes").children()
            path = try PKCS15.readPath(&x509)
        }
    }

    /// Encodes EF(CDF) from certificate objects, zero-filled to `paddedTo` bytes.
    public static func encodeCDF(_ certificates: [CertificateObject], paddedTo: Int? = nil) throws(EIDError) -> [UInt8]
    {
        try pad(certificates.flatMap { $0.derBytes() }, to: paddedTo, "EF(CDF)")
    }

    /// The card's CDF with the entries of the certificates present, in card order, absent
    /// ones omitted and the tail zero-filled to `paddedTo`.
    /// - Throws: ``EIDError/Code/invalidLength`` when the entries do not fit.
    public static func belpicCDF(
        authentication: Bool = true,
        signature: Bool = true,
        ca: Bool = true,
        root: Bool = true,
        paddedTo: Int? = nil
    ) throws(EIDError) -> [UInt8] {
        var entries: [CertificateObject] = []
        if authentication { entries.append(.belpicAuthentication) }
        if signature { entries.append(.belpicSignature) }
        if ca { entries.append(.belpicCA) }
        if root { entries.append(.belpicRoot) }
        return try encodeCDF(entries, paddedTo: paddedTo)
    }

    /// Parses EF(CDF).
    /// - Throws: ``EIDError`` for malformed DER or non-X.509 certificate objects.
    public static func parseCDF(_ bytes: [UInt8]) throws(EIDError) -> [CertificateObject] {
        try objects(bytes, "EF(CDF)").map { (element) throws(EIDError) in try CertificateObject(element) }
    }

    // MARK: - Helpers

    /// `SEQUENCE { OCTET STRING path }`.
    static func pathSequence(_ path: [UInt8]) -> [UInt8] { DER.sequence(DER.octetString(path)) }

    /// Reads `Path ::= SEQUENCE { path OCTET STRING, index INTEGER OPTIONAL, length [0] OPTIONAL }`.
    static func readPath(_ reader: inout DERReader) throws(EIDError) -> [UInt8] {
        var path = try reader.read(tag: DER.Tag.sequence, "Path").children()
        return try path.read(tag: DER.Tag.octetString, "path OCTET STRING").content
    }

    /// The top-level objects of a directory file, stopping at zero fill.
    static func objects(_ bytes: [UInt8], _ file: String) throws(EIDError) -> [DERElement] {
        var reader = DERReader(bytes)
        var result: [DERElement] = []
        while !reader.isAtEnd {
            if reader.peekTag == 0x00 {
                guard reader.remainderIsZero else {
                    throw .invalidTag("\(file): zero byte followed by data at offset \(reader.position)")
                }
                break
            }
            result.append(try reader.read())
        }
        return result
    }

    static func pad(_ bytes: [UInt8], to size: Int?, _ file: String) throws(EIDError) -> [UInt8] {
        guard let size else { return bytes }
        guard bytes.count <= size else {
            throw .invalidLength("\(file) content of \(bytes.count) bytes does not fit in \(size) bytes")
        }
        return bytes + [UInt8](repeating: 0, count: size - bytes.count)
    }
}
