import FuzzSupport
import OneTimeCodes

/// libFuzzer target: `otpauth://totp/…` key URIs (enrolment QR codes, imports) and the base32
/// secrets in them. Besides "no crash", it checks two properties and traps when one fails: a URI
/// that parses renders to a URI that parses to the same key, and base32 decodes what it encodes.
@main
enum FuzzOTPAuthURI {
    static func main() {
        FuzzDriver.run(fuzzOneInput)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = FuzzDriver.bytes(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    if let parsed = try? OTPAuthURI(parsing: text) {
        guard let again = try? OTPAuthURI(parsing: parsed.string), again == parsed else {
            fatalError("otpauth URI round trip failed")
        }
    }
    if let secret = Base32.decode(text) {
        guard Base32.decode(Base32.encode(secret)) == secret else { fatalError("base32 round trip failed") }
    }
    return 0
}
