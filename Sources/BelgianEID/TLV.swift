import CryptoCore
/// The simple TLV coding of the eID identity (`4031`) and address (`4033`) files.
///
/// Each field is a 1-byte tag, a 1-byte length and the value. Parsing rules:
/// - Lengths of `0x80` and more are rejected with ``EIDError/Code/invalidLength``: the
///   documents and the middleware disagree on how longer lengths are coded and no field is
///   ever that long, so the parser does not guess.
/// - Tag `0x00` (file structure version) is accepted only as the very first field. Anywhere
///   else a `0x00` byte starts the zero padding: it ends the data when every remaining byte
///   is `00`, and is an ``EIDError/Code/invalidTag`` error otherwise.
/// - Trailing `00` padding is ignored (a file made only of zeros has no fields).
/// - Tags must be strictly ascending. An out-of-order or repeated tag is an
///   ``EIDError/Code/invalidTag`` error: real files are always ordered, and accepting a
///   second copy of a field would let two readers of the same signed file disagree.
/// - A value running past the end of the data is an ``EIDError/Code/truncatedTLV`` error
///   naming the tag and byte offset.
package enum EIDTLV {
    /// One field of a TLV file.
    package struct Element: Sendable, Hashable {
        /// The tag byte.
        package var tag: UInt8
        /// The value bytes (at most 127 bytes when encoded).
        package var value: [UInt8]
        /// Byte offset of the tag in the parsed buffer (0 for elements built in code).
        package var offset: Int

        /// Creates an element.
        package init(tag: UInt8, value: [UInt8], offset: Int = 0) {
            self.tag = tag
            self.value = value
            self.offset = offset
        }
    }

    /// The largest value length this coding produces or accepts.
    package static let maximumValueLength = 0x7F

    /// Parses a TLV file according to the rules above.
    /// - Parameter bytes: the file content as read from the card (padding allowed).
    /// - Returns: the fields in file order.
    /// - Throws: ``EIDError`` with code `truncatedTLV`, `invalidLength` or `invalidTag`.
    package static func parse(_ bytes: [UInt8]) throws(EIDError) -> [Element] {
        var elements: [Element] = []
        var index = 0
        var previousTag: Int = -1
        while index < bytes.count {
            let tag = bytes[index]
            if tag == 0x00 {
                let restIsZero = bytes[index...].allSatisfy { $0 == 0 }
                if restIsZero { break }
                guard index == 0 else {
                    throw .invalidTag("tag 0x00 at offset \(index) is neither the first field nor zero padding")
                }
            } else if Int(tag) <= previousTag {
                throw .invalidTag(
                    "tag 0x\(Hex.byte(tag)) at offset \(index) follows tag 0x\(Hex.byte(UInt8(previousTag))); tags must ascend"
                )
            }
            guard index + 1 < bytes.count else {
                throw .truncatedTLV("tag 0x\(Hex.byte(tag)) at offset \(index) has no length byte")
            }
            let length = Int(bytes[index + 1])
            guard length < 0x80 else {
                throw .invalidLength(
                    "tag 0x\(Hex.byte(tag)) at offset \(index) has length byte 0x\(Hex.byte(UInt8(length))) (≥ 0x80 is not supported)"
                )
            }
            let start = index + 2
            guard start + length <= bytes.count else {
                throw .truncatedTLV(
                    "tag 0x\(Hex.byte(tag)) at offset \(index) declares \(length) bytes, only \(bytes.count - start) remain"
                )
            }
            elements.append(Element(tag: tag, value: Array(bytes[start..<(start + length)]), offset: index))
            previousTag = Int(tag)
            index = start + length
        }
        return elements
    }

    /// Encodes fields in the given order with single-byte lengths.
    /// - Parameters:
    ///   - elements: the fields; each value must be shorter than 128 bytes.
    ///   - paddedTo: when given, the output is zero-filled to this many bytes.
    /// - Throws: ``EIDError/Code/invalidLength`` for a value of 128 bytes or more, or when the
    ///   content is longer than `paddedTo`.
    package static func encode(_ elements: [Element], paddedTo: Int? = nil) throws(EIDError) -> [UInt8] {
        var output: [UInt8] = []
        for element in elements {
            guard element.value.count <= maximumValueLength else {
                throw .invalidLength(
                    "tag 0x\(Hex.byte(element.tag)) value of \(element.value.count) bytes exceeds \(maximumValueLength)"
                )
            }
            output.append(element.tag)
            output.append(UInt8(element.value.count))
            output.append(contentsOf: element.value)
        }
        if let paddedTo {
            guard output.count <= paddedTo else {
                throw .invalidLength("TLV content of \(output.count) bytes does not fit in \(paddedTo) bytes")
            }
            output.append(contentsOf: [UInt8](repeating: 0, count: paddedTo - output.count))
        }
        return output
    }

    /// Removes trailing `00` bytes (the rule for the address file before signature checks).
    package static func trimmingTrailingZeros(_ bytes: [UInt8]) -> [UInt8] {
        var end = bytes.count
        while end > 0 && bytes[end - 1] == 0 { end -= 1 }
        return Array(bytes[..<end])
    }
}
