/// An error from loading or running a virtual card.
///
/// Like `CryptoError`, it carries a stable ``Code`` plus a human reason. Reasons name files,
/// fields and keys but never secrets: the PIN is never part of a reason.
public struct VirtualCardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case missingFile, badJSON, badField, badPIN, keyMismatch, unsupported, crypto, connectFailed, io
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A file named by the profile (or the profile itself) does not exist or cannot be read.
        public static let missingFile = Code(.missingFile)
        /// The profile is not valid JSON or misses a required field.
        public static let badJSON = Code(.badJSON)
        /// A profile field has an invalid value (hex, length, applet, hash name, …).
        public static let badField = Code(.badField)
        /// The PIN or the PIN-tries value is not acceptable.
        public static let badPIN = Code(.badPIN)
        /// A key does not match its certificate, or has the wrong type for the applet.
        public static let keyMismatch = Code(.keyMismatch)
        /// A combination the emulator does not offer.
        public static let unsupported = Code(.unsupported)
        /// A key or certificate could not be decoded, or signing failed.
        public static let crypto = Code(.crypto)
        /// No vpcd (pcscd) accepted the connection before the deadline.
        public static let connectFailed = Code(.connectFailed)
        /// A socket call failed.
        public static let io = Code(.io)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let reason: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// Errors compare by code only, so tests can match against a freshly built error.
    public static func == (lhs: VirtualCardError, rhs: VirtualCardError) -> Bool { lhs.code == rhs.code }

    public var description: String { "VirtualCardError.\(code): \(reason) (\(file):\(line))" }
}
