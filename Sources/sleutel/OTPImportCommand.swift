import ArgumentParser
import CryptoCore
import Foundation
import OneTimeCodes

/// `sleutel otp import`: brings existing TOTP tokens over from another system.
struct OTPImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import TOTP tokens (CSV: person, serial, hex seed[, digits[, period[, algorithm]]]).",
        discussion: """
            One token a line; `#` starts a comment. The serial becomes the key's id (services may \
            validate by it, POST /v1/otp/validate). Imported keys are active at once and recorded as \
            enrolled at level 400: they never yield more than substantial. Nothing is imported when \
            any line is bad. Seeds are sealed with the key file `sleutel serve` uses.
            """
    )

    @Argument(help: "The CSV file.") var file: String
    @OptionGroup var options: OTPOptions

    func run() throws {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(file)")
        }
        let tokens = try Self.parse(text)
        if !FileManager.default.fileExists(atPath: options.keyFilePath) { try SecretKeyring.generateKey(path: options.keyFilePath) }
        let codes = try options.open()
        let count = try codes.importTOTP(tokens)
        Terminal.printLine("sleutel: imported \(count) TOTP token(s)")
    }

    /// Reads every line first, so a bad line imports nothing; errors name the line, never the seed.
    static func parse(_ text: String) throws -> [ImportedTOTP] {
        var tokens: [ImportedTOTP] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 3, fields.count <= 6, let seed = hex(fields[2]) else {
                throw ValidationError("line \(index + 1): expected person, serial, hex seed[, digits[, period[, algorithm]]]")
            }
            guard let digits = fields.count > 3 ? Int(fields[3]) : 6, let period = fields.count > 4 ? Int(fields[4]) : 30,
                  let algorithm = OTPAlgorithm(rawValue: fields.count > 5 ? fields[5].uppercased() : "SHA1") else {
                throw ValidationError("line \(index + 1): digits and period are numbers, algorithm SHA1, SHA256 or SHA512")
            }
            tokens.append(ImportedTOTP(person: fields[0], serial: fields[1], seed: seed,
                                parameters: TOTPParameters(algorithm: algorithm, digits: digits, period: period)))
        }
        return tokens
    }

    static func hex(_ text: String) -> [UInt8]? { text.isEmpty ? nil : Hex.decode(text) }
}

