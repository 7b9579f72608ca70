/// An ISO 7816-4 command APDU.
public struct CommandAPDU: Sendable, Equatable, CustomStringConvertible {
    public var cla: UInt8
    public var ins: UInt8
    public var p1: UInt8
    public var p2: UInt8
    public var data: [UInt8]
    /// Expected response length: nil = none (case 1/3), 1…256 short, up to 65536 extended.
    public var le: Int?
    /// Set for commands whose data is secret (PIN blocks): `description` then hides it.
    public var isSensitive: Bool

    public init(cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], le: Int? = nil, isSensitive: Bool = false) {
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.le = le
        self.isSensitive = isSensitive
    }

    /// The wire bytes: short form when data ≤ 255 and Le ≤ 256, extended otherwise.
    public var bytes: [UInt8] {
        var out: [UInt8] = [cla, ins, p1, p2]
        let extended = data.count > 255 || (le ?? 0) > 256
        if extended {
            if !data.isEmpty {
                out += [0x00, UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data
            }
            if let le {
                let v = le == 65536 ? 0 : le
                if data.isEmpty { out.append(0x00) }
                out += [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
            }
        } else {
            if !data.isEmpty { out += [UInt8(data.count)] + data }
            if let le { out.append(UInt8(le == 256 ? 0 : le)) }
        }
        return out
    }

    public var description: String {
        let header = [cla, ins, p1, p2].hex
        if isSensitive { return "\(header) <\(data.count) secret bytes>" }
        return bytes.hex
    }
}

/// A response APDU: data and the status word.
public struct ResponseAPDU: Sendable, Equatable, CustomStringConvertible {
    public let data: [UInt8]
    public let sw1: UInt8
    public let sw2: UInt8

    public init(data: [UInt8], sw1: UInt8, sw2: UInt8) {
        self.data = data
        self.sw1 = sw1
        self.sw2 = sw2
    }

    /// Splits raw card bytes; nil when fewer than two bytes came back.
    public init?(raw: [UInt8]) {
        guard raw.count >= 2 else { return nil }
        data = Array(raw.dropLast(2))
        sw1 = raw[raw.count - 2]
        sw2 = raw[raw.count - 1]
    }

    /// SW1-SW2 as one number, e.g. `0x9000`.
    public var sw: UInt16 { UInt16(sw1) << 8 | UInt16(sw2) }
    public var isSuccess: Bool { sw == 0x9000 }

    public var description: String { "\(data.count) bytes, SW \(hex4(sw))" }
}

/// `value` as four upper-case hex digits.
func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

extension Sequence<UInt8> {
    /// Space-separated upper-case hex, e.g. `00 A4 04 00`.
    public var hex: String {
        map { b in
            let s = String(b, radix: 16, uppercase: true)
            return b < 16 ? "0" + s : s
        }.joined(separator: " ")
    }
}
