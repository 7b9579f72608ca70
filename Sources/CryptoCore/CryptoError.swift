import COpenSSL

/// An error from the crypto layer. It names the OpenSSL function that failed and
/// OpenSSL's own reason, never the data (keys, digests) involved.
public struct CryptoError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case openssl, invalidKey, invalidCertificate, invalidInput, unsupported }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// An OpenSSL call returned failure.
        public static let openssl = Code(.openssl)
        /// A key could not be decoded or has the wrong type.
        public static let invalidKey = Code(.invalidKey)
        /// A certificate could not be decoded.
        public static let invalidCertificate = Code(.invalidCertificate)
        /// Input of the wrong size or shape.
        public static let invalidInput = Code(.invalidInput)
        /// An algorithm this layer does not offer.
        public static let unsupported = Code(.unsupported)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let reason: String
    public let file: String
    public let line: Int

    init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool { lhs.code == rhs.code }

    public var description: String { "CryptoError.\(code): \(reason) (\(file):\(line))" }

    static func invalidKey(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.invalidKey, reason, file: file, line: line)
    }
    static func invalidCertificate(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.invalidCertificate, reason, file: file, line: line)
    }
    static func invalidInput(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.invalidInput, reason, file: file, line: line)
    }
    static func unsupported(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.unsupported, reason, file: file, line: line)
    }
}

/// The single checker for OpenSSL return values: `1` (or a positive count where
/// `positive` is set) is success; anything else throws with OpenSSL's error queue text.
@discardableResult
func ossl(_ rc: Int32, _ function: String, positive: Bool = false, file: String = #fileID, line: Int = #line) throws -> Int32 {
    if rc == 1 || (positive && rc > 0) { return rc }
    throw CryptoError(.openssl, "\(function) failed: \(drainOpenSSLErrors())", file: file, line: line)
}

/// Unwraps a pointer returned by OpenSSL or throws naming the function.
func ossl<T>(_ pointer: T?, _ function: String, file: String = #fileID, line: Int = #line) throws -> T {
    guard let pointer else {
        throw CryptoError(.openssl, "\(function) returned NULL: \(drainOpenSSLErrors())", file: file, line: line)
    }
    return pointer
}

/// Reads and clears OpenSSL's thread-local error queue.
func drainOpenSSLErrors() -> String {
    var parts: [String] = []
    while true {
        let e = ERR_get_error()
        if e == 0 { break }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(e, &buf, buf.count)
        parts.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return parts.isEmpty ? "no OpenSSL error recorded" : parts.joined(separator: "; ")
}
