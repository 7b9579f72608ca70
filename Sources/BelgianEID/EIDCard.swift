import CryptoCore
import PCSC

/// The Belgian eID applet on one card: recognition, file reading, PIN, signing, LOG OFF.
///
/// Every multi-APDU operation runs inside one PC/SC transaction so no other application
/// can interleave commands. Secrets (PINs) are never logged or put into errors.
public final class EIDCard: Sendable {
    /// ATR of applet 1.1 (late) and 1.7 cards.
    public static let atrV17: [UInt8] = [0x3B, 0x98, 0x13, 0x40, 0x0A, 0xA5, 0x03, 0x01, 0x01, 0x01, 0xAD, 0x13, 0x11]
    /// ATR of applet 1.8 (EC) cards.
    public static let atrV18: [UInt8] = [
        0x3B, 0x7F, 0x96, 0x00, 0x00, 0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x04, 0x01, 0x20, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    ]
    /// Belpic applet AID.
    public static let appletAID: [UInt8] = [0xA0, 0x00, 0x00, 0x00, 0x30, 0x29, 0x05, 0x70, 0x00, 0xAD, 0x13, 0x10, 0x01, 0x01, 0xFF]

    public let channel: any CardChannel
    /// The GET CARD DATA answer read when the card was recognised.
    public let cardData: CardData
    public let atr: [UInt8]

    /// True when the ATR is one of the Belgian eID ATRs (exact 1.8, or the 1.0/1.1/1.7 mask).
    public static func atrLooksLikeEID(_ atr: [UInt8]) -> Bool {
        if atr == atrV18 { return true }
        let pattern: [UInt8] = [0x3B, 0x98, 0x13, 0x40, 0x0A, 0xA5, 0x03, 0x01, 0x01, 0x01, 0xAD, 0x13, 0x11]
        let mask: [UInt8] = [0xFF, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]
        guard atr.count == pattern.count else { return false }
        return zip(zip(atr, pattern), mask).allSatisfy { pair, m in pair.0 & m == pair.1 & m }
    }

    /// Recognises the card: ATR check, then GET CARD DATA (spec §1.4).
    /// - Throws: ``EIDError`` `.notBelgianEID` for other cards, `.transport` for reader failures.
    public init(channel: any CardChannel) throws {
        self.channel = channel
        atr = channel.atr
        guard Self.atrLooksLikeEID(atr) else {
            throw EIDError.notBelgianEID("ATR \(atr.hex) is not a Belgian eID ATR")
        }
        let response = try Self.run("GET CARD DATA") { try channel.transmit(CommandAPDU(cla: 0x80, ins: 0xE4, p1: 0, p2: 0, le: 0x1C)) }
        guard response.isSuccess else {
            throw EIDError.notBelgianEID("GET CARD DATA answered SW \(hex4(response.sw))")
        }
        cardData = try CardData(bytes: response.data)
    }

    /// The applet generation from GET CARD DATA byte 21.
    public var applet: AppletVersion { cardData.appletVersion }

    // MARK: Reading

    /// Reads one file completely. Certificate files are read only up to the end of their DER
    /// (the zero padding is skipped); an absent certificate (first byte `00`) returns `[]`.
    public func read(_ file: EIDFile) throws -> [UInt8] {
        try Self.run("reading \(file)") { try channel.withTransaction { try readInTransaction(file) } }
    }

    /// Reads the identity, address, photo, their signatures, the basic key (1.8) and all
    /// certificates in one transaction.
    public func readAll(includePhoto: Bool = true) throws -> EIDCardContents {
        try Self.run("reading the card files") {
            try channel.withTransaction {
                var files: [EIDFile: [UInt8]] = [:]
                var list: [EIDFile] = [.identity, .identitySignature, .address, .addressSignature]
                if includePhoto { list.append(.photo) }
                if applet.isEC { list.append(.basicPublicKey) }
                list += EIDFile.certificates
                for file in list { files[file] = try readInTransaction(file) }
                return try EIDCardContents(cardData: cardData, files: files)
            }
        }
    }

