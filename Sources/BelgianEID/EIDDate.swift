/// A calendar date written on the card as `DD.MM.YYYY` digits (tags `03`, `04`, `15`, `1F`).
///
/// Encodes to JSON as an ISO 8601 string (`"2015-04-30"`).
public struct EIDDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Year (1…9999).
    public let year: Int
    /// Month (1…12).
    public let month: Int
    /// Day of month (1…28/29/30/31).
    public let day: Int

    /// Creates a date after checking that it exists in the Gregorian calendar.
    /// - Throws: ``EIDError/Code/invalidDate``.
    public init(year: Int, month: Int, day: Int) throws(EIDError) {
        guard (1...9999).contains(year) else { throw .invalidDate("year out of range") }
        guard (1...12).contains(month) else { throw .invalidDate("month out of range") }
        guard (1...EIDDate.daysIn(month: month, year: year)).contains(day) else {
            throw .invalidDate("day out of range for its month")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses the card form `DD.MM.YYYY` (exactly ten characters, digits and dots).
    /// - Throws: ``EIDError/Code/invalidDate``.
    public init(cardString: String) throws(EIDError) {
        try self.init(cardBytes: Array(cardString.utf8))
    }

    /// Parses the card form `DD.MM.YYYY` from raw bytes.
    /// - Throws: ``EIDError/Code/invalidDate``.
    public init(cardBytes bytes: [UInt8]) throws(EIDError) {
        guard bytes.count == 10, bytes[2] == UInt8(ascii: "."), bytes[5] == UInt8(ascii: ".") else {
            throw .invalidDate("expected DD.MM.YYYY (\(bytes.count) bytes given)")
        }
        guard let day = EIDDate.digits(bytes[0..<2]), let month = EIDDate.digits(bytes[3..<5]),
            let year = EIDDate.digits(bytes[6..<10])
        else { throw .invalidDate("expected digits in DD.MM.YYYY") }
        try self.init(year: year, month: month, day: day)
    }

    /// Parses ISO 8601 `YYYY-MM-DD`.
    /// - Throws: ``EIDError/Code/invalidDate``.
    public init(isoString: String) throws(EIDError) {
        let bytes = Array(isoString.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = EIDDate.digits(bytes[0..<4]), let month = EIDDate.digits(bytes[5..<7]),
            let day = EIDDate.digits(bytes[8..<10])
        else { throw .invalidDate("expected YYYY-MM-DD") }
        try self.init(year: year, month: month, day: day)
    }

    /// The card form `DD.MM.YYYY`.
    public var cardString: String { "\(EIDDate.pad(day, 2)).\(EIDDate.pad(month, 2)).\(EIDDate.pad(year, 4))" }

    /// ISO 8601 `YYYY-MM-DD`.
    public var isoString: String { "\(EIDDate.pad(year, 4))-\(EIDDate.pad(month, 2))-\(EIDDate.pad(day, 2))" }

    /// Same as ``isoString``.
    public var description: String { isoString }

    public static func < (lhs: EIDDate, rhs: EIDDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do throws(EIDError) {
            try self.init(isoString: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.reason))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(isoString)
    }

    // MARK: Helpers shared with BirthDate

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Decimal value of an all-digit ASCII slice, nil otherwise.
    static func digits<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8 {
        guard !bytes.isEmpty, bytes.count <= 9 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// The birth date of tag `0C`, written in the card's language (§3.3).
///
/// Accepted forms: `DD MMMM YYYY` (French/Dutch), `DD.MMM.YYYY` and `DD.MMM. YYYY`
/// (German), a year only (`YYYY`), and blank day and/or month (spaces or `00`) for
/// foreigners whose exact date is unknown. Month names are the French, Dutch and German
/// abbreviations of the card documents, including `MÄR`. The raw card text is kept so the
/// file can be re-encoded byte for byte.
public struct BirthDate: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How much of the date is known.
    public enum Precision: String, Sendable, Codable, Hashable {
        /// Day, month and year are known.
        case day
        /// Month and year are known.
        case month
        /// Only the year is known.
        case year
    }

    /// Languages of the month abbreviations.
    public enum Language: String, Sendable, Codable, Hashable, CaseIterable {
        case dutch, french, german
    }

    /// The text exactly as on the card.
    public let raw: String
    /// The year.
    public let year: Int
    /// The month (1…12), nil when unknown.
    public let month: Int?
    /// The day (1…31), nil when unknown.
    public let day: Int?

    /// How much of the date is known.
    public var precision: Precision {
        if day != nil { return .day }
        if month != nil { return .month }
        return .year
    }

    /// Month abbreviations per language, index 0 = January.
    public static func monthNames(_ language: Language) -> [String] {
        switch language {
        case .dutch: ["JAN", "FEB", "MAAR", "APR", "MEI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEC"]
        case .french: ["JAN", "FEV", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOUT", "SEPT", "OCT", "NOV", "DEC"]
        case .german: ["JAN", "FEB", "MÄR", "APR", "MAI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEZ"]
        }
    }

    /// All recognised month spellings (upper case) → month number.
    private static let monthTable: [String: Int] = {
        var table: [String: Int] = [:]
        for language in Language.allCases {
            for (index, name) in monthNames(language).enumerated() { table[name] = index + 1 }
        }
        // Harmless variants seen in the wild (accented French, German without umlaut).
        for (name, month) in [("FÉV", 2), ("MAR", 3), ("MRZ", 3), ("MAER", 3), ("AOÛT", 8), ("DÉC", 12)] {
            table[name] = month
        }
        return table
    }()

    /// Parses a birth date from card text.
    /// - Throws: ``EIDError/Code/invalidDate`` (the reason never repeats the date).
    public init(cardString raw: String) throws(EIDError) {
        let characters = Array(raw)
        guard characters.count >= 4 else { throw .invalidDate("birth date shorter than a year") }
        let yearText = String(characters.suffix(4))
        guard let year = EIDDate.digits(Array(yearText.utf8)), year >= 1 else {
            throw .invalidDate("birth date does not end with a 4-digit year")
        }
        let head = String(characters.dropLast(4))
        var day: Int?
        var month: Int?
        if !head.allSatisfy({ $0 == " " || $0 == "." }) {
            let separatorIndex = head.firstIndex(of: ".") ?? head.firstIndex(of: " ")
            guard let separatorIndex else { throw .invalidDate("birth date lacks a day/month separator") }
            let dayText = head[..<separatorIndex].trimmingSpaces()
            var monthText = head[head.index(after: separatorIndex)...].trimmingSpaces()
            if monthText.hasSuffix(".") { monthText.removeLast() }
            monthText = Substring(monthText).trimmingSpaces()
            if !(monthText.isEmpty || monthText == "00") {
                guard let number = BirthDate.monthTable[monthText.uppercased()] else {
                    throw .invalidDate("unknown month name in birth date")
                }
                month = number
            }
            if !(dayText.isEmpty || dayText == "00" || dayText == "0") {
                guard dayText.count <= 2, let number = EIDDate.digits(Array(dayText.utf8)) else {
                    throw .invalidDate("birth day is not a 1–2 digit number")
                }
                guard let month else { throw .invalidDate("birth day given without a month") }
                guard (1...EIDDate.daysIn(month: month, year: year)).contains(number) else {
                    throw .invalidDate("birth day out of range for its month")
                }
                day = number
            }
        }
        self.raw = raw
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses a birth date from the UTF-8 bytes of tag `0C`.
    /// - Throws: ``EIDError/Code/invalidDate``.
    public init(cardBytes: [UInt8]) throws(EIDError) {
        guard let text = String(validating: cardBytes, as: UTF8.self) else {
            throw .invalidDate("birth date is not valid UTF-8")
        }
        try self.init(cardString: text)
    }

    /// Builds a birth date and its card text in the given language (Dutch by default:
    /// `01 JAN 1971`; German: `01.JAN.1971`). A missing day gives `   JAN 1971`, a missing
    /// month gives just the year `1971`.
    /// - Throws: ``EIDError/Code/invalidDate`` for impossible dates or a day without month.
    public init(year: Int, month: Int? = nil, day: Int? = nil, language: Language = .dutch) throws(EIDError) {
        guard (1...9999).contains(year) else { throw .invalidDate("year out of range") }
        if let month, !(1...12).contains(month) { throw .invalidDate("month out of range") }
        if let day {
            guard let month else { throw .invalidDate("day given without a month") }
            guard (1...EIDDate.daysIn(month: month, year: year)).contains(day) else {
                throw .invalidDate("day out of range for its month")
            }
        }
        let yearText = EIDDate.pad(year, 4)
        let text: String
        if let month {
            let name = BirthDate.monthNames(language)[month - 1]
            let dayText = day.map { EIDDate.pad($0, 2) } ?? "  "
            switch language {
            case .german: text = "\(dayText).\(name).\(yearText)"
            case .dutch, .french: text = "\(dayText) \(name) \(yearText)"
            }
        } else {
            text = yearText
        }
        self.raw = text
        self.year = year
        self.month = month
        self.day = day
    }

    /// ISO 8601 with the known precision: `1971-01-01`, `1971-01` or `1971`.
    public var isoString: String {
        var text = EIDDate.pad(year, 4)
        if let month { text += "-" + EIDDate.pad(month, 2) }
        if let day { text += "-" + EIDDate.pad(day, 2) }
        return text
    }

    /// The full date when day and month are known.
    public var date: EIDDate? {
        guard let month, let day else { return nil }
        return try? EIDDate(year: year, month: month, day: day)
    }

    /// The card bytes (UTF-8 of ``raw``).
    public var cardBytes: [UInt8] { Array(raw.utf8) }

    /// Same as ``isoString``.
    public var description: String { isoString }

    private enum CodingKeys: String, CodingKey { case raw, iso, precision }

    /// Decodes from `{"raw": …}`; `iso` and `precision` are recomputed from `raw`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let raw = try container.decode(String.self, forKey: .raw)
        do throws(EIDError) {
            try self.init(cardString: raw)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .raw, in: container, debugDescription: error.reason)
        }
    }

    /// Encodes as `{"raw": "01 JAN 1971", "iso": "1971-01-01", "precision": "day"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(raw, forKey: .raw)
        try container.encode(isoString, forKey: .iso)
        try container.encode(precision, forKey: .precision)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var slice = self[...]
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
