import CryptoCore
/// The applet version byte of GET CARD DATA (offset 21).
public enum AppletVersion: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Applet 1.1 (`11`), legacy RSA-1024 cards.
    case v1_1
    /// Applet 1.7 (`17`), RSA-2048 cards.
    case v1_7
    /// Applet 1.8 (`18`), EC P-384 cards.
    case v1_8
    /// Any other value.
    case unknown(UInt8)

    /// Interprets the applet version byte.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 0x11: self = .v1_1
        case 0x17: self = .v1_7
        case 0x18: self = .v1_8
        default: self = .unknown(rawValue)
        }
    }

    /// The byte on the card.
    public var rawValue: UInt8 {
        switch self {
        case .v1_1: 0x11
        case .v1_7: 0x17
        case .v1_8: 0x18
        case .unknown(let value): value
        }
    }

    /// EC-capable applet (`18` and above, §1.4).
    public var isEC: Bool { rawValue >= 0x18 }

    /// Legacy 1.0/1.1 applet (below `17`), with the 1.1 card-data layout.
    public var isLegacy: Bool { rawValue < 0x17 }

    /// `1.1`, `1.7`, `1.8` or the hex byte.
    public var description: String {
        switch self {
        case .v1_1: "1.1"
        case .v1_7: "1.7"
        case .v1_8: "1.8"
        case .unknown(let value): "0x\(Hex.byte(value))"
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(UInt8.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// The GET CARD DATA response (§1.3): 28 bytes (`P2=00`) or 31 bytes (`P2=01`, applet 1.8,
/// with the PIN tries counter).
///
/// The raw bytes are kept in ``bytes``; the fields are read from them according to the
/// layout chosen by the applet version byte (the 1.1 layout differs after offset 20).
public struct CardData: Sendable, Hashable, Codable {
    /// Length of the short response.
    public static let shortLength = 28
    /// Length of the response with the PIN counter (applet 1.8, `P2=01`).
    public static let extendedLength = 31

    /// The response bytes (without status word).
    public let bytes: [UInt8]

    /// Parses a GET CARD DATA response.
    /// - Throws: ``EIDError/Code/invalidLength`` unless the response has 28 or 31 bytes.
    public init(bytes: [UInt8]) throws(EIDError) {
        guard bytes.count == CardData.shortLength || bytes.count == CardData.extendedLength else {
            throw .invalidLength("GET CARD DATA response must be 28 or 31 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Offsets 0–15: chip serial number (= identity tag `02` and TokenInfo serial).
    public var serialNumber: [UInt8] { Array(bytes[0..<16]) }
    /// The serial number as upper-case hex (32 characters).
    public var serialNumberHex: String { Hex.encode(serialNumber, uppercase: true) }
    /// PKCS#11 token serial as eid-mw shows it: the last 16 hex characters of the serial.
    public var tokenSerial: String { String(serialNumberHex.suffix(16)) }
    /// Offset 16: component code.
    public var componentCode: UInt8 { bytes[16] }
    /// Offset 17: OS number.
    public var osNumber: UInt8 { bytes[17] }
    /// Offset 18: OS version.
    public var osVersion: UInt8 { bytes[18] }
    /// Offset 19: softmask number.
    public var softmaskNumber: UInt8 { bytes[19] }
    /// Offset 20: softmask version.
    public var softmaskVersion: UInt8 { bytes[20] }
    /// Offset 21: applet version.
    public var appletVersion: AppletVersion { AppletVersion(rawValue: bytes[21]) }
    /// Whether the 1.1 layout applies (applet byte below `17`).
    public var isLegacyLayout: Bool { appletVersion.isLegacy }

    /// Offsets 22–23: global OS version (`00 03` on 1.7, `00 01` on 1.8); nil on 1.1.
    public var globalOSVersion: UInt16? {
        isLegacyLayout ? nil : UInt16(bytes[22]) << 8 | UInt16(bytes[23])
    }
    /// Applet interface version: offset 24 (1.7/1.8) or offsets 23–24 (1.1).
    public var appletInterfaceVersion: UInt16 {
        isLegacyLayout ? UInt16(bytes[23]) << 8 | UInt16(bytes[24]) : UInt16(bytes[24])
    }
    /// Offset 25: PKCS#1 support (`21` = v2.1 on 1.7, `00` on 1.8); nil on 1.1.
    public var pkcs1Support: UInt8? { isLegacyLayout ? nil : bytes[25] }
    /// Offset 26: key exchange version; nil on 1.1.
    public var keyExchangeVersion: UInt8? { isLegacyLayout ? nil : bytes[26] }
    /// Offsets 25–26 on 1.1 cards: PKCS#15 version; nil otherwise.
    public var pkcs15Version: UInt16? {
        isLegacyLayout ? UInt16(bytes[25]) << 8 | UInt16(bytes[26]) : nil
    }
    /// Offset 27: applet life cycle (`0F` personalised, `07` selectable).
    public var lifeCycle: UInt8 { bytes[27] }
    /// Whether the applet is personalised (life cycle `0F`).
    public var isPersonalized: Bool { lifeCycle == 0x0F }
    /// Offset 28 of the 31-byte form: PIN tries left; nil in the 28-byte form or when the
    /// card reports `FF` (PIN object not found).
    public var pinTriesLeft: Int? {
        guard bytes.count == CardData.extendedLength, bytes[28] != 0xFF else { return nil }
        return Int(bytes[28])
    }

    /// Builds a 1.7/1.8-layout response (for the virtual card).
    /// - Parameters:
    ///   - serialNumber: 16 bytes.
    ///   - appletVersion: the applet byte; must not be a legacy (< `17`) version.
    ///   - globalOSVersion: defaults to `00 01` for EC applets, `00 03` otherwise.
    ///   - pkcs1Support: defaults to `00` for EC applets, `21` otherwise.
    ///   - keyExchangeVersion: defaults to `02` for EC applets, `01` otherwise.
    ///   - pinTries: when non-nil, the 31-byte form is built with this tries byte
    ///     (`FF` = unknown) followed by `FF FF`.
    /// - Throws: ``EIDError/Code/invalidLength`` for a serial that is not 16 bytes,
    ///   ``EIDError/Code/invalidValue`` for a legacy applet version (use ``encodeLegacy``).
    public static func encode(
        serialNumber: [UInt8],
        componentCode: UInt8 = 0,
        osNumber: UInt8 = 0,
        osVersion: UInt8 = 0,
        softmaskNumber: UInt8 = 0,
        softmaskVersion: UInt8 = 0,
        appletVersion: AppletVersion,
        globalOSVersion: UInt16? = nil,
        appletInterfaceVersion: UInt8 = 0,
        pkcs1Support: UInt8? = nil,
        keyExchangeVersion: UInt8? = nil,
        lifeCycle: UInt8 = 0x0F,
        pinTries: UInt8? = nil
    ) throws(EIDError) -> [UInt8] {
        guard serialNumber.count == 16 else {
            throw .invalidLength("card serial number must be 16 bytes, got \(serialNumber.count)")
        }
        guard !appletVersion.isLegacy else {
            throw .invalidValue("applet \(appletVersion) uses the 1.1 layout; use encodeLegacy")
        }
        let ec = appletVersion.isEC
        let global = globalOSVersion ?? (ec ? 0x0001 : 0x0003)
        var out = serialNumber
        out += [componentCode, osNumber, osVersion, softmaskNumber, softmaskVersion, appletVersion.rawValue]
        out += [UInt8(global >> 8), UInt8(global & 0xFF), appletInterfaceVersion]
        out += [pkcs1Support ?? (ec ? 0x00 : 0x21), keyExchangeVersion ?? (ec ? 0x02 : 0x01), lifeCycle]
        if let pinTries { out += [pinTries, 0xFF, 0xFF] }
        return out
    }

    /// Builds a 28-byte response in the applet 1.1 layout (bytes 21–22 applet version
    /// `11 00`, 23–24 interface version, 25–26 PKCS#15 version, 27 life cycle).
    /// - Throws: ``EIDError/Code/invalidLength`` for a serial that is not 16 bytes.
    public static func encodeLegacy(
        serialNumber: [UInt8],
        componentCode: UInt8 = 0,
        osNumber: UInt8 = 0,
        osVersion: UInt8 = 0,
        softmaskNumber: UInt8 = 0,
        softmaskVersion: UInt8 = 0,
        appletVersion: UInt8 = 0x11,
        appletInterfaceVersion: UInt16 = 0,
        pkcs15Version: UInt16 = 0,
        lifeCycle: UInt8 = 0x0F
    ) throws(EIDError) -> [UInt8] {
        guard serialNumber.count == 16 else {
            throw .invalidLength("card serial number must be 16 bytes, got \(serialNumber.count)")
        }
        var out = serialNumber
        out += [componentCode, osNumber, osVersion, softmaskNumber, softmaskVersion, appletVersion, 0x00]
        out += [UInt8(appletInterfaceVersion >> 8), UInt8(appletInterfaceVersion & 0xFF)]
        out += [UInt8(pkcs15Version >> 8), UInt8(pkcs15Version & 0xFF), lifeCycle]
        return out
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = Hex.decode(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not hex"))
        }
        do throws(EIDError) {
            try self.init(bytes: bytes)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.reason))
        }
    }

    /// Encodes as the hex string of ``bytes``.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Hex.encode(bytes, uppercase: true))
    }
}
