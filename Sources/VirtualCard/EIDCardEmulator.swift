import CryptoCore

/// A Belgian eID (Belpic applet 1.7/1.8) as a pure state machine: one command APDU in, one
/// response APDU (data ‖ SW1 SW2) out. No I/O; ``VirtualCardConnection`` puts it behind vpcd.
///
/// Session state (current DF/EF, security environment, PIN rights, pending response) is
/// cleared by ``reset()``; the PIN, its try counter and the INTERNAL AUTHENTICATE counter
/// persist, as on a real card.
///
/// ``process(_:)`` never traps: any byte string yields a response of at least two bytes.
public struct EIDCardEmulator: Sendable {
    /// The card contents.
    public let image: CardImage

    // Persistent ("EEPROM") state.
    private var pin: [UInt8]
    /// PIN tries left (0 = blocked).
    public private(set) var pinTriesLeft: Int
    private var internalAuthenticateCount = 0

    // Session ("RAM") state.
    private var currentDF: UInt16 = FileTree.mf
    private var currentEF: (parent: UInt16, fid: UInt16)?
    private var environment: SecurityEnvironment?
    private var pendingResponse: [UInt8]?
    private var authRight = false
    private var pendingVerify: UInt64?
    private var commandIndex: UInt64 = 0

    /// Number of APDUs processed since creation.
    public var commandCount: UInt64 { commandIndex }

    /// True while a PIN right is held (either the "once" right or a fresh VERIFY).
    public var isPINVerified: Bool { authRight || pendingVerify != nil }

    static let appletAID: [UInt8] = [0xA0, 0x00, 0x00, 0x00, 0x30, 0x29, 0x05, 0x70, 0x00, 0xAD, 0x13, 0x10, 0x01, 0x01, 0xFF]
    static let idFilesAID: [UInt8] = [0xA0, 0x00, 0x00, 0x01, 0x77, 0x49, 0x64, 0x46, 0x69, 0x6C, 0x65, 0x73]
    static let maxPINTries = 3
    static let maxInternalAuthenticate = 5000

    public init(image: CardImage) {
        self.image = image
        pin = image.pinDigits
        pinTriesLeft = image.initialPINTries
    }

    /// The answer-to-reset.
    public var atr: [UInt8] { image.atr }

    /// Card reset or power cycle: drops the session state and PIN rights.
    public mutating func reset() {
        currentDF = FileTree.mf
        currentEF = nil
        environment = nil
        pendingResponse = nil
        clearRights()
    }

    /// Processes one command APDU and returns the full response APDU including SW1 SW2.
    public mutating func process(_ apdu: [UInt8]) -> [UInt8] {
        commandIndex &+= 1
        let pending = pendingResponse
        pendingResponse = nil
        ageVerify()

        guard apdu.count >= 4 else { return SW.wrongLength }
        guard apdu[0] == 0x00 || apdu[0] == 0x80 else { return SW.claNotSupported }
        guard let command = Command(apdu) else { return SW.wrongLength }
        let proprietary = command.cla == 0x80

        switch command.ins {
        case 0xA4 where !proprietary: return select(command)
        case 0xB0 where !proprietary: return readBinary(command)
        case 0xE4 where proprietary: return getCardData(command)
        case 0x20 where !proprietary: return verify(command)
        case 0x24 where !proprietary: return changeReferenceData(command)
        case 0x22 where !proprietary: return manageSecurityEnvironment(command)
        case 0x2A where !proprietary: return computeDigitalSignature(command)
        case 0xC0 where !proprietary: return getResponse(command, pending: pending)
        case 0x88 where !proprietary: return internalAuthenticate(command)
        case 0x84 where !proprietary: return getChallenge(command)
        case 0xE6 where proprietary: return logOff(command)
        case 0xB2 where proprietary: return readRecord(command)
        case 0xA4, 0xB0, 0xE4, 0x20, 0x24, 0x22, 0x2A, 0xC0, 0x88, 0x84, 0xE6, 0xB2: return SW.claNotSupported
        default: return SW.insNotSupported
        }
    }

    // MARK: - PIN rights (§5.5)

    private mutating func clearRights() {
        authRight = false
        pendingVerify = nil
    }

