import CryptoCore
/// The identity file `3F00/DF01/4031` (§3.2), one typed field per tag.
///
/// Tags `01`–`11` are mandatory (present, possibly with an empty value, on every card).
/// Foreigner tags `12`–`1F` are optional: their properties are `nil` when the tag is absent
/// **or** present with an empty value; ``emptyTags`` records which of them were present
/// but empty so that ``tlvBytes()`` reproduces the file byte for byte. Unknown tags are kept
/// in ``unknownTags``.
///
/// `description`, `debugDescription` and `Mirror` output redact the national number, the
/// names, and the birth and delivery data. `Codable` output includes everything: whether to
/// emit the national number is the caller's decision.
public struct Identity: Sendable, Equatable {
    /// Tag numbers of the identity file.
    public enum Tag {
        public static let fileStructureVersion: UInt8 = 0x00
        public static let cardNumber: UInt8 = 0x01
        public static let chipNumber: UInt8 = 0x02
        public static let validityBegin: UInt8 = 0x03
        public static let validityEnd: UInt8 = 0x04
        public static let deliveryMunicipality: UInt8 = 0x05
        public static let nationalNumber: UInt8 = 0x06
        public static let surname: UInt8 = 0x07
        public static let givenNames: UInt8 = 0x08
        public static let thirdGivenNameInitial: UInt8 = 0x09
        public static let nationality: UInt8 = 0x0A
        public static let birthLocation: UInt8 = 0x0B
        public static let birthDate: UInt8 = 0x0C
        public static let sex: UInt8 = 0x0D
        public static let nobleCondition: UInt8 = 0x0E
        public static let documentType: UInt8 = 0x0F
        public static let specialStatus: UInt8 = 0x10
        public static let photoHash: UInt8 = 0x11
        public static let duplicate: UInt8 = 0x12
        public static let specialOrganisation: UInt8 = 0x13
        public static let memberOfFamily: UInt8 = 0x14
        public static let dateAndCountryOfProtection: UInt8 = 0x15
        public static let workPermitMention: UInt8 = 0x16
        public static let employerVAT1: UInt8 = 0x17
        public static let employerVAT2: UInt8 = 0x18
        public static let regionalFileNumber: UInt8 = 0x19
        public static let basicKeyHash: UInt8 = 0x1A
        public static let brexitMention1: UInt8 = 0x1B
        public static let brexitMention2: UInt8 = 0x1C
        public static let cardAMention1: UInt8 = 0x1D
        public static let cardAMention2: UInt8 = 0x1E
        public static let euCardStartDate: UInt8 = 0x1F

        /// Highest tag this type knows; higher tags go to ``Identity/unknownTags``.
        public static let highestKnown: UInt8 = 0x1F
    }

    /// Tag `00`: file structure version (2 bytes in the documents), nil when absent.
    public var fileStructureVersion: [UInt8]?
    /// Tag `01`: card number (12 digits for Belgians, 9–10 characters on foreigner cards).
    public var cardNumber: String
    /// Tag `02`: chip number (chip serial, normally 16 bytes).
    public var chipNumber: [UInt8]
    /// Tag `03`: card validity begin.
    public var validityBegin: EIDDate
    /// Tag `04`: card validity end.
    public var validityEnd: EIDDate
    /// Tag `05`: card delivery municipality.
    public var deliveryMunicipality: String
    /// Tag `06`: national register number (11 digits). Personal data: redacted in descriptions.
    public var nationalNumber: String
    /// Tag `07`: surname.
    public var surname: String
    /// Tag `08`: first two given names, space separated (may be empty).
    public var givenNames: String
    /// Tag `09`: first letter of the third given name (may be empty).
    public var thirdGivenNameInitial: String
    /// Tag `0A`: nationality, a word in the card language (not an ISO code).
    public var nationality: String
    /// Tag `0B`: birth location.
    public var birthLocation: String
    /// Tag `0C`: birth date.
    public var birthDate: BirthDate
    /// Tag `0D`: sex.
    public var sex: Sex
    /// Tag `0E`: noble condition (usually empty).
    public var nobleCondition: String
    /// Tag `0F`: document type.
    public var documentType: DocumentType
    /// Tag `10`: special status.
    public var specialStatus: SpecialStatus
    /// Tag `11`: hash of the photo file (20, 32 or 48 bytes).
    public var photoHash: [UInt8]
    /// Tag `12`: duplicate number (foreigner cards).
    public var duplicate: String?
    /// Tag `13`: special organisation (foreigner cards).
    public var specialOrganisation: SpecialOrganisation?
    /// Tag `14`: member of family (true when the tag is present).
    public var isMemberOfFamily: Bool
    /// Tag `15`: date and country of protection, `dd.MM.yyyy-CC`.
    public var dateAndCountryOfProtection: ProtectionMention?
    /// Tag `16`: work permit mention.
    public var workPermitMention: WorkPermitMention?
    /// Tag `17`: employer VAT number 1.
    public var employerVAT1: String?
    /// Tag `18`: employer VAT number 2.
    public var employerVAT2: String?
    /// Tag `19`: regional file number.
    public var regionalFileNumber: String?
    /// Tag `1A`: SHA-384 of the basic public key file `4040` (applet 1.8).
    public var basicKeyHash: [UInt8]?
    /// Tag `1B`: Brexit mention 1 (`B`).
    public var brexitMention1: String?
    /// Tag `1C`: Brexit mention 2 (`C`).
    public var brexitMention2: String?
    /// Tag `1D`: card A mention 1.
    public var cardAMention1: String?
    /// Tag `1E`: card A mention 2.
    public var cardAMention2: String?
    /// Tag `1F`: EU card start date.
    public var euCardStartDate: EIDDate?
    /// Optional tags (`12`–`1F`, except `14`) that are present with an empty value.
    public var emptyTags: Set<UInt8>
    /// Tags this type does not know (above `1F`), with their raw values.
    public var unknownTags: [UInt8: [UInt8]]

