import CryptoCore
import Foundation

/// The hash of an HOTP/TOTP credential (RFC 6238 §1.2).
public enum OTPAlgorithm: String, Sendable, Codable, CaseIterable {
    case sha1 = "SHA1", sha256 = "SHA256", sha512 = "SHA512"

    var digest: DigestAlgorithm {
        switch self {
        case .sha1: .sha1
        case .sha256: .sha256
        case .sha512: .sha512
        }
    }
}

/// The shape of a TOTP credential: hash, digits (6 or 8) and period (30 or 60 s).
public struct TOTPParameters: Sendable, Equatable, Codable {
    public let algorithm: OTPAlgorithm
    public let digits: Int
    public let period: Int

    public init(algorithm: OTPAlgorithm = .sha1, digits: Int = 6, period: Int = 30) {
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// Throws `invalidInput` unless digits ∈ {6, 8} and period ∈ {30, 60}.
    public func validate() throws(OneTimeCodesError) {
        guard digits == 6 || digits == 8 else { throw OneTimeCodesError(.invalidInput, "digits must be 6 or 8") }
        guard period == 30 || period == 60 else { throw OneTimeCodesError(.invalidInput, "period must be 30 or 60") }
    }
}

/// HOTP (RFC 4226) and TOTP (RFC 6238) code generation.
public enum OTP {
    /// The HOTP value for `counter` (RFC 4226 §5.3: HMAC, dynamic truncation, modulo 10^digits).
    public static func hotp(secret: [UInt8], counter: UInt64, digits: Int, algorithm: OTPAlgorithm = .sha1) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { message[i] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(i))) }
        let mac = HMAC.mac(algorithm.digest, key: secret, data: message)
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: max(0, digits - value.count)) + value
    }

    /// The time step of `date` (RFC 6238 §4.2, T0 = 0).
    public static func timeStep(_ date: Date, period: Int) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down))
    }

    /// The TOTP value at `date`.
    public static func totp(secret: [UInt8], date: Date, parameters: TOTPParameters = .init()) -> String {
        hotp(secret: secret, counter: UInt64(max(0, timeStep(date, period: parameters.period))),
             digits: parameters.digits, algorithm: parameters.algorithm)
    }
}

/// Base32 without padding (RFC 4648 §6), the form authenticator apps take.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes, ignoring case, spaces and `=` padding; nil on other characters.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.utf8 where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "=") {
            // ASCII case folding only: `uppercased()` would turn "ı" into "I" and "ß" into "SS".
            let c = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte
            guard let index = alphabet.firstIndex(of: c) else { return nil }
            buffer = (buffer << 5) | UInt32(index)
            bits += 5
            if bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        return out
    }
}

/// An `otpauth://totp/…` key URI (the Google Authenticator key-URI format).
public struct OTPAuthURI: Sendable, Equatable {
    public let issuer: String
    public let account: String
    public let secret: [UInt8]
    public let parameters: TOTPParameters

    public init(issuer: String, account: String, secret: [UInt8], parameters: TOTPParameters) {
        self.issuer = issuer
        self.account = account
        self.secret = secret
        self.parameters = parameters
    }

    private static let unreserved = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }

    /// The URI text (without an issuer prefix and parameter when the issuer is empty).
    public var string: String {
        let label = issuer.isEmpty ? Self.escape(account) : "\(Self.escape(issuer)):\(Self.escape(account))"
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))"
            + (issuer.isEmpty ? "" : "&issuer=\(Self.escape(issuer))") + "&algorithm=\(parameters.algorithm.rawValue)"
            + "&digits=\(parameters.digits)&period=\(parameters.period)"
    }

    private static func text(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        CharacterSet.whitespaces.contains(scalar)
    }

    /// Parses a TOTP key URI. Throws `invalidInput` naming the part that is wrong (never the secret).
    public init(parsing text: String) throws(OneTimeCodesError) {
        guard let components = URLComponents(string: text) else { throw OneTimeCodesError(.invalidInput, "not a URI") }
        guard components.scheme?.lowercased() == "otpauth" else { throw OneTimeCodesError(.invalidInput, "scheme is not otpauth") }
        guard components.host?.lowercased() == "totp" else { throw OneTimeCodesError(.invalidInput, "type is not totp") }
        var label = components.path
        if label.hasPrefix("/") { label.removeFirst() }
        guard !label.isEmpty else { throw OneTimeCodesError(.invalidInput, "missing label") }
        // Key-URI format: "issuer:account" or "account"; neither part may contain a colon, and spaces
        // may follow the colon. Split and trim by Unicode scalar, not by Character: a combining mark
        // after the colon would otherwise fuse with it, and the rendered label would split differently.
        let parts = Array(label.unicodeScalars).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw OneTimeCodesError(.invalidInput, "the label has more than one colon") }
        let labelIssuer = parts.count == 2 ? Self.text(parts[0]) : nil
        let account = Self.text(parts[parts.count - 1].drop { Self.isSpace($0) }.reversed().drop { Self.isSpace($0) }.reversed())
        guard !account.isEmpty else { throw OneTimeCodesError(.invalidInput, "missing account name") }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard query[item.name.lowercased()] == nil else { throw OneTimeCodesError(.invalidInput, "duplicate parameter \(item.name)") }
            query[item.name.lowercased()] = item.value ?? ""
        }
        guard let secretText = query["secret"], !secretText.isEmpty else { throw OneTimeCodesError(.invalidInput, "missing secret") }
        guard let secret = Base32.decode(secretText), secret.count >= 10 else {
            throw OneTimeCodesError(.invalidInput, "secret is not base32 of at least 80 bits")
        }
        let issuer = query["issuer"] ?? labelIssuer ?? ""
        if let labelIssuer, let q = query["issuer"], q != labelIssuer {
            throw OneTimeCodesError(.invalidInput, "issuer in label and parameter differ")
        }
        guard !issuer.unicodeScalars.contains(":") else { throw OneTimeCodesError(.invalidInput, "the issuer contains a colon") }
        var algorithm = OTPAlgorithm.sha1
        if let a = query["algorithm"] {
            guard let parsed = OTPAlgorithm(rawValue: a.uppercased()) else { throw OneTimeCodesError(.invalidInput, "unknown algorithm") }
            algorithm = parsed
        }
        guard let digits = Int(query["digits"] ?? "6") else { throw OneTimeCodesError(.invalidInput, "digits is not a number") }
        guard let period = Int(query["period"] ?? "30") else { throw OneTimeCodesError(.invalidInput, "period is not a number") }
        let parameters = TOTPParameters(algorithm: algorithm, digits: digits, period: period)
        try parameters.validate()
        self.init(issuer: issuer, account: account, secret: secret, parameters: parameters)
    }
}
