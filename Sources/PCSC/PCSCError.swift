import CPCSC

/// A PC/SC return code (`SCARD_S_SUCCESS`, `SCARD_E_*`, `SCARD_W_*`, `SCARD_F_*`) as a
/// 32-bit value with a readable name, so `0x8010001D` prints as `SCARD_E_NO_SERVICE`.
public struct PCSCStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    init(_ rv: Int) { rawValue = UInt32(truncatingIfNeeded: rv) }

    public static let success = PCSCStatus(rawValue: 0)
    public static let internalError = PCSCStatus(rawValue: 0x8010_0001)
    public static let cancelled = PCSCStatus(rawValue: 0x8010_0002)
    public static let invalidHandle = PCSCStatus(rawValue: 0x8010_0003)
    public static let invalidParameter = PCSCStatus(rawValue: 0x8010_0004)
    public static let noMemory = PCSCStatus(rawValue: 0x8010_0006)
    public static let insufficientBuffer = PCSCStatus(rawValue: 0x8010_0008)
    public static let unknownReader = PCSCStatus(rawValue: 0x8010_0009)
    public static let timeout = PCSCStatus(rawValue: 0x8010_000A)
    public static let sharingViolation = PCSCStatus(rawValue: 0x8010_000B)
    public static let noSmartcard = PCSCStatus(rawValue: 0x8010_000C)
    public static let protoMismatch = PCSCStatus(rawValue: 0x8010_000F)
    public static let notReady = PCSCStatus(rawValue: 0x8010_0010)
    public static let invalidValue = PCSCStatus(rawValue: 0x8010_0011)
    public static let systemCancelled = PCSCStatus(rawValue: 0x8010_0012)
    public static let commError = PCSCStatus(rawValue: 0x8010_0013)
    public static let unknownError = PCSCStatus(rawValue: 0x8010_0014)
    public static let notTransacted = PCSCStatus(rawValue: 0x8010_0016)
    public static let readerUnavailable = PCSCStatus(rawValue: 0x8010_0017)
    public static let noService = PCSCStatus(rawValue: 0x8010_001D)
    public static let serviceStopped = PCSCStatus(rawValue: 0x8010_001E)
    public static let unsupportedFeature = PCSCStatus(rawValue: 0x8010_001F)
    public static let noReadersAvailable = PCSCStatus(rawValue: 0x8010_002E)
    public static let commDataLost = PCSCStatus(rawValue: 0x8010_002F)
    public static let unsupportedCard = PCSCStatus(rawValue: 0x8010_0065)
    public static let unresponsiveCard = PCSCStatus(rawValue: 0x8010_0066)
    public static let unpoweredCard = PCSCStatus(rawValue: 0x8010_0067)
    public static let resetCard = PCSCStatus(rawValue: 0x8010_0068)
    public static let removedCard = PCSCStatus(rawValue: 0x8010_0069)

    private static let names: [UInt32: String] = [
        0: "SCARD_S_SUCCESS", 0x8010_0001: "SCARD_F_INTERNAL_ERROR", 0x8010_0002: "SCARD_E_CANCELLED",
        0x8010_0003: "SCARD_E_INVALID_HANDLE", 0x8010_0004: "SCARD_E_INVALID_PARAMETER",
        0x8010_0006: "SCARD_E_NO_MEMORY", 0x8010_0008: "SCARD_E_INSUFFICIENT_BUFFER",
        0x8010_0009: "SCARD_E_UNKNOWN_READER", 0x8010_000A: "SCARD_E_TIMEOUT",
        0x8010_000B: "SCARD_E_SHARING_VIOLATION", 0x8010_000C: "SCARD_E_NO_SMARTCARD",
        0x8010_000F: "SCARD_E_PROTO_MISMATCH", 0x8010_0010: "SCARD_E_NOT_READY",
        0x8010_0011: "SCARD_E_INVALID_VALUE", 0x8010_0012: "SCARD_E_SYSTEM_CANCELLED",
        0x8010_0013: "SCARD_F_COMM_ERROR", 0x8010_0014: "SCARD_F_UNKNOWN_ERROR",
        0x8010_0016: "SCARD_E_NOT_TRANSACTED", 0x8010_0017: "SCARD_E_READER_UNAVAILABLE",
        0x8010_001D: "SCARD_E_NO_SERVICE", 0x8010_001E: "SCARD_E_SERVICE_STOPPED",
        0x8010_001F: "SCARD_E_UNSUPPORTED_FEATURE", 0x8010_002E: "SCARD_E_NO_READERS_AVAILABLE",
        0x8010_002F: "SCARD_E_COMM_DATA_LOST", 0x8010_0065: "SCARD_W_UNSUPPORTED_CARD",
        0x8010_0066: "SCARD_W_UNRESPONSIVE_CARD", 0x8010_0067: "SCARD_W_UNPOWERED_CARD",
        0x8010_0068: "SCARD_W_RESET_CARD", 0x8010_0069: "SCARD_W_REMOVED_CARD",
    ]

    /// The C constant's name, e.g. `SCARD_E_NO_SERVICE`.
    public var name: String { Self.names[rawValue] ?? "SCARD_0x" + String(rawValue, radix: 16, uppercase: true) }

    public var description: String {
        "\(name) (0x\(String(rawValue, radix: 16, uppercase: true)))"
    }

    /// True when the card handle is dead because the card left or was swapped.
    public var meansCardGone: Bool {
        self == .removedCard || self == .noSmartcard || self == .notTransacted || self == .readerUnavailable
            || self == .commDataLost || self == .unpoweredCard
    }

    /// Lets `catch let e as PCSCError where e.status ~= .timeout` style matching work on raw codes.
    public static func ~= (pattern: PCSCStatus, value: PCSCError) -> Bool { value.status == pattern }
}

/// An error from PC/SC: the function that failed, its status code and the library's text.
public struct PCSCError: Error, Sendable, CustomStringConvertible, Equatable {
    public let status: PCSCStatus
    public let function: String
    public let reason: String

    public init(status: PCSCStatus, function: String, reason: String? = nil) {
        self.status = status
        self.function = function
        self.reason = reason ?? Self.explain(status)
    }

    public static func == (lhs: PCSCError, rhs: PCSCError) -> Bool { lhs.status == rhs.status }

    public var description: String { "\(function) failed: \(status): \(reason)" }

    private static func explain(_ status: PCSCStatus) -> String {
        switch status {
        case .noService, .serviceStopped:
            return "pcscd is not running (start it: /usr/sbin/pcscd --foreground, or `Tools/rig.sh start`)"
        case .noReadersAvailable: return "no card reader is connected"
        case .removedCard: return "the card was removed"
        case .noSmartcard: return "no card in the reader"
        case .resetCard: return "another application reset the card"
        case .notTransacted: return "the exchange with the card did not complete (card removed or unresponsive)"
        case .timeout: return "timed out"
        default:
            return String(cString: pcsc_stringify_error(Int(status.rawValue)))
        }
    }
}

/// The one checker for pcsclite return values.
@inline(__always)
func check(_ rv: Int, _ function: StaticString) throws {
    guard rv != Int(SCARD_S_SUCCESS) else { return }
    throw PCSCError(status: PCSCStatus(rv), function: "\(function)")
}
