import CZlib

/// Writes PNG files (ISO/IEC 15948): signature, IHDR, one zlib-compressed IDAT, IEND, each chunk with its CRC-32.
enum PNGImage {
    private static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// An 8-bit grayscale image (colour type 0) from `pixels`, row-major, one byte per pixel.
    static func grayscale(width: Int, height: Int, pixels: [UInt8]) throws(OneTimeCodesError) -> [UInt8] {
        precondition(pixels.count == width * height, "pixel count does not match the size")
        var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 0, 0, 0, 0]  // bit depth 8, grayscale, deflate, adaptive filtering, no interlace
        var scanlines = [UInt8]()
        scanlines.reserveCapacity((width + 1) * height)
        for y in 0..<height {
            scanlines.append(0)  // filter type None
            scanlines += pixels[(y * width)..<((y + 1) * width)]
        }
        return signature + chunk("IHDR", header) + chunk("IDAT", try deflate(scanlines)) + chunk("IEND", [])
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc)
    }

    private static func deflate(_ data: [UInt8]) throws(OneTimeCodesError) -> [UInt8] {
        var length = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let rc = compress2(&out, &length, data, uLong(data.count), Z_BEST_COMPRESSION)
        try zlib(rc, "compress2")
        return Array(out.prefix(Int(length)))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}

/// The single checker for zlib return codes.
private func zlib(_ rc: Int32, _ function: String) throws(OneTimeCodesError) {
    guard rc != Z_OK else { return }
    let name = switch rc {
    case Z_MEM_ERROR: "Z_MEM_ERROR"
    case Z_BUF_ERROR: "Z_BUF_ERROR"
    case Z_STREAM_ERROR: "Z_STREAM_ERROR"
    case Z_DATA_ERROR: "Z_DATA_ERROR"
    default: "code \(rc)"
    }
    throw OneTimeCodesError(.qrCode, "zlib \(function) failed: \(name)")
}