    /// Creates an identity from typed values (used by the virtual card and tests).
    public init(
        fileStructureVersion: [UInt8]? = nil,
        cardNumber: String,
        chipNumber: [UInt8],
        validityBegin: EIDDate,
        validityEnd: EIDDate,
        deliveryMunicipality: String,
        nationalNumber: String,
        surname: String,
        givenNames: String,
        thirdGivenNameInitial: String = "",
        nationality: String,
        birthLocation: String,
        birthDate: BirthDate,
        sex: Sex,
        nobleCondition: String = "",
        documentType: DocumentType,
        specialStatus: SpecialStatus = SpecialStatus(raw: "0"),
        photoHash: [UInt8],
        duplicate: String? = nil,
        specialOrganisation: SpecialOrganisation? = nil,
        isMemberOfFamily: Bool = false,
        dateAndCountryOfProtection: ProtectionMention? = nil,
        workPermitMention: WorkPermitMention? = nil,
        employerVAT1: String? = nil,
        employerVAT2: String? = nil,
        regionalFileNumber: String? = nil,
        basicKeyHash: [UInt8]? = nil,
        brexitMention1: String? = nil,
        brexitMention2: String? = nil,
        cardAMention1: String? = nil,
        cardAMention2: String? = nil,
        euCardStartDate: EIDDate? = nil,
        emptyTags: Set<UInt8> = [],
        unknownTags: [UInt8: [UInt8]] = [:]
    ) {
        self.fileStructureVersion = fileStructureVersion
        self.cardNumber = cardNumber
        self.chipNumber = chipNumber
        self.validityBegin = validityBegin
        self.validityEnd = validityEnd
        self.deliveryMunicipality = deliveryMunicipality
        self.nationalNumber = nationalNumber
        self.surname = surname
        self.givenNames = givenNames
        self.thirdGivenNameInitial = thirdGivenNameInitial
        self.nationality = nationality
        self.birthLocation = birthLocation
        self.birthDate = birthDate
        self.sex = sex
        self.nobleCondition = nobleCondition
        self.documentType = documentType
        self.specialStatus = specialStatus
        self.photoHash = photoHash
        self.duplicate = duplicate
        self.specialOrganisation = specialOrganisation
        self.isMemberOfFamily = isMemberOfFamily
        self.dateAndCountryOfProtection = dateAndCountryOfProtection
        self.workPermitMention = workPermitMention
        self.employerVAT1 = employerVAT1
        self.employerVAT2 = employerVAT2
        self.regionalFileNumber = regionalFileNumber
        self.basicKeyHash = basicKeyHash
        self.brexitMention1 = brexitMention1
        self.brexitMention2 = brexitMention2
        self.cardAMention1 = cardAMention1
        self.cardAMention2 = cardAMention2
        self.euCardStartDate = euCardStartDate
        self.emptyTags = emptyTags
        self.unknownTags = unknownTags
    }

