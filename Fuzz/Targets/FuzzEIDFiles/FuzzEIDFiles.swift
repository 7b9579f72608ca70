import BelgianEID
import FuzzCardSupport
import FuzzSupport

/// libFuzzer target: the card's files as read from an untrusted card (identity, address, card
/// data, PKCS#15 directory files, DigestInfo). Every parser must return or throw, never crash.
/// Seeds: the files of the virtual specimen cards (applets 1.7 and 1.8).
@main
enum FuzzEIDFiles {
    static func main() {
        FuzzDriver.run(fuzzOneInput) {
            var seeds: [String: [UInt8]] = [:]
            for profile in ["specimen-1.7", "specimen-1.8"] {
                let card = try EIDCard(channel: RecordingChannel(emulator: try ReaderSession.emulator(profile)))
                seeds["\(profile)-carddata"] = card.cardData.bytes
                for file in [EIDFile.dir, .odf, .tokenInfo, .aodf, .prkdf, .cdf, .identity, .address] {
                    seeds["\(profile)-\(file)"] = try card.read(file)
                }
            }
            return seeds
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = FuzzDriver.bytes(data, size)
    _ = try? EIDTLV.parse(bytes)
    _ = EIDTLV.trimmingTrailingZeros(bytes)
    if let identity = try? Identity(tlv: bytes) { _ = try? identity.tlvBytes() }
    if let address = try? Address(tlv: bytes) { _ = try? address.tlvBytes() }
    _ = try? CardData(bytes: bytes)
    _ = try? PKCS15.parseODF(bytes)
    _ = try? PKCS15.parseAODF(bytes)
    _ = try? PKCS15.parsePrKDF(bytes)
    _ = try? PKCS15.parseCDF(bytes)
    _ = try? PKCS15.DirectoryRecord(der: bytes)
    _ = try? PKCS15.TokenInfo(der: bytes)
    _ = try? parseDigestInfo(bytes)
    return 0
}
