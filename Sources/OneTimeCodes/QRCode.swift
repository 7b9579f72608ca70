import CQREncode
import Glibc

/// A QR code symbol (ISO/IEC 18004) made by libqrencode: a square of dark and light modules,
/// rendered as PNG (``png(scale:quietZone:)``) or as text for a terminal (``terminalText(quietZone:forDarkBackground:)``).
public struct QRCode: Sendable, Equatable {
    /// Error-correction level: the share of the symbol that may be damaged and still read.
    public enum ErrorCorrection: Sendable {
        /// About 7 %.
        case low
        /// About 15 %, the usual choice for screens.
        case medium
        /// About 25 %.
        case quartile
        /// About 30 %.
        case high

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// Modules per side (without quiet zone).
    public let size: Int
    /// Row-major, `true` for a dark module.
    public let modules: [Bool]

    /// Encodes `text` as 8-bit data in the smallest version that holds it.
    /// - Throws: ``OneTimeCodesError`` `qrCode` when the text does not fit any QR version.
    public init(encoding text: String, errorCorrection: ErrorCorrection = .medium) throws(OneTimeCodesError) {
        let symbol = try qrencode(QRcode_encodeString8bit(text, 0, errorCorrection.level), "QRcode_encodeString8bit")
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        let data = UnsafeBufferPointer(start: symbol.pointee.data, count: width * width)
        size = width
        modules = data.map { $0 & 1 == 1 }  // bit 0 of each byte: dark
    }

    /// Whether the module at (`row`, `column`) is dark; modules outside the symbol (the quiet zone) are light.
    public func isDark(row: Int, column: Int) -> Bool {
        guard row >= 0, row < size, column >= 0, column < size else { return false }
        return modules[row * size + column]
    }

    /// The symbol as an 8-bit grayscale PNG: `scale` pixels per module, `quietZone` light modules around it.
    /// - Throws: ``OneTimeCodesError`` `invalidInput` for a scale or quiet zone out of range, `qrCode` when zlib fails.
    public func png(scale: Int = 8, quietZone: Int = 4) throws(OneTimeCodesError) -> [UInt8] {
        guard (1...64).contains(scale), (0...16).contains(quietZone) else {
            throw OneTimeCodesError(.invalidInput, "QR scale must be 1…64 and quiet zone 0…16")
        }
        let side = (size + 2 * quietZone) * scale
        var pixels = [UInt8]()
        pixels.reserveCapacity(side * side)
        for y in 0..<side {
            let row = y / scale - quietZone
            for x in 0..<side {
                pixels.append(isDark(row: row, column: x / scale - quietZone) ? 0x00 : 0xFF)
            }
        }
        return try PNGImage.grayscale(width: side, height: side, pixels: pixels)
    }

    /// The symbol as Unicode half blocks, two module rows per line, with `quietZone` light modules around it.
    ///
    /// - Parameter forDarkBackground: draw the light modules (in the terminal's light text colour on its
    ///   dark background), so the code reads dark-on-light as scanners expect. Set `false` for dark text
    ///   on a light background.
    public func terminalText(quietZone: Int = 4, forDarkBackground: Bool = true) -> String {
        let first = -quietZone, last = size + quietZone  // module rows first..<last
        func drawn(_ row: Int, _ column: Int) -> Bool {
            guard row < last else { return !forDarkBackground }  // below the last row: background
            return isDark(row: row, column: column) != forDarkBackground
        }
        var text = ""
        var row = first
        while row < last {
            for column in first..<last {
                switch (drawn(row, column), drawn(row + 1, column)) {
                case (true, true): text += "█"
                case (true, false): text += "▀"
                case (false, true): text += "▄"
                case (false, false): text += " "
                }
            }
            text += "\n"
            row += 2
        }
        return text
    }
}

/// The single checker for libqrencode: a NULL symbol becomes a typed error naming the function and errno.
private func qrencode(_ symbol: UnsafeMutablePointer<QRcode>?, _ function: String) throws(OneTimeCodesError) -> UnsafeMutablePointer<QRcode> {
    guard let symbol else {
        let reason = switch errno {
        case EINVAL: "invalid input"
        case ERANGE: "input too long for a QR code"
        case ENOMEM: "out of memory"
        default: "errno \(errno)"
        }
        throw OneTimeCodesError(.qrCode, "\(function) failed: \(reason)")
    }
    return symbol
}
