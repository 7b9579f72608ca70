import CryptoCore
import Foundation

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
