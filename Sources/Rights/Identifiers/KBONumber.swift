import Foundation

/// An official KBO number (§12.2): an enterprise number (first digit 0 or 1) or an
/// establishment unit number (first digit 2–8), 10 digits with a mod-97 check.
/// Branch IDs (first digit 9) are refused: they are not official numbers.
public struct KBONumber: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public enum Kind: String, Sendable, Codable { case enterprise, establishment }

    /// The 10 canonical digits.
    public let digits: String
    public let kind: Kind

    /// Parses `0441.928.931`, `BE 441.928.931`, `441928931`, `BE0441928931`, `(0)441…`, `2.000.000.339`.
    /// - Throws: `RightsError` with a `kbo.*` code.
    public init(_ text: String) throws(RightsError) {
        // ASCII (every real input) is read byte by byte; other text first loses the Unicode
        // whitespace around it.
        let bytes = Array(text.utf8)
        let digits = bytes.allSatisfy({ $0 < 0x80 }) ? try Self.digits(ascii: bytes) : try Self.digits(unicode: text)
        guard digits.count == 10 else { throw RightsError(.kboInvalidFormat, "a KBO number has 10 digits (or 9 for an old number)") }
        guard digits != Array(repeating: 0x30, count: 10) else { throw RightsError(.kboInvalidFormat, "all zeros") }
        let kind: Kind
        switch digits[0] - 0x30 {
        case 0, 1: kind = .enterprise
        case 2...8: kind = .establishment
        default: throw RightsError(.kboNotAnOfficialNumber, "numbers starting with 9 are KBO branch IDs, not official numbers")
        }
        var base = 0
        for index in 0..<8 { base = base * 10 + Int(digits[index] - 0x30) }
        guard 97 - base % 97 == Int(digits[8] - 0x30) * 10 + Int(digits[9] - 0x30) else {
            throw RightsError(.kboInvalidChecksum, "the last two digits do not match 97 − (first 8 digits mod 97)")
        }
        self.digits = String(decoding: digits, as: UTF8.self)
        self.kind = kind
    }

    /// The digits of an ASCII KBO number: upper-cased, `(0)` read as `0`, spaces and tabs trimmed, a
    /// leading `BE` dropped, spaces, dots, dashes and slashes skipped, a 9-digit number given its
    /// leading `0`.
    static func digits(ascii bytes: [UInt8]) throws(RightsError) -> [UInt8] {
        var input: [UInt8] = []
        input.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x28, index + 2 < bytes.count, bytes[index + 1] == 0x30, bytes[index + 2] == 0x29 {  // "(0)"
                input.append(0x30)
                index += 3
                continue
            }
            input.append(byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte)
            index += 1
        }
        var start = 0, end = input.count
        while start < end, input[start] == 0x20 || input[start] == 0x09 { start += 1 }
        while end > start, input[end - 1] == 0x20 || input[end - 1] == 0x09 { end -= 1 }
        if end - start >= 2, input[start] == 0x42, input[start + 1] == 0x45 { start += 2 }  // "BE"
        var digits: [UInt8] = []
        for byte in input[start..<end] {
            if byte == 0x20 || byte == 0x2E || byte == 0x2D || byte == 0x2F { continue }
            guard byte >= 0x30, byte <= 0x39 else {
                throw RightsError(.kboInvalidFormat, "a KBO number has only digits, spaces, dots, dashes and slashes")
            }
            digits.append(byte)
        }
        return digits.count == 9 ? [0x30] + digits : digits
    }

    /// The digits of a KBO number text that is not all ASCII. Upper-casing turns nothing outside ASCII
    /// into a digit or an allowed separator, so the only non-ASCII characters a valid number can hold
    /// are the whitespace (`CharacterSet.whitespaces`, e.g. a no-break space) trimmed from its ends.
    static func digits(unicode text: String) throws(RightsError) -> [UInt8] {
        var scalars = text.unicodeScalars[...]
        while let first = scalars.first, CharacterSet.whitespaces.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, CharacterSet.whitespaces.contains(last) { scalars.removeLast() }
        guard scalars.allSatisfy(\.isASCII) else {
            throw RightsError(.kboInvalidFormat, "a KBO number has only digits, spaces, dots, dashes and slashes")
        }
        return try digits(ascii: scalars.map { UInt8(truncatingIfNeeded: $0.value) })
    }

    /// The KBO Open Data form (`0441.928.931`, `2.000.000.339` or 10 plain digits) checked
    /// byte by byte, for bulk imports; nil for anything else or anything invalid, so the caller
    /// falls back to `init(_:)`, which names the rule that failed.
    static func fastKBOForm(_ text: String) -> KBONumber? {
        var text = text
        return text.withUTF8 { bytes -> KBONumber? in
            guard bytes.count <= 13 else { return nil }
            var digits = [UInt8](repeating: 0, count: 10)
            var count = 0
            for byte in bytes {
                if byte == 0x2E { continue }
                guard byte >= 0x30, byte <= 0x39, count < 10 else { return nil }
                digits[count] = byte
                count += 1
            }
            guard count == 10, digits[0] <= 0x38 else { return nil }
            var base = 0
            for index in 0..<8 { base = base * 10 + Int(digits[index] - 0x30) }
            guard base != 0, 97 - base % 97 == Int(digits[8] - 0x30) * 10 + Int(digits[9] - 0x30) else { return nil }
            return KBONumber(trusted: String(decoding: digits, as: UTF8.self))
        }
    }

    /// Parses and requires an enterprise number.
    public static func enterprise(_ text: String) throws(RightsError) -> KBONumber {
        let number = try KBONumber(text)
        guard number.kind == .enterprise else {
            throw RightsError(.kboNotAnEnterprise, "an establishment unit number where an enterprise number is required")
        }
        return number
    }

    /// Parses and requires an establishment unit number.
    public static func establishment(_ text: String) throws(RightsError) -> KBONumber {
        let number = try KBONumber(text)
        guard number.kind == .establishment else {
            throw RightsError(.kboNotAnEstablishment, "an enterprise number where an establishment unit number is required")
        }
        return number
    }

    /// Fast path for trusted 10-digit canonical values read back from the database.
    init(trusted digits: String) {
        self.digits = digits
        self.kind = digits.first == "0" || digits.first == "1" ? .enterprise : .establishment
    }

    /// KBO display format: `0441.928.931` or `2.000.000.339`.
    public var formatted: String {
        let c = Array(digits)
        switch kind {
        case .enterprise: return "\(String(c[0..<4])).\(String(c[4..<7])).\(String(c[7..<10]))"
        case .establishment: return "\(c[0]).\(String(c[1..<4])).\(String(c[4..<7])).\(String(c[7..<10]))"
        }
    }

    /// VAT form `BE0441928931` (enterprises).
    public var vat: String { "BE" + digits }

    /// Organisation numbers are public data.
    public var description: String { formatted }

    public static func < (lhs: KBONumber, rhs: KBONumber) -> Bool { lhs.digits < rhs.digits }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try KBONumber(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }
}
