import CryptoCore
import Foundation

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
