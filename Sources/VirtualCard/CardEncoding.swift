import CryptoCore

// Small card-side encoders. VirtualCard deliberately does not depend on BelgianEID (the reader
// side), so that a bug in one cannot hide the same bug in the other.

/// Writes Belpic identity/address TLV files: 1-byte tag, 1-byte length (< 128), value.
struct TLVWriter {
    private(set) var bytes: [UInt8] = []

    mutating func append(_ tag: UInt8, _ value: [UInt8]) throws(VirtualCardError) {
        guard value.count < 128 else {
            throw VirtualCardError(.badField, "TLV tag \(hex(tag)) is \(value.count) bytes; the card format allows < 128")
        }
        bytes.append(tag)
        bytes.append(UInt8(value.count))
        bytes += value
    }

    mutating func append(_ tag: UInt8, _ text: String) throws(VirtualCardError) {
        try append(tag, Array(text.utf8))
    }
}

/// Minimal DER writer for the PKCS#15 files.
enum DERWriter {
    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    static func element(_ tag: UInt8, _ parts: [[UInt8]]) -> [UInt8] {
        element(tag, parts.flatMap { $0 })
    }

    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        if n <= 0xFF { return [0x81, UInt8(n)] }
        return [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
    }

    static func sequence(_ parts: [UInt8]...) -> [UInt8] { element(0x30, parts) }
    static func utf8(_ text: String) -> [UInt8] { element(0x0C, Array(text.utf8)) }
    static func octets(_ bytes: [UInt8]) -> [UInt8] { element(0x04, bytes) }
    static func integer(_ value: UInt8) -> [UInt8] { [0x02, 0x01, value] }
    static func path(_ bytes: [UInt8]) -> [UInt8] { sequence(octets(bytes)) }
}

/// ECDSA signature conversions.
enum ECDSASignature {
    /// DER `SEQUENCE { INTEGER r, INTEGER s }` → fixed-width `r ‖ s`; nil when malformed.
    static func raw(fromDER der: [UInt8], componentLength: Int) -> [UInt8]? {
        guard der.count >= 8, der[0] == 0x30 else { return nil }
        var index = 1
        guard let seqLen = readLength(der, &index), index + seqLen == der.count else { return nil }
        var out: [UInt8] = []
        for _ in 0..<2 {
            guard index < der.count, der[index] == 0x02 else { return nil }
            index += 1
            guard let len = readLength(der, &index), len > 0, index + len <= der.count else { return nil }
            var value = Array(der[index..<index + len])
            index += len
            while value.count > componentLength, value.first == 0 { value.removeFirst() }
            guard value.count <= componentLength else { return nil }
            out += [UInt8](repeating: 0, count: componentLength - value.count) + value
        }
        return index == der.count ? out : nil
    }

    private static func readLength(_ bytes: [UInt8], _ index: inout Int) -> Int? {
        guard index < bytes.count else { return nil }
        let first = Int(bytes[index])
        index += 1
        if first < 0x80 { return first }
        let n = first & 0x7F
        guard n >= 1, n <= 2, index + n <= bytes.count else { return nil }
        var len = 0
        for _ in 0..<n {
            len = len << 8 | Int(bytes[index])
            index += 1
        }
        return len
    }
}

/// The 8-byte "2N" PIN block (§5.2): `2`, length nibble 4…C, BCD digits, `F` fill.
enum PINBlockCodec {
    /// The PIN digits, or nil when the block is malformed.
    static func decode(_ block: ArraySlice<UInt8>) -> [UInt8]? {
        guard block.count == 8 else { return nil }
        let bytes = Array(block)
        guard bytes[0] >> 4 == 0x2 else { return nil }
        let length = Int(bytes[0] & 0x0F)
        guard (4...12).contains(length) else { return nil }
        var digits: [UInt8] = []
        for position in 0..<14 {
            let byte = bytes[1 + position / 2]
            let nibble = position % 2 == 0 ? byte >> 4 : byte & 0x0F
            if position < length {
                guard nibble <= 9 else { return nil }
                digits.append(nibble)
            } else {
                guard nibble == 0xF else { return nil }
            }
        }
        return digits
    }

    /// Digits of a PIN string, or nil when it is not 4–12 decimal digits.
    static func digits(of pin: String) -> [UInt8]? {
        let utf8 = Array(pin.utf8)
        guard (4...12).contains(utf8.count), utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return utf8.map { $0 - 0x30 }
    }
}

/// DigestInfo prefixes the card prepends for the hash-specific RSA algorithms.
enum DigestInfoPrefix {
    static let md5: [UInt8] = [0x30, 0x20, 0x30, 0x0C, 0x06, 0x08, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10]
    static let sha1: [UInt8] = [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14]
    static let sha256: [UInt8] = [
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
    ]
}

/// Hex text → bytes (whitespace allowed); nil when not hex.
func bytes(fromHex text: String) -> [UInt8]? {
    let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var high: UInt8?
    for scalar in digits {
        guard let value = UInt8(String(scalar), radix: 16) else { return nil }
        if let h = high {
            out.append(h << 4 | value)
            high = nil
        } else {
            high = value
        }
    }
    return out
}

func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { hex($0) }.joined() }
