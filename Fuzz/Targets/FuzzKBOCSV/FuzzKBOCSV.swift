import Foundation
import FuzzSupport
@testable import Rights

/// libFuzzer target: KBO open-data CSV files (header + rows, RFC 4180 quoting) read by the
/// streaming reader, and the identifiers and dates the import takes from each field.
@main
enum FuzzKBOCSV {
    /// The reader takes a path, so each input is written to one file (in memory where /dev/shm exists).
    static let path = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        + "/sleutel-fuzz-kbo-\(getpid()).csv"

    static func main() {
        _ = path
        FuzzDriver.run(fuzzOneInput)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let fd = open(FuzzKBOCSV.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    let written = size == 0 ? 0 : write(fd, data, size)
    close(fd)
    guard written == size else { return 0 }
    guard let reader = try? CSVReader(path: FuzzKBOCSV.path) else { return 0 }
    _ = try? reader.header(requiring: ["EnterpriseNumber"])
    var rows = 0
    while rows < 1000, let fields = try? reader.next() {
        rows += 1
        for field in fields {
            _ = KBONumber.fastKBOForm(field)
            // enterprise/establishment parse as init does, then check the kind: only worth their
            // time once the number parsed.
            if (try? KBONumber(field)) != nil {
                _ = try? KBONumber.enterprise(field)
                _ = try? KBONumber.establishment(field)
            }
            _ = try? INSZ(field)
            _ = LocalDate(field)
        }
    }
    return 0
}