    /// A VERIFY older than the non-repudiation window turns into the "PIN once" right.
    private mutating func ageVerify() {
        if let verified = pendingVerify, commandIndex &- verified &- 1 > UInt64(image.nonRepudiationWindow) {
            authRight = true
            pendingVerify = nil
        }
    }

    private mutating func grantVerify() {
        pendingVerify = commandIndex
        pinTriesLeft = Self.maxPINTries
        internalAuthenticateCount = 0
    }

    private mutating func wrongPIN() -> [UInt8] {
        pinTriesLeft = max(0, pinTriesLeft - 1)
        clearRights()
        return SW.wrongPIN(triesLeft: pinTriesLeft)
    }

    // MARK: - File system

    private mutating func select(_ c: Command) -> [UInt8] {
        guard c.p2 == 0x00 || c.p2 == 0x0C else { return SW.wrongP1P2 }
        let tree = image.tree
        switch c.p1 {
        case 0x04:
            guard (5...16).contains(c.data.count) else { return c.data.isEmpty ? SW.fileNotFound : SW.lcInconsistent }
            switch c.data {
            case Self.appletAID: currentDF = FileTree.mf
            case PKCS15.pkcs15AID: currentDF = 0xDF00
            case Self.idFilesAID: currentDF = 0xDF01
            default: return SW.fileNotFound
            }
            currentEF = nil
            return SW.ok
        case 0x02:
            guard c.data.count == 2 else { return SW.lcInconsistent }
            let fid = UInt16(c.data[0]) << 8 | UInt16(c.data[1])
            if fid == FileTree.mf { return enter(.df(FileTree.mf)) }
            guard let node = tree.child(fid, of: currentDF) else { return SW.fileNotFound }
            return enter(node)
        case 0x08:
            guard c.data.count >= 2, c.data.count % 2 == 0 else { return SW.lcInconsistent }
            var fids = stride(from: 0, to: c.data.count, by: 2).map { UInt16(c.data[$0]) << 8 | UInt16(c.data[$0 + 1]) }
            if fids.first == FileTree.mf { fids.removeFirst() }
            var node = FileTree.Node.df(FileTree.mf)
            for fid in fids {
                guard case .df(let df) = node, let next = tree.child(fid, of: df) else { return SW.fileNotFound }
                node = next
            }
            return enter(node)
        default:
            return SW.wrongP1P2
        }
    }

    private mutating func enter(_ node: FileTree.Node) -> [UInt8] {
        switch node {
        case .df(let df):
            currentDF = df
            currentEF = nil
        case .ef(let parent, let fid):
            currentDF = parent
            currentEF = (parent, fid)
        }
        return SW.ok
    }

    private var currentFile: [UInt8]? {
        currentEF.flatMap { image.tree.content(parent: $0.parent, $0.fid) }
    }

    private func readBinary(_ c: Command) -> [UInt8] {
        guard c.p1 & 0x80 == 0 else { return SW.wrongParameters }
        guard c.data.isEmpty, let le = c.le else { return SW.wrongLength }
        guard let content = currentFile else { return SW.noCurrentEF }
        let offset = Int(c.p1) << 8 | Int(c.p2)
        guard offset < content.count else { return SW.wrongParameters }
        let remaining = content.count - offset
        guard le <= remaining else { return SW.wrongLe(remaining) }
        return Array(content[offset..<offset + le]) + SW.ok
    }

    /// READ RECORD on the structured ID/address files (1.8, §2.4): the TLV fields with tags P1…P2.
    private func readRecord(_ c: Command) -> [UInt8] {
        guard image.applet == .v18 else { return SW.insNotSupported }
        guard let ef = currentEF, let content = currentFile else { return SW.noCurrentEF }
        guard ef.parent == 0xDF01, ef.fid == 0x4031 || ef.fid == 0x4033 else { return SW.notStructured }
        guard c.data.isEmpty, let le = c.le else { return SW.wrongLength }
        guard c.p2 >= c.p1 else { return SW.recordNotFound }
        var out: [UInt8] = []
        var index = 0
        while index + 2 <= content.count {
            let tag = content[index], length = Int(content[index + 1])
            if tag == 0, index > 0 { break }
            guard index + 2 + length <= content.count else { break }
            if (c.p1...c.p2).contains(tag) { out += content[index..<index + 2 + length] }
            index += 2 + length
        }
        guard !out.isEmpty else { return SW.recordNotFound }
        if le == 256 || le == out.count {
            return out.count <= le ? out + SW.ok : Array(out.prefix(le)) + SW.moreData(out.count - le)
        }
        return out.count <= 255 ? SW.wrongLe(out.count) : SW.wrongLength
    }

