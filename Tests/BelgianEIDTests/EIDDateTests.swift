import CryptoCore
import Foundation
import Testing

@testable import BelgianEID

@Suite("EIDDate and BirthDate")
struct EIDDateTests {
    @Test("DD.MM.YYYY parsing and ISO output")
    func cardDate() throws {
        let date = try EIDDate(cardString: "30.04.2015")
        #expect(date.year == 2015 && date.month == 4 && date.day == 30)
        #expect(date.isoString == "2015-04-30")
        #expect(date.cardString == "30.04.2015")
        #expect(try EIDDate(cardString: "29.02.2024").isoString == "2024-02-29")
        #expect(try EIDDate(isoString: "2000-02-29") == EIDDate(year: 2000, month: 2, day: 29))
        #expect(try EIDDate(cardString: "01.01.2010") < EIDDate(cardString: "02.01.2010"))
    }

    @Test(
        "invalid calendar dates and malformed text are rejected",
        arguments: [
            "29.02.2023", "31.04.2015", "00.01.2015", "01.13.2015", "01.00.2015", "29.02.1900", "1.1.2015",
            "01-01-2015", "01.01.201", "01.01.20155", "aa.bb.cccc", "", "01.01.0000",
        ]
    )
    func invalidCardDates(_ text: String) {
        #expect(throws: EIDError.invalidDate("")) { try EIDDate(cardString: text) }
    }

    @Test("EIDDate encodes to JSON as ISO text")
    func dateCodable() throws {
        let date = try EIDDate(cardString: "15.06.2020")
        let data = try JSONEncoder().encode([date])
        #expect(String(decoding: data, as: UTF8.self) == "[\"2020-06-15\"]")
        #expect(try JSONDecoder().decode([EIDDate].self, from: data) == [date])
    }

    static let monthTable: [(String, String, String, Int)] = [
        ("JAN", "JAN", "JAN", 1), ("FEV", "FEB", "FEB", 2), ("MARS", "MAAR", "MÄR", 3), ("AVR", "APR", "APR", 4),
        ("MAI", "MEI", "MAI", 5), ("JUIN", "JUN", "JUN", 6), ("JUIL", "JUL", "JUL", 7), ("AOUT", "AUG", "AUG", 8),
        ("SEPT", "SEP", "SEP", 9), ("OCT", "OKT", "OKT", 10), ("NOV", "NOV", "NOV", 11), ("DEC", "DEC", "DEZ", 12),
    ]

    @Test("all month names of §3.3 in French, Dutch and German", arguments: monthTable)
    func monthNames(_ row: (String, String, String, Int)) throws {
        let (french, dutch, german, month) = row
        let iso = "1971-\(month < 10 ? "0" : "")\(month)-05"
        for text in ["05 \(french) 1971", "05 \(dutch) 1971", "05.\(german).1971", "05.\(german). 1971"] {
            let date = try BirthDate(cardString: text)
            #expect(date.isoString == iso, "\(text)")
            #expect(date.precision == .day)
            #expect(date.raw == text)
        }
    }

    @Test("German MÄR is recognised from its UTF-8 bytes")
    func marchBytes() throws {
        let bytes: [UInt8] = Array("12.".utf8) + [0x4D, 0xC3, 0x84, 0x52] + Array(".1980".utf8)
        let date = try BirthDate(cardBytes: bytes)
        #expect(date.isoString == "1980-03-12")
        #expect(date.cardBytes == bytes)
        // Decomposed A + combining diaeresis is canonically equal.
        #expect(try BirthDate(cardString: "12.MA\u{308}R.1980").month == 3)
    }

