/// The 8-byte PIN block sent with VERIFY and CHANGE REFERENCE DATA (§5.2).
///
/// Nibbles: `2`, the PIN length `L` (4…12), the digits in BCD, then `F` fill — e.g. PIN
/// `1234` → `24 12 34 FF FF FF FF FF`. Errors never contain the PIN, and descriptions are
/// redacted. Buffers holding PIN digits are zeroed where practical; call ``wipe()`` when
/// the block is no longer needed.
package struct PINBlock: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Shortest accepted PIN.
    package static let minimumLength = 4
    /// Longest accepted PIN.
    package static let maximumLength = 12
    /// Size of a PIN block.
    package static let size = 8

    /// The block with no digits (`20 FF FF FF FF FF FF FF`), the template used in pin-pad
    /// VERIFY/MODIFY structures.
    package static let emptyTemplate: [UInt8] = [0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    /// The 8 block bytes.
    package private(set) var bytes: [UInt8]

    /// Builds a block from ASCII digits (`0x30`–`0x39`).
    /// - Parameter pin: 4–12 ASCII digits. The caller keeps ownership and should zero it.
    /// - Throws: ``EIDError/Code/invalidPIN`` for a wrong length or a non-digit.
    package init(pin: [UInt8]) throws(EIDError) {
        guard (PINBlock.minimumLength...PINBlock.maximumLength).contains(pin.count) else {
            throw .invalidPIN("PIN must have 4 to 12 digits, got \(pin.count)")
        }
        guard pin.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .invalidPIN("PIN must contain only the digits 0-9")
        }
        var block = [UInt8](repeating: 0xFF, count: PINBlock.size)
        block[0] = 0x20 | UInt8(pin.count)
        for (index, digit) in pin.enumerated() {
            let value = digit - 0x30
            let byteIndex = 1 + index / 2
            if index % 2 == 0 {
                block[byteIndex] = value << 4 | 0x0F
            } else {
                block[byteIndex] = (block[byteIndex] & 0xF0) | value
            }
        }
        bytes = block
    }

    /// Builds a block from a PIN string of ASCII digits.
    /// - Throws: ``EIDError/Code/invalidPIN``.
    package init(pin: String) throws(EIDError) {
        var digits = Array(pin.utf8)
        defer { PINBlock.zero(&digits) }
        try self.init(pin: digits)
    }

    /// Wraps an existing 8-byte block after checking its format (see ``digits(fromBlock:)``).
    /// - Throws: ``EIDError/Code/invalidPIN``.
    package init(block: [UInt8]) throws(EIDError) {
        var digits = try PINBlock.digits(fromBlock: block)
        PINBlock.zero(&digits)
        bytes = block
    }

    /// Decodes a presented PIN block into its ASCII digits (the virtual card's check).
    /// - Returns: 4–12 ASCII digits; zero them after use.
    /// - Throws: ``EIDError/Code/invalidPIN`` when the block is not 8 bytes, the first nibble
    ///   is not `2`, the length nibble is outside 4…12, a digit nibble is not BCD, or the fill
    ///   is not all `F` — the cases where a card answers `6A 80`.
    package static func digits(fromBlock block: [UInt8]) throws(EIDError) -> [UInt8] {
        guard block.count == size else { throw .invalidPIN("PIN block must be 8 bytes, got \(block.count)") }
        guard block[0] >> 4 == 0x2 else { throw .invalidPIN("PIN block does not start with nibble 2") }
        let length = Int(block[0] & 0x0F)
        guard (minimumLength...maximumLength).contains(length) else {
            throw .invalidPIN("PIN block length nibble \(length) outside 4…12")
        }
        var digits: [UInt8] = []
        digits.reserveCapacity(maximumLength)
        for index in 0..<(2 * (size - 1)) {
            let byte = block[1 + index / 2]
            let nibble = index % 2 == 0 ? byte >> 4 : byte & 0x0F
            if index < length {
                guard nibble <= 9 else {
                    zero(&digits)
                    throw .invalidPIN("PIN block holds a non-BCD digit nibble")
                }
                digits.append(0x30 + nibble)
            } else if nibble != 0x0F {
                zero(&digits)
                throw .invalidPIN("PIN block fill is not all F")
            }
        }
        return digits
    }

    /// Overwrites the block bytes with zeros.
    package mutating func wipe() { PINBlock.zero(&bytes) }

    /// Overwrites a buffer with zeros in place.
    package static func zero(_ buffer: inout [UInt8]) {
        buffer.withUnsafeMutableBufferPointer { pointer in
            for index in pointer.indices { pointer[index] = 0 }
        }
    }

    /// `PINBlock(<redacted>)`.
    package var description: String { "PINBlock(<redacted>)" }
    /// `PINBlock(<redacted>)`.
    package var debugDescription: String { description }
    /// A mirror without the block bytes.
    package var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