    // MARK: - Card data

    private func getCardData(_ c: Command) -> [UInt8] {
        guard c.p1 == 0x00, c.data.isEmpty else { return c.data.isEmpty ? SW.wrongParameters : SW.wrongLength }
        switch c.p2 {
        case 0x00:
            guard c.le == image.cardData.count else { return SW.wrongLe(image.cardData.count) }
            return image.cardData + SW.ok
        case 0x01 where image.applet == .v18:
            let body = image.cardData + [UInt8(pinTriesLeft), 0xFF, 0xFF]
            guard c.le == body.count else { return SW.wrongLe(body.count) }
            return body + SW.ok
        default:
            return SW.wrongParameters
        }
    }

    // MARK: - PIN commands

    private mutating func verify(_ c: Command) -> [UInt8] {
        guard c.p1 == 0x00 else { return SW.wrongP1P2 }
        guard c.p2 == 0x01 else { return SW.referenceNotFound }
        if c.data.isEmpty {
            // Case 1 or Lc = 00: status query, no counter change on 1.7/1.8.
            guard c.p3 == nil || c.p3 == 0 else { return SW.wrongLength }
            if pinTriesLeft == 0 { return SW.pinBlocked }
            return isPINVerified ? SW.ok : SW.wrongPIN(triesLeft: pinTriesLeft)
        }
        guard c.data.count == 8 else { return SW.wrongLength }
        guard let digits = PINBlockCodec.decode(c.data[...]) else { return SW.wrongData }
        if pinTriesLeft == 0 { return SW.pinBlocked }
        guard digits == pin else { return wrongPIN() }
        grantVerify()
        return SW.ok
    }

    private mutating func changeReferenceData(_ c: Command) -> [UInt8] {
        guard c.p1 == 0x00 else { return SW.wrongP1P2 }
        guard c.p2 == 0x01 else { return SW.referenceNotFound }
        guard c.data.count == 16 else { return SW.wrongLength }
        guard let old = PINBlockCodec.decode(c.data[0..<8]), let new = PINBlockCodec.decode(c.data[8..<16]) else {
            return SW.wrongData
        }
        if pinTriesLeft == 0 { return SW.pinBlocked }
        guard old == pin else { return wrongPIN() }
        pin = new
        grantVerify()
        return SW.ok
    }

    private mutating func logOff(_ c: Command) -> [UInt8] {
        guard c.p1 == 0x00, c.p2 == 0x00 else { return SW.wrongP1P2 }
        clearRights()
        return SW.ok
    }

    // MARK: - Signing

    private mutating func manageSecurityEnvironment(_ c: Command) -> [UInt8] {
        guard c.p1 == 0x41, c.p2 == 0xB6 else { return SW.wrongP1P2 }
        environment = nil
        guard c.data.count == 5 else { return SW.wrongLength }
        guard c.data[0] == 0x04, c.data[1] == 0x80, c.data[3] == 0x84 else { return SW.wrongData }
        let reference = c.data[4]
        let key: PrivateKey?
        switch reference {
        case 0x81: key = image.basicKey
        case 0x82: key = image.authKey
        case 0x83: key = image.signKey
        default: return SW.referenceNotFound
        }
        guard let key else { return SW.referenceNotFound }
        guard let algorithm = SigningAlgorithm(reference: c.data[2], ec: key.kind.isEC) else { return SW.wrongData }
        environment = SecurityEnvironment(key: reference, algorithm: algorithm)
        return SW.ok
    }

