import Foundation

/// A calendar date in Europe/Brussels, as the rights screens show them (`Geldig van … tot …`).
/// Stored as ISO text `YYYY-MM-DD`, which sorts like the dates.
public struct LocalDate: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil when the fields do not form a real Gregorian date.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= LocalDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses `2019-04-12` (ISO), `12-04-2019` (KBO), `12.04.2019` (form) or `12/04/2019` (profile).
    public init?(_ text: String) {
        if let iso = LocalDate.fastISO(text) {
            self = iso
            return
        }
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "." || $0 == "/" }).map(String.init)
        guard parts.count == 3, let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]) else { return nil }
        if parts[0].count == 4 {
            guard let date = LocalDate(year: a, month: b, day: c) else { return nil }
            self = date
        } else if parts[2].count == 4 {
            guard let date = LocalDate(year: c, month: b, day: a) else { return nil }
            self = date
        } else {
            return nil
        }
    }

    /// `YYYY-MM-DD` (the stored form, parsed on every resolution) and `dd-mm-yyyy` (KBO
    /// Open Data, parsed per imported row), without allocating; nil for any other shape.
    private static func fastISO(_ text: String) -> LocalDate? {
        var text = text
        return text.withUTF8 { bytes -> LocalDate? in
            guard bytes.count == 10 else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    let digit = Int(bytes[index]) - 48
                    guard (0...9).contains(digit) else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            if bytes[4] == 0x2D, bytes[7] == 0x2D, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) {
                return LocalDate(year: year, month: month, day: day)
            }
            if bytes[2] == 0x2D, bytes[5] == 0x2D, let day = number(0..<2), let month = number(3..<5), let year = number(6..<10) {
                return LocalDate(year: year, month: month, day: day)
            }
            return nil
        }
    }

    /// The Europe/Brussels calendar day of an instant.
    public init(_ instant: Date) {
        let components = LocalDate.calendar.dateComponents([.year, .month, .day], from: instant)
        self.year = components.year!
        self.month = components.month!
        self.day = components.day!
    }

    /// Today in Europe/Brussels by the system clock (identifier parsing defaults only).
    public static func today() -> LocalDate { LocalDate(Date()) }

    static let brussels = TimeZone(identifier: "Europe/Brussels") ?? TimeZone(secondsFromGMT: 3600)!
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = brussels
        return calendar
    }()

    /// The first instant of this day in Europe/Brussels.
    public var startInstant: Date {
        LocalDate.calendar.date(from: DateComponents(year: year, month: month, day: day))!
    }

    public func adding(days: Int) -> LocalDate {
        LocalDate(LocalDate.calendar.date(byAdding: .day, value: days, to: startInstant.addingTimeInterval(3600 * 12))!)
    }

    /// `YYYY-MM-DD`.
    public var iso: String {
        var bytes = [UInt8](repeating: 0x30, count: 10)
        var y = year
        for index in (0..<4).reversed() { bytes[index] = UInt8(48 + y % 10); y /= 10 }
        bytes[4] = 0x2D
        bytes[5] = UInt8(48 + month / 10); bytes[6] = UInt8(48 + month % 10)
        bytes[7] = 0x2D
        bytes[8] = UInt8(48 + day / 10); bytes[9] = UInt8(48 + day % 10)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `dd/mm/yyyy` as Mijn Profiel shows it.
    public var display: String { String(format: "%02d/%02d/%04d", day, month, year) }

    public var description: String { iso }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }
}

/// A validity period of whole days, both ends inclusive (§6.2): valid on day D iff
/// `validFrom ≤ D ≤ validUntil`. As instants: `[validFrom 00:00, validUntil+1 00:00)` Brussels time.
/// The sources show "Geldig van 12/04/2019 tot 12/04/2029" without saying whether "tot" is
/// inclusive (spec §15, open question 3); the spec decides inclusive, and so does Sleutel,
/// everywhere: werkrelaties, rights, appointments, mandates, approvals and Hoedanigheden.
/// Days are evaluated against the one injected `RightsClock`.
/// `validUntil == nil` means open-ended; only KBO mandates, owner approvals and federal role
/// assignments may be open-ended (werkrelaties and rights need both dates, INV-6).
public struct Validity: Hashable, Sendable, Codable {
    public var validFrom: LocalDate
    public var validUntil: LocalDate?

    public init(from validFrom: LocalDate, until validUntil: LocalDate?) {
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    public func contains(_ day: LocalDate) -> Bool {
        validFrom <= day && (validUntil.map { day <= $0 } ?? true)
    }

    public func overlaps(_ other: Validity) -> Bool {
        (validUntil.map { other.validFrom <= $0 } ?? true) && (other.validUntil.map { validFrom <= $0 } ?? true)
    }
}

/// The one clock source of the Rights service. Each request reads it once, so evaluation and
/// audit use the same instant (E33).
public struct RightsClock: Sendable {
    private let source: @Sendable () -> Date

    public init(_ source: @escaping @Sendable () -> Date) { self.source = source }

    public func now() -> Date { source() }

    /// The system clock.
    public static let system = RightsClock { Date() }

    /// A clock stopped at one instant (tests).
    public static func fixed(_ instant: Date) -> RightsClock { RightsClock { instant } }
}