    private func readInTransaction(_ file: EIDFile) throws -> [UInt8] {
        try select(file)
        var out: [UInt8] = []
        var wanted = Int.max
        while out.count < wanted {
            let offset = out.count
            guard offset <= 0x7FFF else { throw EIDError.invalidLength("file \(file) exceeds 32 KiB") }
            let le = min(256, wanted - offset)
            let r = try channel.transmit(CommandAPDU(cla: 0, ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), le: le))
            if r.sw == 0x6B00 {
                if offset == 0 && !file.isCertificate { throw EIDError.statusWord(r.sw, "READ BINARY of empty file \(file)") }
                break
            }
            guard r.isSuccess else { throw Self.statusError(r.sw, "READ BINARY \(file) at offset \(offset)") }
            out += r.data
            if file.isCertificate && offset == 0 {
                guard out.first == 0x30 else { return [] }  // never written: file of zeros
                guard let total = Self.derLengthFromHeader(out) else {
                    throw EIDError.invalidLength("certificate file \(file) has no readable DER header")
                }
                wanted = total
            }
            if r.data.count < le { break }  // short read: end of file
        }
        return wanted == Int.max ? out : Array(out.prefix(wanted))
    }

    private static func derLengthFromHeader(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4, bytes[0] == 0x30 else { return nil }
        switch bytes[1] {
        case 0..<0x80: return 2 + Int(bytes[1])
        case 0x81: return 3 + Int(bytes[2])
        case 0x82: return 4 + (Int(bytes[2]) << 8 | Int(bytes[3]))
        default: return nil
        }
    }

    private func select(_ file: EIDFile) throws {
        let r = try channel.transmit(CommandAPDU(cla: 0, ins: 0xA4, p1: 0x08, p2: 0x0C, data: file.path))
        guard r.isSuccess else {
            if r.sw == 0x6A82 { throw EIDError.fileNotFound("file \(file) (\(file.path.hex)) not on card") }
            throw Self.statusError(r.sw, "SELECT \(file)")
        }
    }

    // MARK: PIN

    /// PIN tries left without spending one: GET CARD DATA P2=01 on 1.8, an empty VERIFY on 1.7.
    /// Returns nil tries when the PIN is currently verified on 1.7 (the card then says `90 00`).
    public func pinStatus() throws -> PINStatus {
        try Self.run("PIN status") {
            if applet.isEC {
                let r = try channel.transmit(CommandAPDU(cla: 0x80, ins: 0xE4, p1: 0, p2: 1, le: 0x1F))
                guard r.isSuccess else { throw Self.statusError(r.sw, "GET CARD DATA (PIN status)") }
                let data = try CardData(bytes: r.data)
                return PINStatus(triesLeft: data.pinTriesLeft, verified: nil)
            }
            guard !applet.isLegacy else {
                throw EIDError.unsupported("applet 1.1 counts an empty VERIFY as a wrong PIN; tries cannot be read safely")
            }
            let r = try channel.transmit(CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 1))
            switch r.sw {
            case 0x9000: return PINStatus(triesLeft: nil, verified: true)
            case 0x63C0...0x63CF: return PINStatus(triesLeft: Int(r.sw2 & 0x0F), verified: false)
            case 0x6983, 0x6984: return PINStatus(triesLeft: 0, verified: false)
            default: throw Self.statusError(r.sw, "VERIFY (status)")
            }
        }
    }

    /// Presents the cardholder PIN. Throws `.pinIncorrect` with the tries left, or
    /// `.pinBlocked`. The PIN never appears in an error.
    public func verifyPIN(_ pin: PIN) throws {
        try Self.run("VERIFY PIN") {
            let r = try channel.transmit(CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 1, data: pin.block, isSensitive: true))
            try Self.checkPINResponse(r.sw, "VERIFY")
        }
    }

    /// Changes the cardholder PIN (CHANGE REFERENCE DATA). A wrong old PIN spends a try.
    public func changePIN(old: PIN, new: PIN) throws {
        try Self.run("CHANGE PIN") {
            let r = try channel.transmit(CommandAPDU(cla: 0, ins: 0x24, p1: 0, p2: 1, data: old.block + new.block, isSensitive: true))
            try Self.checkPINResponse(r.sw, "CHANGE REFERENCE DATA")
        }
    }

    /// Lets the reader's pin pad collect and present the PIN (PC/SC part 10
    /// FEATURE_VERIFY_PIN_DIRECT). Throws `.unsupported` when the reader has no pin pad,
    /// `.timeout`/`.cancelled` for the pin pad's own outcomes.
    public func verifyPINOnPinPad(language: PinPadLanguage = .dutch, timeoutSeconds: UInt8 = 30) throws {
        try Self.run("pin-pad VERIFY") {
            let features: [PCSCFeature: UInt32]
            do {
                features = try PCSCFeature.parseList(channel.control(code: PCSCFeature.getFeatureRequest, input: []))
            } catch let error as PCSCError where !error.status.meansCardGone {
                features = [:]  // readers without part-10 support refuse the request (vpcd: unsupported feature)
            }
            guard let code = features[.verifyPINDirect] else {
                throw EIDError.unsupported("the reader has no pin pad (no FEATURE_VERIFY_PIN_DIRECT)")
            }
            let answer = try channel.control(code: code, input: PinPad.verifyStructure(language: language, timeoutSeconds: timeoutSeconds))
            guard answer.count == 2 else { throw EIDError.transport("pin pad answered \(answer.count) bytes, expected a status word") }
            let sw = UInt16(answer[0]) << 8 | UInt16(answer[1])
            switch sw {
            case 0x6400: throw EIDError.timeout("no PIN entered on the pin pad in time")
            case 0x6401: throw EIDError.cancelled("PIN entry cancelled on the pin pad")
            case 0x6403: throw EIDError.invalidPIN("the pin pad reported a PIN of invalid length")
            case 0x6B80: throw EIDError.unsupported("the pin pad rejected the PIN_VERIFY structure")
            default: try Self.checkPINResponse(sw, "VERIFY (pin pad)")
            }
        }
    }

    private static func checkPINResponse(_ sw: UInt16, _ command: String) throws {
        switch sw {
        case 0x9000: return
        case 0x63C1...0x63CF: throw EIDError.pinIncorrect("wrong PIN", triesLeft: Int(sw & 0x0F))
        case 0x63C0, 0x6983, 0x6984: throw EIDError.pinBlocked("the PIN is blocked")
        case 0x6A80: throw EIDError.invalidPIN("the card refused the PIN format")
        default: throw statusError(sw, command)
        }
    }

    // MARK: Signing

    /// Signs `challenge` with the authentication key after a PIN verification: RSA PKCS#1
    /// v1.5 with SHA-256 on RSA cards, ECDSA with SHA-384 on EC cards (returned as DER).
    /// The algorithm follows the key in the authentication certificate when given, else the applet.
    public func signChallenge(_ challenge: [UInt8], key: EIDKey = .authentication, keyKind: KeyKind? = nil) throws -> EIDSignature {
        let ec = keyKind.map(\.isEC) ?? applet.isEC
        return try Self.run("signing the challenge") {
            try channel.withTransaction {
                if ec {
                    let digest = DigestAlgorithm.sha384.hash(challenge)
                    try manageSecurityEnvironment(algorithm: 0x02, key: key)
                    let raw = try computeSignature(digest)
                    let der = try ECDSASignatureFormat.der(fromRaw: raw)
                    return EIDSignature(algorithm: .ecdsaSHA384, bytes: der)
                }
                let digest = DigestAlgorithm.sha256.hash(challenge)
                try manageSecurityEnvironment(algorithm: 0x01, key: key)
                let sig = try computeSignature(HashAlgorithm.sha256.digestInfoPrefix + digest)
                return EIDSignature(algorithm: .rsaPKCS1SHA256, bytes: sig)
            }
        }
    }

    /// INTERNAL AUTHENTICATE with the basic key (1.8): the card signs a 48-byte value as a
    /// SHA-384 digest; returns r‖s (96 bytes).
    public func internalAuthenticate(_ challenge: [UInt8]) throws -> [UInt8] {
        guard applet.isEC else { throw EIDError.unsupported("INTERNAL AUTHENTICATE with the basic key needs applet 1.8") }
        guard challenge.count == 48 else { throw EIDError.invalidLength("challenge must be 48 bytes, got \(challenge.count)") }
        return try Self.run("INTERNAL AUTHENTICATE") {
            let r = try channel.transmit(CommandAPDU(cla: 0, ins: 0x88, p1: 0x02, p2: 0x81, data: [0x94, 0x30] + challenge, le: 256))
            guard r.isSuccess else { throw Self.statusError(r.sw, "INTERNAL AUTHENTICATE") }
            guard r.data.count == 96 else { throw EIDError.invalidSignatureFormat("basic-key signature of \(r.data.count) bytes") }
            return r.data
        }
    }

    /// Checks the chip is genuine (1.8): the basic public key file hashes to identity tag
    /// `1A` (covered by the RRN signature) and signs a fresh random challenge.
    public func verifyBasicKey(contents: EIDCardContents) throws -> Bool {
        guard let file = contents.files[.basicPublicKey], !file.isEmpty, let expected = contents.identity.basicKeyHash else {
            throw EIDError.unsupported("no basic key on this card")
        }
        guard DigestAlgorithm.sha384.hash(file) == expected else { return false }
        return try basicKeyChallenge(file).passed
    }

    /// Every integrity check of spec §4 on `contents` read from this card, plus, on a 1.8 card,
    /// the basic-key challenge: the chip must sign a fresh random value with the key of file
    /// `4040` (a card that copied another card's signed files but not its chip fails it).
    /// - Parameter trustedRoots: the roots the card's root certificate must match by key (nil:
    ///   the card's own root is not judged; see ``EIDCardContents/verifyIntegrity(trustedRoots:)``).
    /// - Throws: ``EIDError`` `.transport`/`.timeout` when the card stops answering; a card that
    ///   answers the challenge with an error status or a wrong signature fails the check instead.
    public func verifyIntegrity(of contents: EIDCardContents, trustedRoots: [Certificate]?) throws -> IntegrityReport {
        let report = contents.verifyIntegrity(trustedRoots: trustedRoots)
        guard applet.isEC else { return report }
        guard let file = contents.files[.basicPublicKey], !file.isEmpty else {
            return report.adding(.init(check: .basicKeyChallenge, passed: false, detail: "no basic public key (file 4040) to check the chip with"))
        }
        return report.adding(try basicKeyChallenge(file))
    }

    /// INTERNAL AUTHENTICATE over 48 fresh random bytes, verified with the key in `file` (`4040`).
    private func basicKeyChallenge(_ file: [UInt8]) throws -> IntegrityReport.Result {
        func result(_ passed: Bool, _ detail: String) -> IntegrityReport.Result {
            IntegrityReport.Result(check: .basicKeyChallenge, passed: passed, detail: detail)
        }
        guard let key = try? PublicKey(spkiDER: file), key.kind.isEC else {
            return result(false, "file 4040 is not an EC public key")
        }
        let nonce = SecureRandom.bytes(48)
        let raw: [UInt8]
        do {
            raw = try internalAuthenticate(nonce)
        } catch let error as EIDError where [.transport, .timeout].contains(error.code) {
            throw error
        } catch let error as EIDError {
            return result(false, "INTERNAL AUTHENTICATE failed: \(error.code) (\(error.reason))")
        }
        guard let der = try? ECDSASignatureFormat.der(fromRaw: raw) else {
            return result(false, "the answer to INTERNAL AUTHENTICATE is not an r‖s signature")
        }
        let ok = key.verify(signature: der, digest: nonce, algorithm: .sha384)
        return result(ok, ok ? "INTERNAL AUTHENTICATE: the chip signed a fresh challenge with the key of file 4040 (ECDSA P-384)"
                             : "INTERNAL AUTHENTICATE: the chip's signature does not verify with the key of file 4040")
    }

    private func manageSecurityEnvironment(algorithm: UInt8, key: EIDKey) throws {
        let r = try channel.transmit(CommandAPDU(cla: 0, ins: 0x22, p1: 0x41, p2: 0xB6, data: [0x04, 0x80, algorithm, 0x84, key.rawValue]))
        guard r.isSuccess else {
            if r.sw == 0x6A88 { throw EIDError.unsupported("the card has no key \(hex4(UInt16(key.rawValue)))") }
            throw Self.statusError(r.sw, "MSE SET")
        }
    }

    private func computeSignature(_ input: [UInt8]) throws -> [UInt8] {
        let r = try channel.transmit(CommandAPDU(cla: 0, ins: 0x2A, p1: 0x9E, p2: 0x9A, data: input, le: 256))
        guard r.isSuccess else {
            if r.sw == 0x6982 { throw EIDError.securityNotSatisfied("the signature needs a PIN verification first") }
            throw Self.statusError(r.sw, "PSO: COMPUTE DIGITAL SIGNATURE")
        }
        return r.data
    }

    /// Drops the card's granted rights (verified PIN).
    public func logOff() throws {
        try Self.run("LOG OFF") {
            let r = try channel.transmit(CommandAPDU(cla: 0x80, ins: 0xE6, p1: 0, p2: 0))
            guard r.isSuccess else { throw Self.statusError(r.sw, "LOG OFF") }
        }
    }

    // MARK: Errors

    static func statusError(_ sw: UInt16, _ command: String) -> EIDError {
        switch sw {
        case 0x6982: EIDError.securityNotSatisfied("\(command): security status not satisfied")
        case 0x6A82: EIDError.fileNotFound("\(command): file not found")
        case 0x6D00: EIDError.statusWord(sw, "\(command): command not available (applet not selected or not activated)")
        default: EIDError.statusWord(sw, "\(command) failed with SW \(hex4(sw))")
        }
    }

    /// Runs card I/O, turning PC/SC failures into `.transport` errors that say what happened
    /// (`.timeout` when the card did not answer in time), prefixed with the step that failed.
    static func run<R>(_ step: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as PCSCError {
            if error.status == .timeout {
                throw EIDError.timeout("\(step): the card did not answer in time: \(error)")
            }
            let what = error.status.meansCardGone ? "the card was removed or stopped answering" : "the reader failed"
            throw EIDError.transport("\(step): \(what): \(error)")
        }
    }
}

