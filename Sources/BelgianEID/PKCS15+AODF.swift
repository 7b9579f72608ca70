import CryptoCore

extension PKCS15 {
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
}
