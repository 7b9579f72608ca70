import Foundation

/// A text with `{name}` placeholders (`{code}`, `{minutes}`, `{to}`, `{message}` …), filled in
/// one pass: a value that itself contains `{code}` is not expanded again. Braces that do not
/// enclose a placeholder name (`{"to": …}` in a JSON template) are kept as they are.
public struct MessageTemplate: Sendable, Equatable, Codable {
    /// The template text.
    public let text: String

    /// - Parameter text: the template, e.g. `Your code is {code}.`
    public init(_ text: String) {
        self.text = text
    }

    public init(from decoder: any Decoder) throws {
        text = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// The placeholder names used, in order of first use.
    public var placeholders: [String] {
        var names: [String] = []
        for piece in pieces() {
            if case .placeholder(let name) = piece, !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// Checks that every placeholder is one of `allowed`.
    /// - Throws: ``OneTimeCodesError`` `invalidInput` naming the unknown placeholder and `context`.
    public func validate(allowed: Set<String>, context: String) throws(OneTimeCodesError) {
        if let unknown = placeholders.first(where: { !allowed.contains($0) }) {
            throw OneTimeCodesError(
                .invalidInput,
                "\(context): unknown placeholder {\(unknown)}; known: \(allowed.sorted().map { "{\($0)}" }.joined(separator: " "))"
            )
        }
    }

    /// Fills in the placeholders; each value goes through `escape` first. Unknown names stay as written.
    public func render(_ values: [String: String], escape: (String) -> String = { $0 }) -> String {
        var out = ""
        for piece in pieces() {
            switch piece {
            case .literal(let text): out += text
            case .placeholder(let name): out += values[name].map(escape) ?? "{\(name)}"
            }
        }
        return out
    }

    private enum Piece {
        case literal(Substring)
        case placeholder(String)
    }

    /// Splits the text into literals and `{name}` placeholders (name: a letter, then letters, digits or `_`).
    private func pieces() -> [Piece] {
        var result: [Piece] = []
        var literalStart = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            guard text[i] == "{" else {
                i = text.index(after: i)
                continue
            }
            var j = text.index(after: i)
            var name = ""
            while j < text.endIndex, let a = text[j].asciiValue,
                  (a >= 0x61 && a <= 0x7A) || (a >= 0x41 && a <= 0x5A) || (!name.isEmpty && ((a >= 0x30 && a <= 0x39) || a == 0x5F)) {
                name.append(text[j])
                j = text.index(after: j)
            }
            if !name.isEmpty, j < text.endIndex, text[j] == "}" {
                if literalStart < i { result.append(.literal(text[literalStart..<i])) }
                result.append(.placeholder(name))
                i = text.index(after: j)
                literalStart = i
            } else {
                i = text.index(after: i)
            }
        }
        if literalStart < text.endIndex { result.append(.literal(text[literalStart...])) }
        return result
    }
}

/// How template values are escaped for the body's content type.
enum TemplateEscaping: Sendable {
    /// Inside a JSON string: quotes, backslashes and control characters escaped.
    case json
    /// `application/x-www-form-urlencoded`: percent-encoded, space as `+`.
    case form
    /// XML text or attribute: `& < > " '` as entities.
    case xml
    /// Taken as is (text/plain).
    case none

    /// The escaping for a Content-Type value, or nil when the type is not supported.
    init?(contentType: String) {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if media == "application/json" || media.hasSuffix("+json") {
            self = .json
        } else if media == "application/x-www-form-urlencoded" {
            self = .form
        } else if media == "application/xml" || media == "text/xml" || media.hasSuffix("+xml") {
            self = .xml
        } else if media == "text/plain" {
            self = .none
        } else {
            return nil
        }
    }

    func escape(_ value: String) -> String {
        switch self {
        case .json: return Self.jsonEscaped(value)
        case .form: return Self.percentEncoded(value, spaceAsPlus: true)
        case .xml: return Self.xmlEscaped(value)
        case .none: return value
        }
    }

    static func jsonEscaped(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: false)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Percent-encodes all but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`).
    static func percentEncoded(_ value: String, spaceAsPlus: Bool) -> String {
        let hex = Array("0123456789ABCDEF")
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E:
                out.append(Character(Unicode.Scalar(byte)))
            case 0x20 where spaceAsPlus:
                out.append("+")
            default:
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 0x0F)])"
            }
        }
        return out
    }

    static func xmlEscaped(_ value: String) -> String {
        var out = ""
        for ch in value {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }
}

/// Keeps the code, the destination and the message text out of an error reason.
func scrubbed(_ reason: String, removing secrets: [String]) -> String {
    var out = reason
    for secret in secrets where secret.count >= 3 {
        out = out.replacingOccurrences(of: secret, with: "…")
        let encoded = TemplateEscaping.percentEncoded(secret, spaceAsPlus: false)
        if encoded != secret { out = out.replacingOccurrences(of: encoded, with: "…") }
    }
    return out
}
