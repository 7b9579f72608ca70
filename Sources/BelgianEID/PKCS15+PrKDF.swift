import CryptoCore

extension PKCS15 {
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
}
