import Foundation
import OneTimeCodes
import SleutelTestSupport
import Testing

@Suite("QR codes (libqrencode)")
struct QRCodeTests {
    /// What zbarimg (an independent decoder) reads from a PNG.
    static func zbar(_ png: [UInt8]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, data) = try runTool("/usr/bin/zbarimg", ["--raw", "-q", file.path], quiet: true)
        #expect(status == 0)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    static let uri = OTPAuthURI(issuer: "Sleutel", account: "jan@gent.be", secret: Array(0..<32),
                                parameters: .init(algorithm: .sha256, digits: 8, period: 30)).string

    @Test("the PNG decodes to the URI with zbarimg; signature, IHDR size and quiet zone")
    func png() throws {
        let qr = try QRCode(encoding: Self.uri)
        let png = try qr.png(scale: 8, quietZone: 4)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(String(decoding: png[12..<16], as: UTF8.self) == "IHDR")
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == (qr.size + 8) * 8)
        #expect(Array(png[24..<26]) == [8, 0])  // 8-bit grayscale
        #expect(String(decoding: png.suffix(8).prefix(4), as: UTF8.self) == "IEND")
        #expect(try Self.zbar(png) == Self.uri)
        #expect(!qr.isDark(row: -1, column: 0) && qr.isDark(row: 0, column: 0))  // finder pattern corner
    }

    @Test("the terminal text holds the same modules, two rows per line, with the quiet zone")
    func terminal() throws {
        let qr = try QRCode(encoding: Self.uri)
        for dark in [true, false] {
            let lines = qr.terminalText(quietZone: 4, forDarkBackground: dark).split(separator: "\n").map { Array($0) }
            #expect(lines.count == (qr.size + 8 + 1) / 2)
            for (index, line) in lines.enumerated() {
                #expect(line.count == qr.size + 8)
                for (column, character) in line.enumerated() {
                    let top = character == "█" || character == "▀", bottom = character == "█" || character == "▄"
                    let row = 2 * index - 4
                    #expect(top == (qr.isDark(row: row, column: column - 4) != dark))
                    if row + 1 < qr.size + 4 { #expect(bottom == (qr.isDark(row: row + 1, column: column - 4) != dark)) }
                }
            }
        }
    }

    @Test("text too long for any version is a qrCode error")
    func tooLong() {
        expectOTP(.qrCode) { try QRCode(encoding: String(repeating: "x", count: 5000)) }
    }
}
