import CryptoCore
/// The address file `3F00/DF01/4033` (§3.5): a fixed-length, zero-padded TLV file.
///
/// `description`, `debugDescription` and `Mirror` output redact every address field.
public struct Address: Sendable, Equatable {
    /// Tag numbers of the address file.
    public enum Tag {
        public static let fileStructureVersion: UInt8 = 0x00
        public static let streetAndNumber: UInt8 = 0x01
        public static let zipCode: UInt8 = 0x02
        public static let municipality: UInt8 = 0x03
        /// Highest tag this type knows; higher tags go to ``Address/unknownTags``.
        public static let highestKnown: UInt8 = 0x03
    }

    /// The usual size of the address file on real cards.
    public static let standardFileSize = 121

    /// Tag `00`: file structure version, nil when absent.
    public var fileStructureVersion: [UInt8]?
    /// Tag `01`: street and number.
    public var streetAndNumber: String
    /// Tag `02`: ZIP code.
    public var zipCode: String
    /// Tag `03`: municipality.
    public var municipality: String
    /// Tags above `03`, with their raw values.
    public var unknownTags: [UInt8: [UInt8]]

    /// Creates an address from its fields.
    public init(
        streetAndNumber: String,
        zipCode: String,
        municipality: String,
        fileStructureVersion: [UInt8]? = nil,
        unknownTags: [UInt8: [UInt8]] = [:]
    ) {
        self.streetAndNumber = streetAndNumber
        self.zipCode = zipCode
        self.municipality = municipality
        self.fileStructureVersion = fileStructureVersion
        self.unknownTags = unknownTags
    }

    /// Parses the address file as read (zero padding allowed).
    /// - Throws: ``EIDError`` — TLV errors, `invalidCardData` when tag `01`, `02` or `03` is
    ///   missing, `invalidValue` for text that is not UTF-8.
    public init(tlv bytes: [UInt8]) throws(EIDError) {
        var fields = FieldSet(try EIDTLV.parse(bytes), file: "address")
        fileStructureVersion = fields.take(Tag.fileStructureVersion)?.value
        streetAndNumber = try fields.requiredText(Tag.streetAndNumber)
        zipCode = try fields.requiredText(Tag.zipCode)
        municipality = try fields.requiredText(Tag.municipality)
        unknownTags = fields.remaining()
    }

    /// Encodes the address file in ascending tag order.
    /// - Parameter paddedTo: total file size to zero-fill to (nil: no padding).
    /// - Throws: ``EIDError/Code/invalidLength`` when a value is 128 bytes or longer or the
    ///   content does not fit; ``EIDError/Code/invalidTag`` for a known tag in ``unknownTags``.
    public func tlvBytes(paddedTo: Int? = nil) throws(EIDError) -> [UInt8] {
        var elements: [EIDTLV.Element] = []
        if let fileStructureVersion {
            elements.append(EIDTLV.Element(tag: Tag.fileStructureVersion, value: fileStructureVersion))
        }
        elements.append(EIDTLV.Element(tag: Tag.streetAndNumber, value: Array(streetAndNumber.utf8)))
        elements.append(EIDTLV.Element(tag: Tag.zipCode, value: Array(zipCode.utf8)))
        elements.append(EIDTLV.Element(tag: Tag.municipality, value: Array(municipality.utf8)))
        for tag in unknownTags.keys.sorted() {
            guard tag > Tag.highestKnown else {
                throw .invalidTag("unknownTags contains known tag 0x\(Hex.byte(tag))")
            }
            elements.append(EIDTLV.Element(tag: tag, value: unknownTags[tag] ?? []))
        }
        return try EIDTLV.encode(elements, paddedTo: paddedTo)
    }
}

extension Address: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `Address(<redacted>)`.
    public var description: String { "Address(<redacted>)" }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror without address data.
    public var customMirror: Mirror { Mirror(self, children: ["address": "<redacted>" as Any], displayStyle: .struct) }
}

extension Address: Codable {
    private enum CodingKeys: String, CodingKey {
        case streetAndNumber, zipCode, municipality, fileStructureVersion, unknownTags
    }

    /// Decodes the form written by ``encode(to:)``.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        streetAndNumber = try c.decode(String.self, forKey: .streetAndNumber)
        zipCode = try c.decode(String.self, forKey: .zipCode)
        municipality = try c.decode(String.self, forKey: .municipality)
        if let text = try c.decodeIfPresent(String.self, forKey: .fileStructureVersion) {
            guard let bytes = Hex.decode(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .fileStructureVersion,
                    in: c,
                    debugDescription: "not hex"
                )
            }
            fileStructureVersion = bytes
        } else {
            fileStructureVersion = nil
        }
        var unknown: [UInt8: [UInt8]] = [:]
        for (key, value) in try c.decodeIfPresent([String: String].self, forKey: .unknownTags) ?? [:] {
            guard let tag = UInt8(key, radix: 16), let bytes = Hex.decode(value) else {
                throw DecodingError.dataCorruptedError(forKey: .unknownTags, in: c, debugDescription: "bad entry")
            }
            unknown[tag] = bytes
        }
        unknownTags = unknown
    }

    /// Encodes the three fields (and the optional version/unknown tags as hex).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(streetAndNumber, forKey: .streetAndNumber)
        try c.encode(zipCode, forKey: .zipCode)
        try c.encode(municipality, forKey: .municipality)
        try c.encodeIfPresent(fileStructureVersion.map { Hex.encode($0, uppercase: true) }, forKey: .fileStructureVersion)
        if !unknownTags.isEmpty {
            var map: [String: String] = [:]
            for (tag, value) in unknownTags { map[Hex.byte(tag)] = Hex.encode(value, uppercase: true) }
            try c.encode(map, forKey: .unknownTags)
        }
    }
}
