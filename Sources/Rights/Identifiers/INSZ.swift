import Foundation

/// A Belgian social security identification number: a national register number (RRN) or a BIS
/// number (spec §12.1). Stored as 11 canonical digits.
///
/// The description never shows the number (it is personal data protected by law); use
/// `digits` or `formatted` explicitly where the number must be shown to its owner.
public struct INSZ: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// RRN, or BIS with the sex known (+40) or unknown (+20) at attribution.
    public enum Kind: Hashable, Sendable {
        case rrn
        case bis(sexKnown: Bool)
    }

    public enum Sex: String, Sendable { case male, female, unknown }

    /// Where the number comes from. Numbers read from an eID certificate are never rejected on
    /// the counter or birth-date rules, only on format, checksum and month (§12.1 step 6).
    public enum Origin: Sendable { case manualEntry, certificate }

    /// The 11 canonical digits.
    public let digits: String
    public let kind: Kind
    /// Full birth year, decided by the check digits (19YY or 20YY).
    public let birthYear: Int
    /// 1–12, or nil when unknown (month field 00, 20 or 40).
    public let birthMonth: Int?
    /// Day of month when month and day form a real date, else nil.
    public let birthDay: Int?
    public let sex: Sex

    /// Parses and validates a number (§12.1 algorithm).
    /// - Parameters:
    ///   - text: 11 digits, optionally with spaces, dots and dashes (`85.07.30-033.28`).
    ///   - origin: manual entry applies the counter and future-birth-date rules.
    ///   - today: the current date, for the 2000 rule and the future check (default: today in
    ///     Brussels, looked up only when one of them needs it).
    /// - Throws: `RightsError` with an `insz.*` code; the reason never repeats the number.
    public init(_ text: String, origin: Origin = .manualEntry, today: LocalDate? = nil) throws(RightsError) {
        var digits = ""
        for character in text {
            if character == " " || character == "." || character == "-" { continue }
            guard character.isASCII, character.isNumber else {
                throw RightsError(.inszInvalidFormat, "a national register or BIS number has only digits, spaces, dots and dashes")
            }
            digits.append(character)
        }
        guard digits.count == 11 else {
            throw RightsError(.inszInvalidFormat, "a national register or BIS number has 11 digits, got \(digits.count)")
        }
        guard digits != "00000000000" else { throw RightsError(.inszInvalidFormat, "all zeros") }
        let values = digits.utf8.map { Int($0 - 48) }
        let base = values[0..<9].reduce(0) { $0 * 10 + $1 }
        let check = values[9] * 10 + values[10]
        let yy = values[0] * 10 + values[1]
        let century: Int
        if 97 - base % 97 == check {
            century = 1900
        } else if 2000 + yy <= (today ?? .today()).year, 97 - (2_000_000_000 + base) % 97 == check {
            century = 2000
        } else {
            throw RightsError(.inszInvalidChecksum, "the check digits do not match (neither the pre-2000 nor the 2000 rule)")
        }
        let monthField = values[2] * 10 + values[3]
        let kind: Kind
        switch monthField {
        case 0...12: kind = .rrn
        case 20...32: kind = .bis(sexKnown: false)
        case 40...52: kind = .bis(sexKnown: true)
        default: throw RightsError(.inszInvalidMonth, "month field must be 00–12 (RRN), 20–32 or 40–52 (BIS)")
        }
        let counter = values[6] * 100 + values[7] * 10 + values[8]
        if origin == .manualEntry, kind == .rrn, counter == 0 || counter == 999 {
            throw RightsError(.inszInvalidCounter, "the day counter of a national register number is 001–998")
        }
        let year = century + yy
        let month = monthField % 20
        let day = values[4] * 10 + values[5]
        self.digits = digits
        self.kind = kind
        self.birthYear = year
        self.birthMonth = month == 0 ? nil : month
        if month != 0, day != 0, let date = LocalDate(year: year, month: month, day: day) {
            self.birthDay = date.day
        } else {
            self.birthDay = nil  // lenient: an unknown or impossible date is not an error (§12.1 step 4)
        }
        switch kind {
        case .bis(sexKnown: false): sex = .unknown
        default: sex = counter % 2 == 1 ? .male : .female
        }
        if origin == .manualEntry {
            let earliest = LocalDate(year: year, month: birthMonth ?? 1, day: birthDay ?? 1) ?? LocalDate(year: year, month: 1, day: 1)!
            if earliest > today ?? .today() {
                throw RightsError(.inszBirthDateInFuture, "the birth date in the number lies in the future")
            }
        }
    }

    /// Display form `YY.MM.DD-SSS.CC`.
    public var formatted: String {
        let c = Array(digits)
        return "\(String(c[0..<2])).\(String(c[2..<4])).\(String(c[4..<6]))-\(String(c[6..<9])).\(String(c[9..<11]))"
    }

    /// The known birth date, when month and day are both known.
    public var birthDate: LocalDate? {
        guard let birthMonth, let birthDay else { return nil }
        return LocalDate(year: birthYear, month: birthMonth, day: birthDay)
    }

    public var isBIS: Bool { if case .bis = kind { true } else { false } }

    public var description: String { "INSZ(redacted)" }

    public static func < (lhs: INSZ, rhs: INSZ) -> Bool { lhs.digits < rhs.digits }
}
