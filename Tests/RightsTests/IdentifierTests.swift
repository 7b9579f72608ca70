import CryptoCore
import Foundation
import Testing
@testable import Rights

@Suite("Identifiers")
struct IdentifierTests {
    let today = LocalDate(year: 2026, month: 11, day: 22)!

    @Test("INSZ worked examples of spec §12.1", arguments: [
        ("93051822361", INSZ.Kind.rrn, 1993, 5 as Int?, 18 as Int?, INSZ.Sex.male),
        ("85.07.30-033.28", .rrn, 1985, 7, 30, .male),
        ("17 07 30 033 84", .rrn, 2017, 7, 30, .male),
        ("00.01.25-567.77", .rrn, 2000, 1, 25, .male),
        ("98.47.28-997.65", .bis(sexKnown: true), 1998, 7, 28, .male),
        ("75.26.08-980.52", .bis(sexKnown: false), 1975, 6, 8, .unknown),
        ("01 49 07 001 85", .bis(sexKnown: true), 2001, 9, 7, .male),
    ])
    func validINSZ(_ input: String, _ kind: INSZ.Kind, _ year: Int, _ month: Int?, _ day: Int?, _ sex: INSZ.Sex) throws {
        let insz = try INSZ(input, today: today)
        #expect(insz.kind == kind)
        #expect(insz.birthYear == year)
        #expect(insz.birthMonth == month)
        #expect(insz.birthDay == day)
        #expect(insz.sex == sex)
        #expect(insz.digits.count == 11)
    }

    @Test("INSZ with unknown dates is accepted (lenient)")
    func unknownDates() throws {
        let onlyYear = try INSZ("00000000128", origin: .certificate, today: today)
        #expect(onlyYear.birthYear == 2000)
        #expect(onlyYear.birthMonth == nil)
        let fictitious = try INSZ("00000100166", today: today)
        #expect(fictitious.birthYear == 1900)
        #expect(fictitious.birthDate == nil)
    }