    private mutating func computeDigitalSignature(_ c: Command) -> [UInt8] {
        guard c.p1 == 0x9E, c.p2 == 0x9A else { return SW.wrongP1P2 }
        guard let environment else { return SW.conditionsNotSatisfied }
        guard !c.data.isEmpty else { return SW.wrongLength }
        let key: PrivateKey?
        switch environment.key {
        case 0x82:
            guard isPINVerified else { return SW.securityNotSatisfied }
            key = image.authKey
        case 0x83:
            guard pendingVerify != nil else { return SW.securityNotSatisfied }
            key = image.signKey
        default:
            return SW.conditionsNotSatisfied  // the basic key signs only through INTERNAL AUTHENTICATE
        }
        guard let key, let signature = environment.algorithm.sign(c.data, with: key) else { return SW.wrongData }
        if environment.key == 0x83 {
            pendingVerify = nil  // consumed: does not become the "once" right
        } else if pendingVerify != nil {
            authRight = true
        }
        pendingResponse = signature
        return SW.moreData(signature.count)
    }

    private mutating func internalAuthenticate(_ c: Command) -> [UInt8] {
        guard image.applet == .v18 else { return SW.insNotSupported }
        guard c.p2 == 0x81 else { return SW.referenceNotFound }
        let length: Int
        switch c.p1 {
        case 0x01: length = 32
        case 0x02: length = 48
        case 0x04: length = 64
        default: return SW.wrongP1P2
        }
        guard let key = image.basicKey else { return SW.referenceNotFound }
        guard c.data.count == 2 + length, c.data[0] == 0x94, Int(c.data[1]) == length else { return SW.wrongData }
        guard internalAuthenticateCount < Self.maxInternalAuthenticate else { return SW.conditionsNotSatisfied }
        guard let signature = SigningAlgorithm.ecdsa(lengths: [length]).sign(Array(c.data[2...]), with: key) else {
            return SW.noDiagnosis
        }
        internalAuthenticateCount += 1
        environment = nil
        pendingResponse = signature
        return SW.moreData(signature.count)
    }

    // MARK: - Other commands

    private mutating func getResponse(_ c: Command, pending: [UInt8]?) -> [UInt8] {
        guard c.p1 == 0x00, c.p2 == 0x00 else {
            pendingResponse = pending
            return SW.wrongP1P2
        }
        guard let pending else { return SW.conditionsNotSatisfied }
        guard c.data.isEmpty, let le = c.le else {
            pendingResponse = pending
            return SW.wrongLength
        }
        if le > pending.count {
            pendingResponse = pending
            return SW.wrongLe(pending.count)
        }
        if le < pending.count {
            pendingResponse = Array(pending[le...])
            return Array(pending[..<le]) + SW.moreData(pending.count - le)
        }
        return pending + SW.ok
    }

    private func getChallenge(_ c: Command) -> [UInt8] {
        guard c.p1 == 0x00, c.p2 == 0x00 else { return SW.wrongP1P2 }
        guard c.data.isEmpty, let le = c.le else { return SW.wrongLength }
        return SecureRandom.bytes(le) + SW.ok
    }
}

// MARK: - Supporting types

/// A parsed short-length command APDU.
struct Command {
    let cla, ins, p1, p2: UInt8
    let data: [UInt8]
    /// Expected response length (1…256), nil when absent.
    let le: Int?
    /// The raw fifth byte when the APDU is exactly 5 bytes long (Le, or an Lc of zero).
    let p3: UInt8?

    /// Nil when the length bytes are inconsistent (or extended length is used).
    init?(_ apdu: [UInt8]) {
        guard apdu.count >= 4 else { return nil }
        cla = apdu[0]
        ins = apdu[1]
        p1 = apdu[2]
        p2 = apdu[3]
        switch apdu.count {
        case 4:
            data = []
            le = nil
            p3 = nil
        case 5:
            data = []
            le = apdu[4] == 0 ? 256 : Int(apdu[4])
            p3 = apdu[4]
        default:
            let lc = Int(apdu[4])
            guard lc > 0 else { return nil }
            p3 = nil
            if apdu.count == 5 + lc {
                data = Array(apdu[5...])
                le = nil
            } else if apdu.count == 6 + lc {
                data = Array(apdu[5..<5 + lc])
                le = apdu[5 + lc] == 0 ? 256 : Int(apdu[5 + lc])
            } else {
                return nil
            }
        }
    }
}

struct SecurityEnvironment {
    let key: UInt8
    let algorithm: SigningAlgorithm
}

