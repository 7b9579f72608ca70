import Foundation

/// Hexadecimal text of bytes: the project's one encoder and decoder.
public enum Hex {
    private static let lower = Array("0123456789abcdef".utf8)
    private static let upper = Array("0123456789ABCDEF".utf8)

    /// Two hex digits per byte, without separators (lowercase unless `uppercase`).
    public static func encode<C: Collection>(_ bytes: C, uppercase: Bool = false) -> String where C.Element == UInt8 {
        let digits = uppercase ? upper : lower
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One byte as two uppercase hex digits ("0A"), for messages.
    public static func byte(_ byte: UInt8) -> String { encode(CollectionOfOne(byte), uppercase: true) }

    /// The bytes of an even-length hex text in either case; nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}

/// base64url without padding (RFC 4648 §5): the project's one encoder and decoder.
public enum Base64URL {
    /// Standard base64 with `+` and `/` mapped byte by byte and the padding dropped (Foundation's
    /// `replacingOccurrences` went through NSString three times a call: about 7% of the server's
    /// CPU in an OIDC flow, which encodes every code, token, hash and JWS part this way).
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let standard = Data(bytes).base64EncodedData()
        var out = [UInt8]()
        out.reserveCapacity(standard.count)
        for byte in standard where byte != 0x3D { out.append(byte == 0x2B ? 0x2D : byte == 0x2F ? 0x5F : byte) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a base64url text with or without padding; nil when it is not base64url.
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
                                        || $0 == 0x2D || $0 == 0x5F || $0 == 0x3D }) else { return nil }
        var standard = String(decoding: text.utf8.map { $0 == 0x2D ? 0x2B : $0 == 0x5F ? 0x2F : $0 }, as: UTF8.self)
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
