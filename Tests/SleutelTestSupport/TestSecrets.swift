import Foundation
import OneTimeCodes

/// The secrets the tests use, appended to `$SLEUTEL_SECRETS_FILE` (Tools/test.sh sets it; one
/// `kind<TAB>value` line each) so that Tools/privacy-check.sh can look for every one of them in
/// the logs of the run. Nothing is written when the variable is unset.
public enum TestSecrets {
    public enum Kind: String, Sendable {
        case seedBase32 = "seed-base32", seedHex = "seed-hex", code, password, pin, nrn
    }

    private static let lock = NSLock()

    /// Appends one secret to the manifest.
    public static func record(_ kind: Kind, _ value: String) {
        guard let path = ProcessInfo.processInfo.environment["SLEUTEL_SECRETS_FILE"], !path.isEmpty, !value.isEmpty else { return }
        let line = Array("\(kind.rawValue)\t\(value)\n".utf8)
        lock.withLock {
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o600)
            guard fd >= 0 else { return }
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }

    /// Records a TOTP/HOTP seed in base32 and in hex.
    public static func seed(_ bytes: [UInt8]) {
        record(.seedBase32, Base32.encode(bytes))
        record(.seedHex, bytes.map { String(format: "%02x", $0) }.joined())
    }

    /// `OTP.totp`, recording the seed and the code.
    public static func totp(secret: [UInt8], date: Date, parameters: TOTPParameters = .init()) -> String {
        let code = OTP.totp(secret: secret, date: date, parameters: parameters)
        seed(secret)
        record(.code, code)
        return code
    }

    /// `OTP.hotp`, recording the seed and the code.
    public static func hotp(secret: [UInt8], counter: UInt64, digits: Int, algorithm: OTPAlgorithm = .sha1) -> String {
        let code = OTP.hotp(secret: secret, counter: counter, digits: digits, algorithm: algorithm)
        seed(secret)
        record(.code, code)
        return code
    }
}