    @Test("INSZ refusals name the rule, never the number", arguments: [
        ("85133000105", RightsError.Code.inszInvalidMonth),
        ("12345678901", .inszInvalidChecksum),
        ("1234567890", .inszInvalidFormat),
        ("00000000000", .inszInvalidFormat),
        ("8507300332a", .inszInvalidFormat),
    ])
    func invalidINSZ(_ input: String, _ code: RightsError.Code) {
        #expect {
            _ = try INSZ(input, today: today)
        } throws: { error in
            guard let error = error as? RightsError else { return false }
            return error.code == code && !error.description.contains(input) && !error.description.contains("850730")
        }
    }

    @Test("E27: a mistyped RRN is refused insz.invalidChecksum without the number in the message")
    func mistypedRRN() {
        #expect(throws: RightsError(.inszInvalidChecksum, "")) { _ = try INSZ("85.07.30-033.29", today: today) }
    }

    @Test("2000 rule only when 2000+YY is not in the future")
    func centuryRule() {
        // 2017 variant valid, but pretend today is 2010: the 2000 rule must not be tried.
        #expect(throws: RightsError(.inszInvalidChecksum, "")) {
            _ = try INSZ("17073003384", today: LocalDate(year: 2010, month: 1, day: 1)!)
        }
    }

    @Test("RRN counter 000/999 refused on manual entry only")
    func counter() throws {
        // 85073099901: compute a valid check for counter 999.
        let base = 850730999
        let check = 97 - base % 97
        let number = "\(base)" + String(String(100 + check).suffix(2))
        #expect(throws: RightsError(.inszInvalidCounter, "")) { _ = try INSZ(number, today: today) }
        #expect(try INSZ(number, origin: .certificate, today: today).birthYear == 1985)
    }

    @Test("Format and redacted description")
    func format() throws {
        let insz = try INSZ("85073003328", today: today)
        #expect(insz.formatted == "85.07.30-033.28")
        #expect(!"\(insz)".contains("850730"))
    }

    @Test("KBO numbers of spec §12.2", arguments: [
        ("0441.928.931", "0441928931", KBONumber.Kind.enterprise),
        ("BE 441.928.931", "0441928931", .enterprise),
        ("441928931", "0441928931", .enterprise),
        ("0566.988.259", "0566988259", .enterprise),
        ("BE 428759497", "0428759497", .enterprise),
        ("0314.595.348", "0314595348", .enterprise),
        ("2.000.000.339", "2000000339", .establishment),
        ("BE(0)441928931", "0441928931", .enterprise),
    ])
    func validKBO(_ input: String, _ digits: String, _ kind: KBONumber.Kind) throws {
        let number = try KBONumber(input)
        #expect(number.digits == digits)
        #expect(number.kind == kind)
    }

    @Test("KBO refusals", arguments: [
        ("BE431150351", RightsError.Code.kboInvalidChecksum),
        ("9.000.006.626", .kboNotAnOfficialNumber),
        ("12345", .kboInvalidFormat),
        ("0000000000", .kboInvalidFormat),
        ("04419289x1", .kboInvalidFormat),
    ])
    func invalidKBO(_ input: String, _ code: RightsError.Code) {
        #expect(throws: RightsError(code, "")) { _ = try KBONumber(input) }
    }

    /// The KBO number reading of the first version, on Foundation's Unicode upper-casing, replacing
    /// and trimming: the reference the byte readers must agree with.
    static func referenceKBODigits(_ text: String) -> String {
        var input = text.uppercased().replacingOccurrences(of: "(0)", with: "0")
        input = input.trimmingCharacters(in: .whitespaces)
        if input.hasPrefix("BE") { input.removeFirst(2) }
        var digits = ""
        for character in input {
            if character == " " || character == "." || character == "-" || character == "/" { continue }
            guard character.isASCII, character.isNumber else { return "error \(RightsError.Code.kboInvalidFormat)" }
            digits.append(character)
        }
        return digits.count == 9 ? "0" + digits : digits
    }

    @Test("KBO numbers: the byte readers agree with Foundation's Unicode reading on 40,000 generated texts")
    func kboReadersAgree() throws {
        func read(_ text: String) -> String {
            do {
                let bytes = Array(text.utf8)
                let digits = bytes.allSatisfy({ $0 < 0x80 }) ? try KBONumber.digits(ascii: bytes) : try KBONumber.digits(unicode: text)
                return String(decoding: digits, as: UTF8.self)
            } catch {
                return "error \(error.code)"
            }
        }
        let ascii = Array("0123456789 .-/()BEbexX\t0(0)")
        // No-break and ideographic spaces, a thin space, a line separator (not trimmed), ß (upper-cases
        // to SS), é, a combining acute, an Arabic-Indic one, a full-width zero.
        let unicode = ascii + Array("\u{00A0}\u{3000}\u{2009}\u{2028}ßé\u{0301}\u{0661}\u{FF10}")
        var random = SeededRandom(seed: 97)
        var texts = ["BE(0)441928931", " be 0441.928.931\t", "(0)(0)", "B", "BE", "(0", "\t\t", "be-441/928/931", "  E0441928931",
                     "\u{00A0}0441.928.931\u{3000}", "\u{00A0}BE(0)441928931", "0441928931\u{0301}", "\u{2028}0441928931"]
        for round in 0..<40_000 {
            let alphabet = round % 2 == 0 ? ascii : unicode
            let count = Int(random.next() % 18)
            texts.append(String((0..<count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }))
        }
        var disagreements: [String] = []
        for text in texts where read(text) != Self.referenceKBODigits(text) { disagreements.append(text) }
        #expect(disagreements.count == 0, "\(disagreements.prefix(5).map { Array($0.unicodeScalars) })")
        #expect(try KBONumber("\u{00A0}0441.928.931\u{00A0}").digits == "0441928931")
        #expect(throws: RightsError(.kboInvalidFormat, "")) { _ = try KBONumber("0441.928.93١") }
    }

    @Test("E30: branch ID as organisation is kbo.notAnOfficialNumber; establishment where enterprise needed is refused")
    func branchAndKind() {
        #expect(throws: RightsError(.kboNotAnOfficialNumber, "")) { _ = try KBONumber.enterprise("9.000.006.626") }
        #expect(throws: RightsError(.kboNotAnEnterprise, "")) { _ = try KBONumber.enterprise("2.000.000.339") }
        #expect(throws: RightsError(.kboNotAnEstablishment, "")) { _ = try KBONumber.establishment("0441928931") }
    }

    @Test("KBO display formats")
    func kboFormats() throws {
        #expect(try KBONumber("0441928931").formatted == "0441.928.931")
        #expect(try KBONumber("2000000339").formatted == "2.000.000.339")
        #expect(try KBONumber("0441928931").vat == "BE0441928931")
    }

    @Test("LocalDate parsing and inclusive validity")
    func dates() {
        #expect(LocalDate("12.04.2019") == LocalDate(year: 2019, month: 4, day: 12))
        #expect(LocalDate("12/04/2019") == LocalDate("2019-04-12"))
        #expect(LocalDate("31-02-2019") == nil)
        let validity = Validity(from: LocalDate("2019-04-12")!, until: LocalDate("2023-04-12")!)
        #expect(validity.contains(LocalDate("2023-04-12")!))
        #expect(!validity.contains(LocalDate("2023-04-13")!))
        #expect(LocalDate("2024-02-28")!.adding(days: 1) == LocalDate("2024-02-29"))
    }
}
