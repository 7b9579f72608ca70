import CryptoCore
import Foundation
import Storage

/// Authenticator-app keys (TOTP): enrolment, confirmation, checks with replay guard, import and resync.
extension OneTimeCodesService {

    /// Creates a pending TOTP credential with a random 160-bit seed (256/512 bits for SHA-256/512).
    public func enrollTOTP(authority: ActivationAuthority, parameters: TOTPParameters = .init(), issuer: String = "Sleutel",
                           account: String) throws(OneTimeCodesError) -> TOTPEnrollment {
        try checkActivation(authority)
        try parameters.validate()
        let seed = SecureRandom.bytes(parameters.algorithm.digest.length)
        let uri = OTPAuthURI(issuer: issuer, account: account, secret: seed, parameters: parameters).string
        let qr = try QRCode(encoding: uri, errorCorrection: .medium)
        let png = try qr.png(scale: 8, quietZone: 4)
        let id = Self.newID()
        let sealed = try keyring.seal(seed, context: "totp:\(id)")
        let now = clock()
        try write { db in
            try CredentialRecord.insert(CredentialRecord(id: id, person: authority.person, kind: "totp", state: "pending", enrolledAtLevel: authority.fasLevel,
                                                         createdAt: now, secret: Data(sealed.sealed), keyID: sealed.keyID,
                                                         params: Self.totpParams(parameters)), in: db)
            try audit(db, at: now, person: authority.person, credential: id, event: "totp.enrolled", source: "")
        }
        return TOTPEnrollment(credentialID: id, secret: Base32.encode(seed), uri: uri, qrPNG: png, qrTerminal: qr.terminalText(quietZone: 4))
    }

    /// Activates a pending TOTP credential with its first valid code.
    public func confirmTOTP(person: String, credentialID: String, code: String) throws(OneTimeCodesError) {
        let accepted = try totpCheck(person: person, credentialID: credentialID, code: code, source: "", confirming: true)
        guard accepted != nil else { throw OneTimeCodesError(.rejected, "code rejected") }
    }

    /// Checks a TOTP code against the person's active TOTP credentials (window ±``OneTimeCodesConfiguration/totpWindow``,
    /// each time step accepted once).
    public func verifyTOTP(person: String, code: String, source: String) throws(OneTimeCodesError) -> VerifiedCode {
        guard let verified = try totpCheck(person: person, credentialID: nil, code: code, source: source, confirming: false) else {
            throw OneTimeCodesError(.rejected, "code rejected")
        }
        return verified
    }

    /// Checks a TOTP code of one credential (a relying service that knows the token's serial, as
    /// privacyIDEA's `serial` parameter). Same window, replay guard, lockout and rate limits.
    public func verifyTOTP(credentialID: String, code: String, source: String) throws(OneTimeCodesError) -> VerifiedCode {
        // The person comes from the credential row, inside the one write transaction of the check.
        guard let verified = try totpCheck(person: nil, credentialID: credentialID, code: code, source: source, confirming: false) else {
            throw OneTimeCodesError(.rejected, "code rejected")
        }
        return verified
    }