    /// Parses the identity file as read from the card.
    /// - Parameter bytes: file content (normally exact size; trailing zero padding is ignored).
    /// - Throws: ``EIDError`` — `truncatedTLV`, `invalidLength`, `invalidTag` from the TLV
    ///   layer; `invalidCardData` when a mandatory tag is missing; `invalidValue`/`invalidDate`
    ///   for malformed fields. Reasons name tags and offsets, never values.
    public init(tlv bytes: [UInt8]) throws(EIDError) {
        var fields = FieldSet(try EIDTLV.parse(bytes), file: "identity")
        fileStructureVersion = fields.take(Tag.fileStructureVersion)?.value
        cardNumber = try fields.requiredText(Tag.cardNumber)
        chipNumber = try fields.required(Tag.chipNumber).value
        validityBegin = try fields.requiredDate(Tag.validityBegin)
        validityEnd = try fields.requiredDate(Tag.validityEnd)
        deliveryMunicipality = try fields.requiredText(Tag.deliveryMunicipality)
        let national = try fields.required(Tag.nationalNumber)
        guard national.value.count == 11, national.value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .invalidValue("tag 0x06 at offset \(national.offset) is not 11 ASCII digits")
        }
        nationalNumber = String(decoding: national.value, as: UTF8.self)
        surname = try fields.requiredText(Tag.surname)
        givenNames = try fields.requiredText(Tag.givenNames)
        thirdGivenNameInitial = try fields.requiredText(Tag.thirdGivenNameInitial)
        nationality = try fields.requiredText(Tag.nationality)
        birthLocation = try fields.requiredText(Tag.birthLocation)
        let birth = try fields.required(Tag.birthDate)
        do throws(EIDError) {
            birthDate = try BirthDate(cardBytes: birth.value)
        } catch {
            throw .invalidDate("tag 0x0C at offset \(birth.offset): \(error.reason)")
        }
        let sexField = try fields.required(Tag.sex)
        guard let sex = Sex(cardLetter: String(decoding: sexField.value, as: UTF8.self)) else {
            throw .invalidValue("tag 0x0D at offset \(sexField.offset) is not one of M, F, V, W")
        }
        self.sex = sex
        nobleCondition = try fields.requiredText(Tag.nobleCondition)
        let documentField = try fields.required(Tag.documentType)
        guard let documentType = DocumentType(raw: String(decoding: documentField.value, as: UTF8.self)) else {
            throw .invalidValue("tag 0x0F at offset \(documentField.offset) is not a 1–2 digit document type")
        }
        self.documentType = documentType
        specialStatus = SpecialStatus(raw: try fields.requiredText(Tag.specialStatus))
        photoHash = try fields.required(Tag.photoHash).value