    @Test("partial birth dates keep their precision")
    func partialDates() throws {
        let yearOnly = try BirthDate(cardString: "1971")
        #expect(yearOnly.precision == .year)
        #expect(yearOnly.isoString == "1971")
        #expect(yearOnly.date == nil)

        let blanks = try BirthDate(cardString: "        1971")
        #expect(blanks.precision == .year && blanks.isoString == "1971")

        let blankDay = try BirthDate(cardString: "   JAN 1971")
        #expect(blankDay.precision == .month)
        #expect(blankDay.isoString == "1971-01")

        let zeroDay = try BirthDate(cardString: "00 FEB 1971")
        #expect(zeroDay.isoString == "1971-02")

        let blankGerman = try BirthDate(cardString: "  .DEZ.1971")
        #expect(blankGerman.isoString == "1971-12")

        let zeros = try BirthDate(cardString: "00 00 1971")
        #expect(zeros.precision == .year)

        let full = try BirthDate(cardString: "01 JAN 1971")
        #expect(full.isoString == "1971-01-01")
        #expect(full.date == (try EIDDate(year: 1971, month: 1, day: 1)))
    }

    @Test(
        "malformed birth dates are rejected",
        arguments: [
            "", "197", "01 JAN 19X1", "01 XYZ 1971", "32 JAN 1971", "30 FEB 1971", "01    1971", "001 JAN 1971",
            "ab JAN 1971", "01JAN1971", "29 FEB 1971",
        ]
    )
    func malformedBirthDates(_ text: String) {
        #expect(throws: EIDError.invalidDate("")) { try BirthDate(cardString: text) }
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() {
        #expect(throws: EIDError.invalidDate("")) {
            try BirthDate(cardBytes: [0x30, 0x31, 0xFF, 0x31, 0x39, 0x37, 0x31])
        }
    }

    @Test("encoder produces the Dutch form and round-trips")
    func encoder() throws {
        #expect(try BirthDate(year: 1971, month: 1, day: 1).raw == "01 JAN 1971")
        #expect(try BirthDate(year: 1985, month: 3, day: 30).raw == "30 MAAR 1985")
        #expect(try BirthDate(year: 1985, month: 3, day: 30, language: .german).raw == "30.MÄR.1985")
        #expect(try BirthDate(year: 1985, month: 8, day: 2, language: .french).raw == "02 AOUT 1985")
        #expect(try BirthDate(year: 1971).raw == "1971")
        for month in 1...12 {
            for language in BirthDate.Language.allCases {
                let built = try BirthDate(year: 2004, month: month, day: 28, language: language)
                let parsed = try BirthDate(cardString: built.raw)
                #expect(parsed == built)
                let monthOnly = try BirthDate(year: 2004, month: month, language: language)
                #expect(try BirthDate(cardString: monthOnly.raw).precision == .month)
            }
        }
        #expect(throws: EIDError.invalidDate("")) { try BirthDate(year: 1971, day: 3) }
        #expect(throws: EIDError.invalidDate("")) { try BirthDate(year: 1971, month: 2, day: 30) }
        #expect(throws: EIDError.invalidDate("")) { try BirthDate(year: 1971, month: 13) }
    }

    @Test("JSON carries raw, ISO and precision")
    func birthCodable() throws {
        let date = try BirthDate(cardString: "   JAN 1971")
        let data = try JSONEncoder().encode(date)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"iso\":\"1971-01\""))
        #expect(json.contains("\"precision\":\"month\""))
        #expect(try JSONDecoder().decode(BirthDate.self, from: data) == date)
    }

    @Test("random text never crashes the parsers")
    func fuzz() {
        var rng = SeededGenerator(seed: 0xDA7E)
        let alphabet = Array("0123456789 .JANFEBMÄRDEZ-x\u{0}")
        for _ in 0..<4000 {
            let text = String(
                (0..<Int.random(in: 0...14, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            )
            _ = try? BirthDate(cardString: text)
            _ = try? EIDDate(cardString: text)
            _ = try? BirthDate(cardBytes: rng.bytes(count: Int.random(in: 0...14, using: &rng)))
            _ = try? EIDDate(cardBytes: rng.bytes(count: 10))
        }
    }
}
