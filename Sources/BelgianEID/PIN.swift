/// A cardholder PIN (4–12 digits). Its digits are never printed.
public struct PIN: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The 8-byte block sent in VERIFY (spec §5.2).
    public let block: [UInt8]

    /// Validates `digits` (4–12 ASCII digits).
    /// - Throws: ``EIDError`` `.invalidPIN` naming the rule, never the PIN.
    public init(_ digits: String) throws {
        block = try PINBlock(pin: digits).bytes
    }

    public var description: String { "PIN(redacted)" }
    public var debugDescription: String { "PIN(redacted)" }
}
