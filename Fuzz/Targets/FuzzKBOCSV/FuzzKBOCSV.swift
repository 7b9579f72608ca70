import Foundation
import FuzzSupport
@testable import Rights

/// libFuzzer target: KBO open-data CSV files (header + rows, RFC 4180 quoting) read by the
/// streaming reader, and the identifiers and dates the import takes from each field.
@main
enum FuzzKBOCSV {
    static let path = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-fuzz-kbo-\(getpid()).csv").path

    static func main() {
        _ = path
        FuzzDriver.run(fuzzOneInput)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Data(FuzzDriver.bytes(data, size))
    guard FileManager.default.createFile(atPath: FuzzKBOCSV.path, contents: bytes) else { return 0 }
    guard let reader = try? CSVReader(path: FuzzKBOCSV.path) else { return 0 }
    _ = try? reader.header(requiring: ["EnterpriseNumber"])
    var rows = 0
    while rows < 1000, let fields = try? reader.next() {
        rows += 1
        for field in fields {
            _ = KBONumber.fastKBOForm(field)
            _ = try? KBONumber(field)
            _ = try? KBONumber.enterprise(field)
            _ = try? KBONumber.establishment(field)
            _ = try? INSZ(field)
            _ = LocalDate(field)
        }
    }
    return 0
}