        duplicate = try fields.optionalText(Tag.duplicate)
        specialOrganisation = try fields.optionalText(Tag.specialOrganisation).map(SpecialOrganisation.init(raw:))
        if let family = fields.take(Tag.memberOfFamily) {
            guard family.value.isEmpty else {
                throw .invalidLength("tag 0x14 at offset \(family.offset) is a flag and must be empty")
            }
            isMemberOfFamily = true
        } else {
            isMemberOfFamily = false
        }
        dateAndCountryOfProtection = try fields.optionalText(Tag.dateAndCountryOfProtection)
            .map(ProtectionMention.init(raw:))
        workPermitMention = try fields.optionalText(Tag.workPermitMention).map(WorkPermitMention.init(raw:))
        employerVAT1 = try fields.optionalText(Tag.employerVAT1)
        employerVAT2 = try fields.optionalText(Tag.employerVAT2)
        regionalFileNumber = try fields.optionalText(Tag.regionalFileNumber)
        basicKeyHash = fields.optionalBytes(Tag.basicKeyHash)
        brexitMention1 = try fields.optionalText(Tag.brexitMention1)
        brexitMention2 = try fields.optionalText(Tag.brexitMention2)
        cardAMention1 = try fields.optionalText(Tag.cardAMention1)
        cardAMention2 = try fields.optionalText(Tag.cardAMention2)
        euCardStartDate = try fields.optionalDate(Tag.euCardStartDate)
        emptyTags = fields.emptyTags
        unknownTags = fields.remaining()
    }

    /// Re-encodes the identity file in ascending tag order without padding.
    ///
    /// For a file parsed by ``init(tlv:)`` that had no padding the output is byte-identical.
    /// - Throws: ``EIDError/Code/invalidLength`` when a value is 128 bytes or longer;
    ///   ``EIDError/Code/invalidTag`` when ``unknownTags`` uses a known tag number.
    public func tlvBytes() throws(EIDError) -> [UInt8] {
        var elements: [EIDTLV.Element] = []
        func add(_ tag: UInt8, _ value: [UInt8]) { elements.append(EIDTLV.Element(tag: tag, value: value)) }
        func addOptional(_ tag: UInt8, _ value: [UInt8]?) {
            if let value, !value.isEmpty {
                add(tag, value)
            } else if emptyTags.contains(tag) {
                add(tag, [])
            }
        }
        if let fileStructureVersion { add(Tag.fileStructureVersion, fileStructureVersion) }
        add(Tag.cardNumber, Array(cardNumber.utf8))
        add(Tag.chipNumber, chipNumber)
        add(Tag.validityBegin, Array(validityBegin.cardString.utf8))
        add(Tag.validityEnd, Array(validityEnd.cardString.utf8))
        add(Tag.deliveryMunicipality, Array(deliveryMunicipality.utf8))
        add(Tag.nationalNumber, Array(nationalNumber.utf8))
        add(Tag.surname, Array(surname.utf8))
        add(Tag.givenNames, Array(givenNames.utf8))
        add(Tag.thirdGivenNameInitial, Array(thirdGivenNameInitial.utf8))
        add(Tag.nationality, Array(nationality.utf8))
        add(Tag.birthLocation, Array(birthLocation.utf8))
        add(Tag.birthDate, birthDate.cardBytes)
        add(Tag.sex, Array(sex.cardLetter.utf8))
        add(Tag.nobleCondition, Array(nobleCondition.utf8))
        add(Tag.documentType, Array(documentType.raw.utf8))
        add(Tag.specialStatus, Array(specialStatus.raw.utf8))
        add(Tag.photoHash, photoHash)
        addOptional(Tag.duplicate, duplicate.map { Array($0.utf8) })
        addOptional(Tag.specialOrganisation, specialOrganisation.map { Array($0.raw.utf8) })
        if isMemberOfFamily { add(Tag.memberOfFamily, []) }
        addOptional(Tag.dateAndCountryOfProtection, dateAndCountryOfProtection.map { Array($0.raw.utf8) })
        addOptional(Tag.workPermitMention, workPermitMention.map { Array($0.raw.utf8) })
        addOptional(Tag.employerVAT1, employerVAT1.map { Array($0.utf8) })
        addOptional(Tag.employerVAT2, employerVAT2.map { Array($0.utf8) })
        addOptional(Tag.regionalFileNumber, regionalFileNumber.map { Array($0.utf8) })
        addOptional(Tag.basicKeyHash, basicKeyHash)
        addOptional(Tag.brexitMention1, brexitMention1.map { Array($0.utf8) })
        addOptional(Tag.brexitMention2, brexitMention2.map { Array($0.utf8) })
        addOptional(Tag.cardAMention1, cardAMention1.map { Array($0.utf8) })
        addOptional(Tag.cardAMention2, cardAMention2.map { Array($0.utf8) })
        addOptional(Tag.euCardStartDate, euCardStartDate.map { Array($0.cardString.utf8) })
        for tag in unknownTags.keys.sorted() {
            guard tag > Tag.highestKnown else {
                throw .invalidTag("unknownTags contains known tag 0x\(Hex.byte(tag))")
            }
            add(tag, unknownTags[tag] ?? [])
        }
        return try EIDTLV.encode(elements)
    }

    /// The photo hash algorithm implied by the length of tag `11` (20 → SHA-1, 32 → SHA-256,
    /// 48 → SHA-384), nil for other lengths.
    public var photoHashAlgorithm: HashAlgorithm? {
        switch photoHash.count {
        case 20: .sha1
        case 32: .sha256
        case 48: .sha384
        default: nil
        }
    }

    /// Whether the national number's check digits are right (`97 − n mod 97`, with the
    /// `2` prefix for births from 2000 on). Test cards with impossible dates still pass.
    public var nationalNumberChecksumIsValid: Bool {
        let digits = Array(nationalNumber.utf8)
        guard digits.count == 11, let base = EIDDate.digits(digits[0..<9]),
            let check = EIDDate.digits(digits[9..<11])
        else { return false }
        return 97 - base % 97 == check || 97 - (2_000_000_000 + base) % 97 == check
    }
}

// MARK: - Redacted descriptions

