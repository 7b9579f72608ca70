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
