import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Streaming CSV reader (RFC 4180: comma, double quotes, `""` escapes, quoted newlines).
/// Reads one record at a time with `getline`, so memory stays bounded by the longest record.
final class CSVReader {
    let name: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    /// 1-based number of the last record returned (the header is record 1).
    private(set) var row = 0
    /// Bytes read so far (for progress).
    private(set) var bytesRead = 0

    init(path: String) throws(RightsError) {
        name = (path as NSString).lastPathComponent
        guard let file = fopen(path, "r") else { throw RightsError(.importMissingFile, "cannot open \(name)", source: name) }
        self.file = file
    }

    deinit {
        free(buffer)
        fclose(file)
    }

    /// The next record, or nil at end of file.
    func next() throws(RightsError) -> [String]? {
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var started = false
        while true {
            let length = getline(&buffer, &capacity, file)
            if length < 0 {
                if !started { return nil }
                throw RightsError(.importMalformedRow, "unterminated quoted field", source: name, row: row + 1)
            }
            bytesRead += length
            if !started { started = true; row += 1 }
            let line = UnsafeRawBufferPointer(start: buffer, count: length)
            var index = 0
            while index < length {
                let byte = line[index]
                if inQuotes {
                    if byte == 0x22 {
                        if index + 1 < length, line[index + 1] == 0x22 { field.append(0x22); index += 1 } else { inQuotes = false }
                    } else {
                        field.append(byte)
                    }
                } else if byte == 0x22 {
                    inQuotes = true
                } else if byte == 0x2C {
                    fields.append(String(decoding: field, as: UTF8.self))
                    field.removeAll(keepingCapacity: true)
                } else if byte == 0x0A || byte == 0x0D {
                    // end of record (handled below)
                } else {
                    field.append(byte)
                }
                index += 1
            }
            if !inQuotes {
                fields.append(String(decoding: field, as: UTF8.self))
                if row == 1, let first = fields.first, first.hasPrefix("\u{FEFF}") { fields[0] = String(first.dropFirst()) }
                return fields
            }
            // Inside quotes: the line break was kept above as part of the field; read on.
        }
    }

    /// Reads the header and returns the column positions of `columns`; missing columns throw.
    func header(requiring columns: [String]) throws(RightsError) -> [Int] {
        guard let header = try next() else { throw RightsError(.importMissingFile, "\(name) is empty", source: name) }
        var positions: [Int] = []
        for column in columns {
            guard let index = header.firstIndex(where: { $0.caseInsensitiveCompare(column) == .orderedSame }) else {
                throw RightsError(.importMissingFile, "\(name) lacks column \(column)", source: name, row: 1)
            }
            positions.append(index)
        }
        return positions
    }
}
