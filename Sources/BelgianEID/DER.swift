import CryptoCore
// A tiny DER writer and reader, enough for the PKCS#15 files of the eID card and for
// ECDSA signature conversion. Only low tag numbers (single-byte tags) and definite lengths
// up to 3 length bytes are supported; anything else is rejected with a typed error.

/// DER encoding helpers (internal).
enum DER {
    /// Universal tags used here.
    enum Tag {
        static let boolean: UInt8 = 0x01
        static let integer: UInt8 = 0x02
        static let bitString: UInt8 = 0x03
        static let octetString: UInt8 = 0x04
        static let null: UInt8 = 0x05
        static let objectIdentifier: UInt8 = 0x06
        static let enumerated: UInt8 = 0x0A
        static let utf8String: UInt8 = 0x0C
        static let sequence: UInt8 = 0x30
    }

    /// Context-specific tag `[n]`, constructed or primitive.
    static func context(_ number: UInt8, constructed: Bool) -> UInt8 {
        precondition(number < 31)
        return 0x80 | (constructed ? 0x20 : 0) | number
    }

    /// Encodes a definite length (short form below 128, long form otherwise).
    static func length(_ count: Int) -> [UInt8] {
        precondition(count >= 0)
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var value = count
        while value > 0 {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// `tag ‖ length ‖ content`.
    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    /// `tag ‖ length ‖ concatenation of parts`.
    static func element(_ tag: UInt8, parts: [[UInt8]]) -> [UInt8] {
        element(tag, parts.flatMap { $0 })
    }

    static func sequence(_ parts: [UInt8]...) -> [UInt8] { element(Tag.sequence, parts: parts) }

    static func octetString(_ bytes: [UInt8]) -> [UInt8] { element(Tag.octetString, bytes) }

    static func utf8String(_ text: String) -> [UInt8] { element(Tag.utf8String, Array(text.utf8)) }

    static func boolean(_ value: Bool) -> [UInt8] { [Tag.boolean, 0x01, value ? 0xFF : 0x00] }

    /// Minimal two's-complement content bytes of a non-negative integer.
    static func integerContent(_ value: Int) -> [UInt8] {
        precondition(value >= 0)
        var bytes: [UInt8] = []
        var rest = value
        repeat {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        } while rest > 0
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return bytes
    }

    /// INTEGER for a non-negative `value`.
    static func integer(_ value: Int) -> [UInt8] { element(Tag.integer, integerContent(value)) }

    /// INTEGER for an unsigned big-endian magnitude (leading zeros stripped, `00` added if needed).
    static func unsignedInteger(_ magnitude: [UInt8]) -> [UInt8] {
        var bytes = Array(magnitude.drop { $0 == 0 })
        if bytes.isEmpty { bytes = [0] }
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return element(Tag.integer, bytes)
    }

    /// ENUMERATED for a non-negative `value`.
    static func enumerated(_ value: Int) -> [UInt8] { element(Tag.enumerated, integerContent(value)) }

    /// Minimal BIT STRING for a set of named bits (bit 0 = most significant bit of the first byte).
    static func bitString(_ bits: Set<Int>) -> [UInt8] {
        guard let highest = bits.max() else { return [Tag.bitString, 0x01, 0x00] }
        precondition(bits.allSatisfy { $0 >= 0 })
        var content = [UInt8](repeating: 0, count: highest / 8 + 1)
        for bit in bits { content[bit / 8] |= 0x80 >> UInt8(bit % 8) }
        let unused = UInt8(7 - highest % 8)
        return element(Tag.bitString, [unused] + content)
    }
}

/// One decoded DER element.
struct DERElement {
    /// The identifier octet.
    let tag: UInt8
    /// The content octets.
    let content: [UInt8]
    /// Offset of the tag byte within the outermost buffer (for error messages).
    let offset: Int
    /// Offset of the first content byte within the outermost buffer.
    let contentOffset: Int
    /// Number of bytes of the whole element (tag, length and content).
    let encodedCount: Int

    var isConstructed: Bool { tag & 0x20 != 0 }

    /// A reader over the element's content (for constructed elements).
    func children() -> DERReader { DERReader(content, baseOffset: contentOffset) }

    private func expect(_ expected: UInt8, _ what: String) throws(EIDError) {
        guard tag == expected else {
            throw .invalidTag(
                "expected \(what) (tag \(Hex.byte(expected))), found tag \(Hex.byte(tag)) at offset \(offset)"
            )
        }
    }

    /// Reads a small non-negative INTEGER/ENUMERATED (or implicitly tagged integer) value.
    func integerValue() throws(EIDError) -> Int {
        guard !content.isEmpty else { throw .invalidValue("empty INTEGER at offset \(offset)") }
        if content.count > 1 {
            if content[0] == 0x00 && content[1] & 0x80 == 0 || content[0] == 0xFF && content[1] & 0x80 != 0 {
                throw .invalidValue("non-minimal INTEGER at offset \(offset)")
            }
        }
        guard content[0] & 0x80 == 0 else { throw .invalidValue("negative INTEGER at offset \(offset)") }
        guard content.count <= 7 else { throw .invalidValue("INTEGER too large at offset \(offset)") }
        return content.reduce(0) { $0 << 8 | Int($1) }
    }

    /// Reads a positive INTEGER and returns its magnitude without leading zero bytes.
    func unsignedMagnitude() throws(EIDError) -> [UInt8] {
        try expect(DER.Tag.integer, "INTEGER")
        guard !content.isEmpty else { throw .invalidValue("empty INTEGER at offset \(offset)") }
        if content.count > 1 && content[0] == 0x00 && content[1] & 0x80 == 0 {
            throw .invalidValue("non-minimal INTEGER at offset \(offset)")
        }
        if content.count > 1 && content[0] == 0xFF && content[1] & 0x80 != 0 {
            throw .invalidValue("non-minimal INTEGER at offset \(offset)")
        }
        guard content[0] & 0x80 == 0 else { throw .invalidValue("negative INTEGER at offset \(offset)") }
        return Array(content.drop { $0 == 0 })
    }

    /// Reads a BIT STRING as a set of named bit numbers.
    func bits() throws(EIDError) -> Set<Int> {
        guard let unused = content.first else { throw .invalidValue("empty BIT STRING at offset \(offset)") }
        guard unused <= 7, content.count > 1 || unused == 0 else {
            throw .invalidValue("bad unused-bit count in BIT STRING at offset \(offset)")
        }
        var result = Set<Int>()
        let bitCount = (content.count - 1) * 8 - Int(unused)
        for bit in 0..<max(bitCount, 0) where content[1 + bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            result.insert(bit)
        }
        return result
    }

    /// Reads a BOOLEAN.
    func booleanValue() throws(EIDError) -> Bool {
        try expect(DER.Tag.boolean, "BOOLEAN")
        guard content.count == 1 else { throw .invalidLength("BOOLEAN of \(content.count) bytes at offset \(offset)") }
        return content[0] != 0
    }

    /// Decodes the content as UTF-8 text.
    func utf8Value() throws(EIDError) -> String {
        guard let text = String(validating: content, as: UTF8.self) else {
            throw .invalidValue("invalid UTF-8 in element at offset \(offset)")
        }
        return text
    }
}

/// Sequential reader over DER elements.
struct DERReader {
    private let bytes: [UInt8]
    private let baseOffset: Int
    private(set) var position: Int = 0

    init(_ bytes: [UInt8], baseOffset: Int = 0) {
        self.bytes = bytes
        self.baseOffset = baseOffset
    }

    var isAtEnd: Bool { position >= bytes.count }

    /// The tag of the next element, if any.
    var peekTag: UInt8? { isAtEnd ? nil : bytes[position] }

    /// True when every remaining byte is `00` (zero padding).
    var remainderIsZero: Bool { bytes[min(position, bytes.count)...].allSatisfy { $0 == 0 } }

    /// Reads the next element.
    mutating func read() throws(EIDError) -> DERElement {
        let start = position
        let absolute = baseOffset + start
        guard start < bytes.count else { throw .truncatedTLV("DER element expected at offset \(absolute)") }
        let tag = bytes[start]
        guard tag & 0x1F != 0x1F else { throw .invalidTag("multi-byte DER tag at offset \(absolute)") }
        guard start + 1 < bytes.count else { throw .truncatedTLV("DER length missing at offset \(absolute + 1)") }
        let first = bytes[start + 1]
        var length: Int
        var headerCount = 2
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1 && count <= 3 else {
                throw .invalidLength("unsupported DER length form \(Hex.byte(first)) at offset \(absolute + 1)")
            }
            guard start + 2 + count <= bytes.count else {
                throw .truncatedTLV("DER length bytes run past the end at offset \(absolute + 1)")
            }
            length = 0
            for index in 0..<count { length = length << 8 | Int(bytes[start + 2 + index]) }
            let minimum = count == 1 ? 0x80 : 1 << (8 * (count - 1))
            guard length >= minimum else { throw .invalidLength("non-minimal DER length at offset \(absolute + 1)") }
            headerCount += count
        }
        let end = start + headerCount + length
        guard end <= bytes.count else {
            throw .truncatedTLV(
                "DER element at offset \(absolute) declares \(length) bytes, only \(bytes.count - start - headerCount) remain"
            )
        }
        position = end
        return DERElement(
            tag: tag,
            content: Array(bytes[(start + headerCount)..<end]),
            offset: absolute,
            contentOffset: absolute + headerCount,
            encodedCount: end - start
        )
    }

    /// Reads the next element and checks its tag.
    mutating func read(tag: UInt8, _ what: String) throws(EIDError) -> DERElement {
        if let next = peekTag, next != tag {
            throw .invalidTag(
                "expected \(what) (tag \(Hex.byte(tag))), found tag \(Hex.byte(next)) at offset \(baseOffset + position)"
            )
        }
        return try read()
    }

    /// Reads the next element only if it carries `tag`.
    mutating func readIfPresent(tag: UInt8) throws(EIDError) -> DERElement? {
        guard peekTag == tag else { return nil }
        return try read()
    }

    /// Fails unless the reader is at its end.
    func expectEnd(_ what: String) throws(EIDError) {
        guard isAtEnd else {
            throw .invalidCardData("unexpected data after \(what) at offset \(baseOffset + position)")
        }
    }
}
