import Foundation
import Testing
@testable import Rights

@Suite("CSV reader (RFC 4180)")
struct CSVReaderTests {
    func records(_ bytes: [UInt8]) throws -> [[String]] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try CSVReader(path: path)
        var out: [[String]] = []
        while let record = try reader.next() { out.append(record) }
        return out
    }

    @Test("a line break inside quotes is kept once (found reviewing the KBO CSV fuzz target)")
    func quotedLineBreak() throws {
        let text = "\"EntityNumber\",\"Denomination\"\n\"0441.928.931\",\"FN\nHERSTAL, \"\"NV\"\"\"\n"
        #expect(try records(Array(text.utf8)) == [["EntityNumber", "Denomination"], ["0441.928.931", "FN\nHERSTAL, \"NV\""]])
    }

    @Test("CRLF records, a byte order mark and an empty last field")
    func crlfAndBOM() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,\r\n".utf8)
        #expect(try records(bytes) == [["a", "b"], ["1", ""]])
    }

    @Test("an unterminated quote is a malformed row, not a hang")
    func unterminatedQuote() throws {
        #expect(throws: RightsError.self) { try records(Array("a\n\"open,\nstill open".utf8)) }
    }
}
