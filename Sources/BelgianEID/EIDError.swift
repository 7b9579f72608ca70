import CryptoCore
/// An error raised while talking to a Belgian eID card or decoding its data.
///
/// Errors compare equal when their ``code`` is equal, so tests can write
/// `#expect(throws: EIDError.truncatedTLV("")) { … }`. The ``reason`` never carries
/// personal data (national numbers, names, addresses) or PINs: it names tags and byte
/// offsets instead.
public struct EIDError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure. New codes may be added; do not `switch` exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case truncatedTLV, invalidLength, invalidTag, invalidValue, invalidDate
            case invalidCardData, invalidSignatureFormat, invalidPIN
            case statusWord, fileNotFound, pinIncorrect, pinBlocked, securityNotSatisfied
            case notBelgianEID, integrityFailed, transport, cancelled, timeout, unsupported
        }

        private let backing: Backing

        private init(_ backing: Backing) { self.backing = backing }

        /// A TLV or DER element runs past the end of its buffer.
        public static let truncatedTLV = Code(.truncatedTLV)
        /// A length field or a buffer length is out of range.
        public static let invalidLength = Code(.invalidLength)
        /// A tag is unexpected, out of order, or not allowed at its position.
        public static let invalidTag = Code(.invalidTag)
        /// A field value does not have the expected form.
        public static let invalidValue = Code(.invalidValue)
        /// A date field is not a valid date.
        public static let invalidDate = Code(.invalidDate)
        /// A card file or response is structurally wrong (missing mandatory data…).
        public static let invalidCardData = Code(.invalidCardData)
        /// An ECDSA/RSA signature or DigestInfo encoding is malformed.
        public static let invalidSignatureFormat = Code(.invalidSignatureFormat)
        /// A PIN or PIN block is malformed (the PIN itself is never reported).
        public static let invalidPIN = Code(.invalidPIN)
        /// The card answered with an unexpected status word.
        public static let statusWord = Code(.statusWord)
        /// The card reported that a file does not exist (`6A 82`).
        public static let fileNotFound = Code(.fileNotFound)
        /// The PIN was wrong (`63 Cx`); see ``EIDError/triesLeft``.
        public static let pinIncorrect = Code(.pinIncorrect)
        /// The PIN is blocked (`69 83`).
        public static let pinBlocked = Code(.pinBlocked)
        /// The operation needs a PIN verification first (`69 82`).
        public static let securityNotSatisfied = Code(.securityNotSatisfied)
        /// The card is not a Belgian eID card.
        public static let notBelgianEID = Code(.notBelgianEID)
        /// A signature or hash over card data did not verify.
        public static let integrityFailed = Code(.integrityFailed)
        /// The reader or PC/SC layer failed.
        public static let transport = Code(.transport)
        /// The user or caller cancelled the operation.
        public static let cancelled = Code(.cancelled)
        /// The operation timed out.
        public static let timeout = Code(.timeout)
        /// The card or data uses a feature this library does not support.
        public static let unsupported = Code(.unsupported)

        /// The code's name, e.g. `truncatedTLV`.
        public var description: String { backing.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// A human-readable explanation without personal data.
    public let reason: String
    /// The card status word, when the error comes from a card response.
    public let statusWord: UInt16?
    /// PIN tries left, when the card reported them.
    public let triesLeft: Int?
    /// Source file that raised the error (`#fileID`).
    public let file: String
    /// Source line that raised the error.
    public let line: UInt

    /// Creates an error; prefer the static factories such as ``truncatedTLV(_:file:line:)``.
    public init(
        code: Code,
        reason: String,
        statusWord: UInt16? = nil,
        triesLeft: Int? = nil,
        file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.reason = reason
        self.statusWord = statusWord
        self.triesLeft = triesLeft
        self.file = file
        self.line = line
    }

    /// Errors are equal when their codes are equal.
    public static func == (lhs: EIDError, rhs: EIDError) -> Bool { lhs.code == rhs.code }

    /// `code: reason` plus status word, tries and source location when known.
    public var description: String {
        var text = "EIDError.\(code): \(reason)"
        if let statusWord {
            text += " (SW \(Hex.byte(UInt8(statusWord >> 8))) \(Hex.byte(UInt8(statusWord & 0xFF))))"
        }
        if let triesLeft { text += " (tries left: \(triesLeft))" }
        text += " [\(file):\(line)]"
        return text
    }

    // MARK: Factories

    /// A TLV/DER element runs past the end of its buffer.
    public static func truncatedTLV(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .truncatedTLV, reason: reason, file: file, line: line)
    }
    /// A length is out of range.
    public static func invalidLength(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .invalidLength, reason: reason, file: file, line: line)
    }
    /// A tag is unexpected or out of order.
    public static func invalidTag(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .invalidTag, reason: reason, file: file, line: line)
    }
    /// A value has the wrong form.
    public static func invalidValue(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .invalidValue, reason: reason, file: file, line: line)
    }
    /// A date is invalid.
    public static func invalidDate(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .invalidDate, reason: reason, file: file, line: line)
    }
    /// Card data is structurally wrong.
    public static func invalidCardData(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .invalidCardData, reason: reason, file: file, line: line)
    }
    /// A signature or DigestInfo encoding is malformed.
    public static func invalidSignatureFormat(
        _ reason: String,
        file: String = #fileID,
        line: UInt = #line
    ) -> EIDError {
        EIDError(code: .invalidSignatureFormat, reason: reason, file: file, line: line)
    }
    /// A PIN or PIN block is malformed. Never pass the PIN in `reason`.
    public static func invalidPIN(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .invalidPIN, reason: reason, file: file, line: line)
    }
    /// The card answered with an unexpected status word.
    public static func statusWord(
        _ statusWord: UInt16,
        _ reason: String,
        file: String = #fileID,
        line: UInt = #line
    ) -> EIDError {
        EIDError(code: .statusWord, reason: reason, statusWord: statusWord, file: file, line: line)
    }
    /// The card answered with an unexpected status word (status word not recorded).
    public static func statusWord(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .statusWord, reason: reason, file: file, line: line)
    }
    /// A file does not exist on the card.
    public static func fileNotFound(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .fileNotFound, reason: reason, statusWord: 0x6A82, file: file, line: line)
    }
    /// The PIN was wrong; `triesLeft` as reported by the card (`63 Cx`).
    public static func pinIncorrect(
        _ reason: String,
        triesLeft: Int? = nil,
        file: String = #fileID,
        line: UInt = #line
    ) -> EIDError {
        EIDError(code: .pinIncorrect, reason: reason, triesLeft: triesLeft, file: file, line: line)
    }
    /// The PIN is blocked.
    public static func pinBlocked(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .pinBlocked, reason: reason, triesLeft: 0, file: file, line: line)
    }
    /// A PIN verification is required first.
    public static func securityNotSatisfied(
        _ reason: String,
        file: String = #fileID,
        line: UInt = #line
    ) -> EIDError {
        EIDError(code: .securityNotSatisfied, reason: reason, statusWord: 0x6982, file: file, line: line)
    }
    /// The card is not a Belgian eID card.
    public static func notBelgianEID(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .notBelgianEID, reason: reason, file: file, line: line)
    }
    /// A signature or hash over card data did not verify.
    public static func integrityFailed(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .integrityFailed, reason: reason, file: file, line: line)
    }
    /// The reader or PC/SC layer failed.
    public static func transport(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .transport, reason: reason, file: file, line: line)
    }
    /// The operation was cancelled.
    public static func cancelled(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .cancelled, reason: reason, file: file, line: line)
    }
    /// The operation timed out.
    public static func timeout(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .timeout, reason: reason, file: file, line: line)
    }
    /// The feature is not supported.
    public static func unsupported(_ reason: String, file: String = #fileID, line: UInt = #line) -> EIDError {
        EIDError(code: .unsupported, reason: reason, file: file, line: line)
    }
}

