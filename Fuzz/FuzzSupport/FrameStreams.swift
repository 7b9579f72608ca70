/// Encodings of the byte streams some targets split their input into.
public enum FrameStreams {
    /// Each item as a 2-byte big-endian length and its bytes (items longer than 0xFFFF are cut).
    public static func lengthPrefixed(_ items: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for item in items {
            let body = item.prefix(0xFFFF)
            out += [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        }
        return out
    }
}
