import PCSC

/// libFuzzer entry: raw response APDUs as a reader returns them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPDU(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let response = ResponseAPDU(raw: bytes) { _ = response.description }
    return 0
}