/// The MSE SET algorithm byte, interpreted for the key type (§6.1). The hash is always
/// computed by the host.
enum SigningAlgorithm {
    /// RSA PKCS#1 v1.5 over a host-supplied DigestInfo.
    case rsaDigestInfo
    /// RSA PKCS#1 v1.5; the card prepends the DigestInfo prefix to a bare hash.
    case rsaHash(prefix: [UInt8], length: Int)
    /// RSASSA-PSS over a bare hash.
    case rsaPSS(DigestAlgorithm)
    /// ECDSA over a bare hash of one of `lengths`; output r ‖ s.
    case ecdsa(lengths: Set<Int>)

    init?(reference: UInt8, ec: Bool) {
        if ec {
            switch reference {
            case 0x01, 0x08: self = .ecdsa(lengths: [32])
            case 0x02, 0x10: self = .ecdsa(lengths: [48])
            case 0x04, 0x20: self = .ecdsa(lengths: [64])
            case 0x40: self = .ecdsa(lengths: [20, 28, 32, 48, 64])
            default: return nil
            }
        } else {
            switch reference {
            case 0x01: self = .rsaDigestInfo
            case 0x02: self = .rsaHash(prefix: DigestInfoPrefix.sha1, length: 20)
            case 0x04: self = .rsaHash(prefix: DigestInfoPrefix.md5, length: 16)
            case 0x08: self = .rsaHash(prefix: DigestInfoPrefix.sha256, length: 32)
            case 0x10: self = .rsaPSS(.sha1)
            case 0x20: self = .rsaPSS(.sha256)
            default: return nil
            }
        }
    }

    /// The signature, or nil when the input does not fit the algorithm or the key.
    func sign(_ input: [UInt8], with key: PrivateKey) -> [UInt8]? {
        switch (self, key.kind) {
        case (.rsaDigestInfo, .rsa(let bits)):
            guard input.count <= (bits + 7) / 8 - 11 else { return nil }
            return try? key.rsaSignPKCS1(payload: input)
        case (.rsaHash(let prefix, let length), .rsa):
            guard input.count == length else { return nil }
            return try? key.rsaSignPKCS1(payload: prefix + input)
        case (.rsaPSS(let digest), .rsa):
            guard input.count == digest.length else { return nil }
            return try? key.rsaSignPSS(digest: input, algorithm: digest)
        case (.ecdsa(let lengths), .ec(_, let bits)):
            guard lengths.contains(input.count), let der = try? key.ecdsaSign(digest: input) else { return nil }
            return ECDSASignature.raw(fromDER: der, componentLength: (bits + 7) / 8)
        default:
            return nil
        }
    }
}

/// Status words the applet uses.
enum SW {
    static let ok: [UInt8] = [0x90, 0x00]
    static let noDiagnosis: [UInt8] = [0x64, 0x00]
    static let wrongLength: [UInt8] = [0x67, 0x00]
    static let notStructured: [UInt8] = [0x69, 0x81]
    static let securityNotSatisfied: [UInt8] = [0x69, 0x82]
    static let pinBlocked: [UInt8] = [0x69, 0x83]
    static let conditionsNotSatisfied: [UInt8] = [0x69, 0x85]
    static let noCurrentEF: [UInt8] = [0x69, 0x86]
    static let wrongData: [UInt8] = [0x6A, 0x80]
    static let fileNotFound: [UInt8] = [0x6A, 0x82]
    static let recordNotFound: [UInt8] = [0x6A, 0x83]
    static let wrongP1P2: [UInt8] = [0x6A, 0x86]
    static let lcInconsistent: [UInt8] = [0x6A, 0x87]
    static let referenceNotFound: [UInt8] = [0x6A, 0x88]
    static let wrongParameters: [UInt8] = [0x6B, 0x00]
    static let insNotSupported: [UInt8] = [0x6D, 0x00]
    static let claNotSupported: [UInt8] = [0x6E, 0x00]

    static func wrongPIN(triesLeft: Int) -> [UInt8] { [0x63, 0xC0 | UInt8(min(max(triesLeft, 0), 15))] }
    /// `6C xx`: resend with Le = `count` (1…256; 256 → `00`).
    static func wrongLe(_ count: Int) -> [UInt8] { [0x6C, UInt8(truncatingIfNeeded: count)] }
    /// `61 xx`: `count` bytes waiting for GET RESPONSE (≥ 256 → `00`).
    static func moreData(_ count: Int) -> [UInt8] { [0x61, count >= 256 ? 0x00 : UInt8(count)] }
}
