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
