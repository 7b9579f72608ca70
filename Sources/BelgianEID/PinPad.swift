/// Language of the pin pad's prompt (a USB LANGID, sent little-endian per PC/SC part 10).
public enum PinPadLanguage: UInt16, Sendable, CaseIterable {
    case dutch = 0x0413, french = 0x040C, german = 0x0407, english = 0x0409
}

/// PC/SC part-10 structures the Belgian middleware sends to pin-pad readers (spec §5.7).
enum PinPad {
    /// PIN_VERIFY_STRUCTURE (32 bytes) wrapping `VERIFY` with an empty PIN block that the
    /// reader fills: BCD digits after the `2L` nibble, min 4, max 12, validation key.
    static func verifyStructure(language: PinPadLanguage, timeoutSeconds: UInt8) -> [UInt8] {
        let apdu: [UInt8] = [0x00, 0x20, 0x00, 0x01, 0x08, 0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        var s: [UInt8] = [
            timeoutSeconds, timeoutSeconds,  // bTimerOut, bTimerOut2
            0x89,  // bmFormatString: byte units, PIN at offset 1, left justified, BCD
            0x47,  // bmPINBlockString: 4-bit length field, 7-byte PIN area
            0x04,  // bmPINLengthFormat: length in bits at bit offset 4
            0x0C, 0x04,  // wPINMaxExtraDigit (LE): min 4, max 12
            0x02,  // bEntryValidationCondition: validation key pressed
            0x01,  // bNumberMessage
            UInt8(language.rawValue & 0xFF), UInt8(language.rawValue >> 8),  // wLangId, little endian
            0x00,  // bMsgIndex
            0x00, 0x00, 0x00,  // bTeoPrologue
        ]
        s += [UInt8(apdu.count), 0, 0, 0]  // ulDataLength, little endian
        return s + apdu
    }
}
