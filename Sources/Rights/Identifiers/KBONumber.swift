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
        var input = text.uppercased().replacingOccurrences(of: "(0)", with: "0")
        input = input.trimmingCharacters(in: .whitespaces)
        if input.hasPrefix("BE") { input.removeFirst(2) }
        var digits = ""
        for character in input {
            if character == " " || character == "." || character == "-" || character == "/" { continue }
            guard character.isASCII, character.isNumber else {
                throw RightsError(.kboInvalidFormat, "a KBO number has only digits, spaces, dots, dashes and slashes")
            }
            digits.append(character)
        }
        if digits.count == 9 { digits = "0" + digits }
        guard digits.count == 10 else { throw RightsError(.kboInvalidFormat, "a KBO number has 10 digits (or 9 for an old number)") }
        guard digits != "0000000000" else { throw RightsError(.kboInvalidFormat, "all zeros") }
        let first = digits.utf8.first! - 48
        let kind: Kind
        switch first {
        case 0, 1: kind = .enterprise
        case 2...8: kind = .establishment
        default: throw RightsError(.kboNotAnOfficialNumber, "numbers starting with 9 are KBO branch IDs, not official numbers")
        }
        guard KBONumber.checksumHolds(digits) else {
            throw RightsError(.kboInvalidChecksum, "the last two digits do not match 97 − (first 8 digits mod 97)")
        }
        self.digits = digits
        self.kind = kind
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

    static func checksumHolds(_ digits: String) -> Bool {
        let values = digits.utf8.map { Int($0 - 48) }
        let base = values[0..<8].reduce(0) { $0 * 10 + $1 }
        return 97 - base % 97 == values[8] * 10 + values[9]
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