extension Identity: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A summary without personal data (national number, names, birth and delivery data
    /// are redacted).
    public var description: String {
        "Identity(documentType: \(documentType), validity: \(validityBegin)…\(validityEnd), "
            + "nationalNumber: <redacted>, names: <redacted>, birth: <redacted>, "
            + "photoHash: \(photoHash.count) bytes, foreignerTags: \(foreignerTagCount), "
            + "unknownTags: \(unknownTags.count))"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror that hides personal fields from `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "documentType": documentType.description as Any,
                "validityBegin": validityBegin as Any,
                "validityEnd": validityEnd as Any,
                "nationalNumber": "<redacted>" as Any,
                "names": "<redacted>" as Any,
                "birth": "<redacted>" as Any,
            ],
            displayStyle: .struct
        )
    }

    private var foreignerTagCount: Int {
        let present: [Bool] = [
            duplicate != nil, specialOrganisation != nil, isMemberOfFamily, dateAndCountryOfProtection != nil,
            workPermitMention != nil, employerVAT1 != nil, employerVAT2 != nil, regionalFileNumber != nil,
            brexitMention1 != nil, brexitMention2 != nil, cardAMention1 != nil, cardAMention2 != nil,
            euCardStartDate != nil,
        ]
        return present.filter { $0 }.count + emptyTags.count
    }
}

// MARK: - Codable

extension Identity: Codable {
    private enum CodingKeys: String, CodingKey {
        case fileStructureVersion, cardNumber, chipNumber, validityBegin, validityEnd, deliveryMunicipality
        case nationalNumber, surname, givenNames, thirdGivenNameInitial, nationality, birthLocation, birthDate
        case sex, nobleCondition, documentType, specialStatus, photoHash, duplicate, specialOrganisation
        case isMemberOfFamily, dateAndCountryOfProtection, workPermitMention, employerVAT1, employerVAT2
        case regionalFileNumber, basicKeyHash, brexitMention1, brexitMention2, cardAMention1, cardAMention2
        case euCardStartDate, emptyTags, unknownTags
    }

    /// Decodes the JSON form written by ``encode(to:)`` (byte fields as upper-case hex).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func hex(_ key: CodingKeys) throws -> [UInt8] {
            let text = try c.decode(String.self, forKey: key)
            guard let bytes = Hex.decode(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not hex")
            }
            return bytes
        }
        func optionalHex(_ key: CodingKeys) throws -> [UInt8]? {
            try c.contains(key) && !c.decodeNil(forKey: key) ? hex(key) : nil
        }
        fileStructureVersion = try optionalHex(.fileStructureVersion)
        cardNumber = try c.decode(String.self, forKey: .cardNumber)
        chipNumber = try hex(.chipNumber)
        validityBegin = try c.decode(EIDDate.self, forKey: .validityBegin)
        validityEnd = try c.decode(EIDDate.self, forKey: .validityEnd)
        deliveryMunicipality = try c.decode(String.self, forKey: .deliveryMunicipality)
        nationalNumber = try c.decode(String.self, forKey: .nationalNumber)
        surname = try c.decode(String.self, forKey: .surname)
        givenNames = try c.decode(String.self, forKey: .givenNames)
        thirdGivenNameInitial = try c.decode(String.self, forKey: .thirdGivenNameInitial)
        nationality = try c.decode(String.self, forKey: .nationality)
        birthLocation = try c.decode(String.self, forKey: .birthLocation)
        birthDate = try c.decode(BirthDate.self, forKey: .birthDate)
        sex = try c.decode(Sex.self, forKey: .sex)
        nobleCondition = try c.decode(String.self, forKey: .nobleCondition)
        documentType = try c.decode(DocumentType.self, forKey: .documentType)
        specialStatus = try c.decode(SpecialStatus.self, forKey: .specialStatus)
        photoHash = try hex(.photoHash)
        duplicate = try c.decodeIfPresent(String.self, forKey: .duplicate)
        specialOrganisation = try c.decodeIfPresent(SpecialOrganisation.self, forKey: .specialOrganisation)
        isMemberOfFamily = try c.decodeIfPresent(Bool.self, forKey: .isMemberOfFamily) ?? false
        dateAndCountryOfProtection = try c.decodeIfPresent(ProtectionMention.self, forKey: .dateAndCountryOfProtection)
        workPermitMention = try c.decodeIfPresent(WorkPermitMention.self, forKey: .workPermitMention)
        employerVAT1 = try c.decodeIfPresent(String.self, forKey: .employerVAT1)
        employerVAT2 = try c.decodeIfPresent(String.self, forKey: .employerVAT2)
        regionalFileNumber = try c.decodeIfPresent(String.self, forKey: .regionalFileNumber)
        basicKeyHash = try optionalHex(.basicKeyHash)
        brexitMention1 = try c.decodeIfPresent(String.self, forKey: .brexitMention1)
        brexitMention2 = try c.decodeIfPresent(String.self, forKey: .brexitMention2)
        cardAMention1 = try c.decodeIfPresent(String.self, forKey: .cardAMention1)
        cardAMention2 = try c.decodeIfPresent(String.self, forKey: .cardAMention2)
        euCardStartDate = try c.decodeIfPresent(EIDDate.self, forKey: .euCardStartDate)
        emptyTags = Set(try c.decodeIfPresent([UInt8].self, forKey: .emptyTags) ?? [])
        var unknown: [UInt8: [UInt8]] = [:]
        for (key, value) in try c.decodeIfPresent([String: String].self, forKey: .unknownTags) ?? [:] {
            guard let tag = UInt8(key, radix: 16), let bytes = Hex.decode(value) else {
                throw DecodingError.dataCorruptedError(forKey: .unknownTags, in: c, debugDescription: "bad entry")
            }
            unknown[tag] = bytes
        }
        unknownTags = unknown
    }

    /// Encodes every field; byte fields become upper-case hex strings, dates ISO 8601,
    /// ``unknownTags`` a map from hex tag to hex value. Includes the national number.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(fileStructureVersion.map { Hex.encode($0, uppercase: true) }, forKey: .fileStructureVersion)
        try c.encode(cardNumber, forKey: .cardNumber)
        try c.encode(Hex.encode(chipNumber, uppercase: true), forKey: .chipNumber)
        try c.encode(validityBegin, forKey: .validityBegin)
        try c.encode(validityEnd, forKey: .validityEnd)
        try c.encode(deliveryMunicipality, forKey: .deliveryMunicipality)
        try c.encode(nationalNumber, forKey: .nationalNumber)
        try c.encode(surname, forKey: .surname)
        try c.encode(givenNames, forKey: .givenNames)
        try c.encode(thirdGivenNameInitial, forKey: .thirdGivenNameInitial)
        try c.encode(nationality, forKey: .nationality)
        try c.encode(birthLocation, forKey: .birthLocation)
        try c.encode(birthDate, forKey: .birthDate)
        try c.encode(sex, forKey: .sex)
        try c.encode(nobleCondition, forKey: .nobleCondition)
        try c.encode(documentType, forKey: .documentType)
        try c.encode(specialStatus, forKey: .specialStatus)
        try c.encode(Hex.encode(photoHash, uppercase: true), forKey: .photoHash)
        try c.encodeIfPresent(duplicate, forKey: .duplicate)
        try c.encodeIfPresent(specialOrganisation, forKey: .specialOrganisation)
        try c.encode(isMemberOfFamily, forKey: .isMemberOfFamily)
        try c.encodeIfPresent(dateAndCountryOfProtection, forKey: .dateAndCountryOfProtection)
        try c.encodeIfPresent(workPermitMention, forKey: .workPermitMention)
        try c.encodeIfPresent(employerVAT1, forKey: .employerVAT1)
        try c.encodeIfPresent(employerVAT2, forKey: .employerVAT2)
        try c.encodeIfPresent(regionalFileNumber, forKey: .regionalFileNumber)
        try c.encodeIfPresent(basicKeyHash.map { Hex.encode($0, uppercase: true) }, forKey: .basicKeyHash)
        try c.encodeIfPresent(brexitMention1, forKey: .brexitMention1)
        try c.encodeIfPresent(brexitMention2, forKey: .brexitMention2)
        try c.encodeIfPresent(cardAMention1, forKey: .cardAMention1)
        try c.encodeIfPresent(cardAMention2, forKey: .cardAMention2)
        try c.encodeIfPresent(euCardStartDate, forKey: .euCardStartDate)
        if !emptyTags.isEmpty { try c.encode(emptyTags.sorted(), forKey: .emptyTags) }
        if !unknownTags.isEmpty {
            var map: [String: String] = [:]
            for (tag, value) in unknownTags { map[Hex.byte(tag)] = Hex.encode(value, uppercase: true) }
            try c.encode(map, forKey: .unknownTags)
        }
    }
}

// MARK: - Field types

/// Tag `0D`: sex, with the letter written on the card kept (`M`; `F`, `V` or `W` for female).
public struct Sex: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The two values the card knows.
    public enum Kind: String, Sendable, Hashable, Codable {
        case male, female
    }

    /// Male or female.
    public let kind: Kind
    /// The letter on the card.
    public let cardLetter: String

    /// Male, written `M`.
    public static let male = Sex(kind: .male, cardLetter: "M")
    /// Female, written `F` (French/German cards also use `F`/`W`, Dutch cards `V`).
    public static let female = Sex(kind: .female, cardLetter: "F")

    private init(kind: Kind, cardLetter: String) {
        self.kind = kind
        self.cardLetter = cardLetter
    }

    /// Interprets a card letter; nil for anything but `M`, `F`, `V`, `W`.
    public init?(cardLetter: String) {
        switch cardLetter {
        case "M": self.init(kind: .male, cardLetter: "M")
        case "F", "V", "W": self.init(kind: .female, cardLetter: cardLetter)
        default: return nil
        }
    }

    /// `male` or `female`.
    public var description: String { kind.rawValue }

    private enum CodingKeys: String, CodingKey { case kind, cardLetter }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let letter = try c.decode(String.self, forKey: .cardLetter)
        guard let value = Sex(cardLetter: letter) else {
            throw DecodingError.dataCorruptedError(forKey: .cardLetter, in: c, debugDescription: "unknown letter")
        }
        self = value
    }
}

/// Tag `0F`: document type, 1 or 2 ASCII digits (§3.4).
public struct DocumentType: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The text on the card (e.g. `"1"`, `"11"`).
    public let raw: String
    /// The numeric code.
    public let code: Int

    /// Belgian eID card (`1`).
    public static let belgianEID = DocumentType(validCode: 1)
    /// Kids-ID (`6`).
    public static let kidsID = DocumentType(validCode: 6)

    private init(validCode code: Int) {
        self.code = code
        self.raw = String(code)
    }

    /// Interprets card text; nil unless it is 1–2 ASCII digits.
    public init?(raw: String) {
        let bytes = Array(raw.utf8)
        guard (1...2).contains(bytes.count), let code = EIDDate.digits(bytes) else { return nil }
        self.raw = raw
        self.code = code
    }

    /// Creates a document type from its code (written without leading zero).
    public init?(code: Int) {
        guard (0...99).contains(code) else { return nil }
        self.init(validCode: code)
    }

    /// The name from the code list of §3.4, nil for unknown codes.
    public var name: String? {
        switch code {
        case 1: "Belgian eID"
        case 6: "Kids-ID"
        case 7: "Bootstrap card"
        case 8: "Habilitation card"
        case 11: "Foreigner card A"
        case 12: "Foreigner card B"
        case 13: "Foreigner card C"
        case 14: "Foreigner card D"
        case 15: "Foreigner card E"
        case 16: "Foreigner card E+"
        case 17: "Foreigner card F"
        case 18: "Foreigner card F+"
        case 19: "Foreigner card H (EU blue card)"
        case 20: "Foreigner card I"
        case 21: "Foreigner card J"
        case 22: "Foreigner card M"
        case 23: "Foreigner card N"
        case 27: "Foreigner card K"
        case 28: "Foreigner card L"
        case 31: "Foreigner card EU"
        case 32: "Foreigner card EU+"
        case 33: "Foreigner card A (new layout)"
        case 34: "Foreigner card B (new layout)"
        case 35: "Foreigner card F (new layout)"
        case 36: "Foreigner card F+ (new layout)"
        case 61: "Kids foreigner card EU"
        case 62: "Kids foreigner card EU+"
        case 63: "Kids foreigner card A"
        case 64: "Kids foreigner card B"
        case 65: "Kids foreigner card K"
        case 66: "Kids foreigner card L"
        case 67: "Kids foreigner card F"
        case 68: "Kids foreigner card F+"
        case 69: "Kids foreigner card M"
        default: nil
        }
    }

    /// True for foreigner cards (codes 11 and above).
    public var isForeignerCard: Bool { code >= 11 }

    /// `code (name)`.
    public var description: String { name.map { "\(raw) (\($0))" } ?? raw }

    private enum CodingKeys: String, CodingKey { case raw, code, name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let value = DocumentType(raw: try c.decode(String.self, forKey: .raw)) else {
            throw DecodingError.dataCorruptedError(forKey: .raw, in: c, debugDescription: "not 1–2 digits")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(raw, forKey: .raw)
        try c.encode(code, forKey: .code)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// Tag `10`: special status (§3.4): `0` none, `1` white cane, `2` extended minority,
/// `3` both, `4` yellow cane, `5` yellow cane + extended minority.
public struct SpecialStatus: CardTextValue {
    /// The text on the card.
    public let raw: String

    /// Wraps card text (any text is kept; unknown values have a nil ``code``).
    public init(raw: String) { self.raw = raw }

    /// The numeric code, nil when the text is not a number.
    public var code: Int? { EIDDate.digits(Array(raw.utf8)) }
    /// White cane (codes 1 and 3).
    public var whiteCane: Bool { code == 1 || code == 3 }
    /// Yellow cane (codes 4 and 5).
    public var yellowCane: Bool { code == 4 || code == 5 }
    /// Extended minority (codes 2, 3 and 5).
    public var extendedMinority: Bool { code == 2 || code == 3 || code == 5 }

    /// The name of the code list entry.
    public var name: String? {
        switch code {
        case 0: "none"
        case 1: "white cane"
        case 2: "extended minority"
        case 3: "white cane + extended minority"
        case 4: "yellow cane"
        case 5: "yellow cane + extended minority"
        default: nil
        }
    }
}

/// Tag `13`: special organisation on foreigner cards.
public struct SpecialOrganisation: CardTextValue {
    /// The text on the card.
    public let raw: String

    /// Wraps card text.
    public init(raw: String) { self.raw = raw }

    /// `1` SHAPE, `2` NATO, `4` former European blue card, `5` researcher.
    public var name: String? {
        switch raw {
        case "1": "SHAPE"
        case "2": "NATO"
        case "4": "former European blue card holder"
        case "5": "researcher"
        default: nil
        }
    }
}

/// Tag `16`: work permit mention on foreigner cards.
public struct WorkPermitMention: CardTextValue {
    /// The text on the card.
    public let raw: String

    /// Wraps card text.
    public init(raw: String) { self.raw = raw }

    /// `7` unlimited, `8` limited, `9` none, `A` seasonal worker.
    public var name: String? {
        switch raw {
        case "7": "labour market: unlimited"
        case "8": "labour market: limited"
        case "9": "labour market: none"
        case "A": "seasonal worker"
        default: nil
        }
    }
}

/// Tag `15`: date and country of protection, `dd.MM.yyyy-CC`. The raw text is kept; the
/// parsed parts are nil when the text does not have that form.
public struct ProtectionMention: CardTextValue {
    /// The text on the card.
    public let raw: String

    /// Wraps card text.
    public init(raw: String) { self.raw = raw }

    /// Builds the card text from a date and an ISO 3166 alpha-2 country code.
    public init(date: EIDDate, countryCode: String) {
        raw = "\(date.cardString)-\(countryCode)"
    }

    /// The date part.
    public var date: EIDDate? {
        let bytes = Array(raw.utf8)
        guard bytes.count >= 11, bytes[10] == UInt8(ascii: "-") else { return nil }
        return try? EIDDate(cardBytes: Array(bytes[0..<10]))
    }

    /// The country part (ISO 3166 alpha-2).
    public var countryCode: String? {
        let bytes = Array(raw.utf8)
        guard bytes.count > 11, bytes[10] == UInt8(ascii: "-") else { return nil }
        return String(decoding: bytes[11...], as: UTF8.self)
    }

    /// No code list: the text is the value.
    public var name: String? { nil }
}

/// A value from a code list, kept as the text on the card and coded in JSON as that text.
public protocol CardTextValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The text on the card.
    var raw: String { get }
    /// Wraps card text.
    init(raw: String)
    /// The code list's name for the value, nil when unknown.
    var name: String? { get }
}

extension CardTextValue {
    /// `raw (name)`, or the raw text when the code is unknown.
    public var description: String { name.map { "\(raw) (\($0))" } ?? raw }

    public init(from decoder: any Decoder) throws {
        self.init(raw: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(raw)
    }
}

// MARK: - Internal helpers

/// Fields of a parsed TLV file, consumed tag by tag (shared by Identity and Address).
struct FieldSet {
    private var fields: [UInt8: EIDTLV.Element]
    private let file: String
    private(set) var emptyTags: Set<UInt8> = []

    init(_ elements: [EIDTLV.Element], file: String) {
        var map: [UInt8: EIDTLV.Element] = [:]
        for element in elements { map[element.tag] = element }
        fields = map
        self.file = file
    }

    mutating func take(_ tag: UInt8) -> EIDTLV.Element? { fields.removeValue(forKey: tag) }

    mutating func required(_ tag: UInt8) throws(EIDError) -> EIDTLV.Element {
        guard let element = take(tag) else {
            throw .invalidCardData("\(file) file lacks mandatory tag 0x\(Hex.byte(tag))")
        }
        return element
    }

    static func text(_ element: EIDTLV.Element) throws(EIDError) -> String {
        guard let text = String(validating: element.value, as: UTF8.self) else {
            throw .invalidValue("tag 0x\(Hex.byte(element.tag)) at offset \(element.offset) is not valid UTF-8")
        }
        return text
    }

    mutating func requiredText(_ tag: UInt8) throws(EIDError) -> String {
        try FieldSet.text(try required(tag))
    }

    mutating func requiredDate(_ tag: UInt8) throws(EIDError) -> EIDDate {
        let element = try required(tag)
        do throws(EIDError) {
            return try EIDDate(cardBytes: element.value)
        } catch {
            throw .invalidDate("tag 0x\(Hex.byte(tag)) at offset \(element.offset): \(error.reason)")
        }
    }

    /// Optional field: nil when absent; nil and recorded in `emptyTags` when empty.
    mutating func optionalBytes(_ tag: UInt8) -> [UInt8]? {
        guard let element = take(tag) else { return nil }
        if element.value.isEmpty {
            emptyTags.insert(tag)
            return nil
        }
        return element.value
    }

    mutating func optionalText(_ tag: UInt8) throws(EIDError) -> String? {
        guard let element = take(tag) else { return nil }
        if element.value.isEmpty {
            emptyTags.insert(tag)
            return nil
        }
        return try FieldSet.text(element)
    }

    mutating func optionalDate(_ tag: UInt8) throws(EIDError) -> EIDDate? {
        guard let element = take(tag) else { return nil }
        if element.value.isEmpty {
            emptyTags.insert(tag)
            return nil
        }
        do throws(EIDError) {
            return try EIDDate(cardBytes: element.value)
        } catch {
            throw .invalidDate("tag 0x\(Hex.byte(tag)) at offset \(element.offset): \(error.reason)")
        }
    }

    /// Everything not consumed yet.
    func remaining() -> [UInt8: [UInt8]] { fields.mapValues(\.value) }
}