    /// Imports existing TOTP tokens (migration from another system, OATH CSV), all or none: each
    /// is active at once under its serial as credential id. An operator act, audited; the keys are
    /// recorded as enrolled at level 400, so they never yield more than substantial.
    /// - Returns: the number imported.
    /// - Throws: `invalidInput` (seed shorter than 80 bits, bad serial or parameters, empty person),
    ///   `alreadyExists` (a serial in use); nothing is imported then.
    @discardableResult
    public func importTOTP(_ tokens: [ImportedTOTP]) throws(OneTimeCodesError) -> Int {
        var sealed: [(token: ImportedTOTP, keyID: String, bytes: [UInt8])] = []
        for (index, token) in tokens.enumerated() {
            try token.parameters.validate()
            guard token.seed.count >= 10, token.seed.count <= 128 else {
                throw OneTimeCodesError(.invalidInput, "token \(index + 1): seed must be 10 to 128 bytes")
            }
            guard (1...64).contains(token.serial.utf8.count),
                  token.serial.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }) else {
                throw OneTimeCodesError(.invalidInput, "token \(index + 1): serial must be 1 to 64 printable characters")
            }
            guard !token.person.isEmpty else { throw OneTimeCodesError(.invalidInput, "token \(index + 1): person is empty") }
            let seal = try keyring.seal(token.seed, context: "totp:\(token.serial)")
            sealed.append((token, seal.keyID, seal.sealed))
        }
        let now = clock()
        try write { db in
            for (index, item) in sealed.enumerated() {
                guard try !CredentialRecord.exists(id: item.token.serial, in: db) else {
                    throw OneTimeCodesError(.alreadyExists, "token \(index + 1): a credential with this serial exists")
                }
                try CredentialRecord.insert(CredentialRecord(id: item.token.serial, person: item.token.person, kind: "totp", state: "active",
                                                             enrolledAtLevel: 400, createdAt: now, secret: Data(item.bytes), keyID: item.keyID,
                                                             params: Self.totpParams(item.token.parameters)), in: db)
                try audit(db, at: now, person: item.token.person, credential: item.token.serial, event: "totp.imported", source: "")
            }
        }
        return sealed.count
    }

    /// Re-aligns a drifted token from two consecutive codes (searches ±``OneTimeCodesConfiguration/resyncWindow`` steps).
    public func resyncTOTP(person: String, credentialID: String, first: String, second: String,
                           source: String) throws(OneTimeCodesError) {
        let now = clock()
        let ok: Bool = try write { db in
            guard let record = try CredentialRecord.totp(id: credentialID, person: person, state: "active", in: db),
                  try admit(db, credential: credentialID, person: person, source: source, now: now)
            else { return false }
            let (seed, parameters) = try openTOTP(record)
            let step = OTP.timeStep(now, period: parameters.period)
            let lastStep = record.lastStep
            for offset in -Int64(configuration.resyncWindow)...Int64(configuration.resyncWindow) {
                let s = step + offset
                if let lastStep, s <= lastStep { continue }
                if codeMatches(seed, step: s, parameters, first), codeMatches(seed, step: s + 1, parameters, second) {
                    try CredentialRecord.resync(id: credentialID, drift: offset + 1, lastStep: s + 1, in: db)
                    try audit(db, at: now, person: person, credential: credentialID, event: "totp.resync", source: source)
                    return true
                }
            }
            try fail(db, credential: credentialID, person: person, source: source, now: now)
            return false
        }
        guard ok else { throw OneTimeCodesError(.rejected, "codes rejected") }
    }

    private func codeMatches(_ seed: [UInt8], step: Int64, _ parameters: TOTPParameters, _ code: String) -> Bool {
        guard step >= 0 else { return false }
        let expected = OTP.hotp(secret: seed, counter: UInt64(step), digits: parameters.digits, algorithm: parameters.algorithm)
        return constantTimeEquals(Array(expected.utf8), Array(code.utf8))
    }

    private func openTOTP(_ record: CredentialRecord) throws(OneTimeCodesError) -> ([UInt8], TOTPParameters) {
        guard let secret = record.secret, let keyID = record.keyID else { throw OneTimeCodesError(.storage, "TOTP credential without a seed") }
        let seed = try keyring.open([UInt8](secret), keyID: keyID, context: "totp:\(record.id)")
        guard let parameters = Self.totpParams(record.params) else { throw OneTimeCodesError(.storage, "bad TOTP parameters") }
        return (seed, parameters)
    }

    /// - Parameter person: the credential's owner; nil with a `credentialID` to take it from the
    ///   credential (an unknown credential is then rejected without an audit row: there is no person).
    private func totpCheck(person: String?, credentialID: String?, code: String, source: String,
                           confirming: Bool) throws(OneTimeCodesError) -> VerifiedCode? {
        let now = clock()
        let wellFormed = code.count <= 8 && code.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
        let given = person
        return try write { db -> VerifiedCode? in
            let records: [CredentialRecord]
            let person: String
            if let credentialID, given == nil {
                guard let record = try CredentialRecord.activeTOTP(id: credentialID, in: db) else { return nil }
                records = [record]
                person = record.person
            } else if let credentialID, let owner = given {
                person = owner
                records = try CredentialRecord.totp(id: credentialID, person: person, state: confirming ? "pending" : "active", in: db).map { [$0] } ?? []
            } else {
                guard let owner = given else { return nil }
                person = owner
                records = try CredentialRecord.activeTOTPs(person: person, in: db)
            }
            guard !records.isEmpty else {
                try audit(db, at: now, person: person, credential: credentialID, event: "totp.unknown", source: source)
                try audit(db, at: now, person: person, credential: credentialID, event: "rejected", source: source)  // counts for the rates
                return nil
            }
            for record in records {
                let id = record.id
                guard try admit(db, credential: id, person: person, source: source, now: now) else { return nil }
                let (seed, parameters) = try openTOTP(record)
                let drift = record.drift
                let lastStep = record.lastStep
                let step = OTP.timeStep(now, period: parameters.period) + drift
                let window = Int64(configuration.totpWindow)
                guard wellFormed, code.count == parameters.digits else { continue }
                for s in (step - window)...(step + window) where codeMatches(seed, step: s, parameters, code) {
                    if let lastStep, s <= lastStep {
                        try audit(db, at: now, person: person, credential: id, event: "totp.replay", source: source)
                        try fail(db, credential: id, person: person, source: source, now: now, audited: true)
                        return nil
                    }
                    try CredentialRecord.acceptStep(id: id, step: s, in: db)
                    try succeed(db, credential: id, person: person, source: source, now: now, event: confirming ? "totp.confirmed" : "totp.used")
                    return VerifiedCode(person: person, credentialID: id, kind: .totp, enrolledAtLevel: record.enrolledAtLevel)
                }
            }
            for record in records {
                try fail(db, credential: record.id, person: person, source: source, now: now)
            }
            return nil
        }
    }

    static func totpParams(_ p: TOTPParameters) -> String { "\(p.algorithm.rawValue):\(p.digits):\(p.period)" }

    static func totpParams(_ text: String) -> TOTPParameters? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let algorithm = OTPAlgorithm(rawValue: String(parts[0])), let digits = Int(parts[1]),
              let period = Int(parts[2]) else { return nil }
        return TOTPParameters(algorithm: algorithm, digits: digits, period: period)
    }
}

/// A TOTP token brought over from another system (see ``OneTimeCodesService/importTOTP(_:)``).
public struct ImportedTOTP: Sendable {
    public let person: String
    /// The token's serial; it becomes the credential id.
    public let serial: String
    public let seed: [UInt8]
    public let parameters: TOTPParameters

    public init(person: String, serial: String, seed: [UInt8], parameters: TOTPParameters = .init()) {
        self.person = person
        self.serial = serial
        self.seed = seed
        self.parameters = parameters
    }
}
