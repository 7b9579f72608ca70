import Foundation
@testable import Rights

/// libFuzzer entry: KBO open-data CSV files (header + rows) and the identifiers read from them.
private let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("sleutel-fuzz-kbo-\(getpid()).csv").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKBOCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard FileManager.default.createFile(atPath: path, contents: bytes) else { return 0 }
    guard let reader = try? CSVReader(path: path) else { return 0 }
    _ = try? reader.header(requiring: ["EnterpriseNumber"])
    var rows = 0
    while rows < 1000, let fields = try? reader.next() {
        rows += 1
        for field in fields {
            _ = try? KBONumber(field)
            _ = try? KBONumber.enterprise(field)
            _ = try? KBONumber.establishment(field)
            _ = try? INSZ(field)
        }
    }
    return 0
}