func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - s.count) + s
}

/// What the card says about its cardholder PIN.
public struct PINStatus: Sendable, Equatable, Codable {
    /// Tries left, or nil when the card did not say (1.7 with the PIN already verified).
    public let triesLeft: Int?
    /// Whether the PIN is verified now, when the card told (1.7 empty VERIFY).
    public let verified: Bool?
    public var isBlocked: Bool { triesLeft == 0 }

    public init(triesLeft: Int?, verified: Bool?) {
        self.triesLeft = triesLeft
        self.verified = verified
    }
}

/// A signature made by the card.
public struct EIDSignature: Sendable, Equatable, Codable {
    public enum Algorithm: String, Sendable, Codable {
        case rsaPKCS1SHA256 = "RSASSA-PKCS1-v1_5 SHA-256"
        case ecdsaSHA384 = "ECDSA P-384 SHA-384"
        public var digest: DigestAlgorithm { self == .ecdsaSHA384 ? .sha384 : .sha256 }
    }
    public let algorithm: Algorithm
    /// Raw RSA signature, or DER `SEQUENCE { r, s }` for ECDSA.
    public let bytes: [UInt8]

    /// Verifies the signature over `challenge` with `key` (the authentication certificate's key).
    public func verify(challenge: [UInt8], with key: PublicKey) -> Bool {
        key.verify(signature: bytes, data: challenge, algorithm: algorithm.digest)
    }
}
