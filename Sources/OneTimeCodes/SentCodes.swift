import CryptoCore
import Foundation
import Storage

/// Codes sent by SMS or e-mail: destinations, challenges, resends and the sending caps.
extension OneTimeCodesService {

    /// Registers a destination (pending) and sends it a confirmation code.
    public func enrollDestination(authority: ActivationAuthority, channel: OutgoingCode.Channel,
                                  destination: String) async throws(OneTimeCodesError) -> ChallengeTicket {
        try checkActivation(authority)
        let destination = try Self.normalise(destination, channel: channel)
        let id = Self.newID()
        let sealed = try keyring.seal(Array(destination.utf8), context: "destination:\(id)")
        let destinationHash = try keyring.mac("destination:" + destination, keyID: sealed.keyID)
        let now = clock()
        try write { db in
            try CredentialRecord.insert(CredentialRecord(id: id, person: authority.person, kind: channel.rawValue, state: "pending",
                                                         enrolledAtLevel: authority.fasLevel, createdAt: now, destinationSealed: Data(sealed.sealed),
                                                         destinationHash: Data(destinationHash), keyID: sealed.keyID), in: db)
            try audit(db, at: now, person: authority.person, credential: id, event: "\(channel.rawValue).enrolled", source: "")
        }
        do {
            return try await sendChallenge(person: authority.person, credentialID: id, channel: channel, purpose: "confirm")
        } catch {
            // Nothing half-done: a destination whose confirmation code never left is not kept (the
            // send still counts for the quotas).
            try? write { db in
                try ChallengeRecord.deleteAll(credentialID: id, in: db)
                try CredentialRecord.deletePending(id: id, in: db)
                try audit(db, at: clock(), person: authority.person, credential: id,
                          event: "\(channel.rawValue).abandoned", source: "")
            }
            throw error
        }
    }

    /// Activates a pending destination with the code sent to it.
    public func confirmDestination(person: String, challengeID: String, code: String) throws(OneTimeCodesError) {
        _ = try checkChallenge(id: challengeID, person: person, code: code, source: "", purpose: "confirm")
    }

    /// Sends a login code to the person's active destination of `channel`; within the cool-down of the
    /// previous code, sends that same code again.
    public func startChallenge(person: String, channel: OutgoingCode.Channel) async throws(OneTimeCodesError) -> ChallengeTicket {
        let id = try read { db in try CredentialRecord.newestActiveID(person: person, kind: channel.rawValue, in: db) }
        guard let id else { throw OneTimeCodesError(.notFound, "no active \(channel.rawValue) destination") }
        return try await sendChallenge(person: person, credentialID: id, channel: channel, purpose: "login")
    }

    /// Checks a code sent by SMS or e-mail; single use.
    public func verifyChallenge(id: String, code: String, source: String) throws(OneTimeCodesError) -> VerifiedCode {
        try checkChallenge(id: id, person: nil, code: code, source: source, purpose: "login")
    }

    /// Checks a code sent by SMS or e-mail to `person`; single use. A challenge of another person is
    /// rejected without using it up.
    public func verifyChallenge(id: String, person: String, code: String, source: String) throws(OneTimeCodesError) -> VerifiedCode {
        try checkChallenge(id: id, person: person, code: code, source: source, purpose: "login")
    }

    private func sendChallenge(person: String, credentialID: String, channel: OutgoingCode.Channel,
                               purpose: String) async throws(OneTimeCodesError) -> ChallengeTicket {
        guard let sender = senders[channel] else { throw OneTimeCodesError(.delivery, "no sender for \(channel.rawValue)") }
        let now = clock()
        let fresh = Self.randomDigits(configuration.challengeDigits)
        let challengeID = Self.newID()
        let prepared: (ticket: ChallengeTicket, code: String, destination: String, send: Bool) = try write { db in
            try ChallengeRecord.dropResendCopies(endedBefore: now, in: db)
            guard let cred = try CredentialRecord.find(id: credentialID, in: db) else { throw OneTimeCodesError(.notFound, "no such credential") }
            guard let sealedDestination = cred.destinationSealed, let keyID = cred.keyID, let destinationHash = cred.destinationHash else {
                throw OneTimeCodesError(.storage, "credential without a destination")
            }
            let destination = String(decoding: try keyring.open([UInt8](sealedDestination), keyID: keyID, context: "destination:\(credentialID)"),
                                     as: UTF8.self)
            let masked = Self.mask(destination, channel: channel)
            let refused = (ChallengeTicket(id: "", channel: channel, maskedDestination: masked, expiresAt: .distantPast), "", "", false)
            // A live challenge of the cool-down: the same challenge and code (sent again, or not at all just after a message).
            if let old = try ChallengeRecord.resendable(credentialID: credentialID, purpose: purpose, at: now, in: db), let sealedCode = old.codeSealed {
                let ticket = ChallengeTicket(id: old.id, channel: channel, maskedDestination: masked, expiresAt: old.expiresAt)
                let lastSent = try SendRecord.lastSent(destinationHash: destinationHash, in: db)
                if let lastSent, now.timeIntervalSince(lastSent) < configuration.minimumResendInterval {
                    try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).resend.skipped", source: "")
                    return (ticket, "", "", false)
                }
                guard try withinQuota(db, person: person, destinationHash: destinationHash, now: now) else {
                    try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).quota", source: "")
                    return refused
                }
                let code = String(decoding: try keyring.open([UInt8](sealedCode), keyID: old.keyID, context: "challenge:\(old.id)"), as: UTF8.self)
                try SendRecord.insert(SendRecord(person: person, destinationHash: destinationHash, sentAt: now), in: db)
                try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).resent", source: "")
                return (ticket, code, destination, true)
            }
            guard try withinQuota(db, person: person, destinationHash: destinationHash, now: now) else {
                try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).quota", source: "")
                return refused
            }
            let sealed = try keyring.seal(Array(fresh.utf8), context: "challenge:\(challengeID)")
            let hash = try keyring.mac("\(challengeID):\(fresh)", keyID: sealed.keyID)
            let expires = Date(timeIntervalSince1970: now.timeIntervalSince1970 + configuration.challengeValidity)
            try ChallengeRecord.insert(ChallengeRecord(id: challengeID, credentialID: credentialID, person: person, channel: channel.rawValue,
                                                       purpose: purpose, codeHash: Data(hash), codeSealed: Data(sealed.sealed), keyID: sealed.keyID,
                                                       createdAt: now, expiresAt: expires, resendUntil: now.addingTimeInterval(configuration.resendCoolDown)),
                                       in: db)
            try SendRecord.insert(SendRecord(person: person, destinationHash: destinationHash, sentAt: now), in: db)
            try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).sent", source: "")
            return (ChallengeTicket(id: challengeID, channel: channel, maskedDestination: masked, expiresAt: expires), fresh, destination, true)
        }
        guard !prepared.ticket.id.isEmpty else { throw OneTimeCodesError(.quotaExceeded, "sending quota used up") }
        guard prepared.send else { return prepared.ticket }
        let minutes = max(1, Int((configuration.challengeValidity / 60).rounded(.up)))
        try await sender.send(OutgoingCode(channel: channel, destination: prepared.destination, code: prepared.code, validMinutes: minutes))
        return prepared.ticket
    }

    /// Whether one more message stays within the hourly and daily quotas of the person and of the destination.
    private func withinQuota(_ db: SQLConnection, person: String, destinationHash: Data, now: Date) throws(StorageError) -> Bool {
        let hour = now.addingTimeInterval(-configuration.quotaPeriod), day = now.addingTimeInterval(-86_400)
        guard try SendRecord.count(person: person, since: hour, in: db) < configuration.quotaPerPerson,
              try SendRecord.count(destinationHash: destinationHash, since: hour, in: db) < configuration.quotaPerDestination,
              try SendRecord.count(person: person, since: day, in: db) < configuration.dailyQuotaPerPerson,
              try SendRecord.count(destinationHash: destinationHash, since: day, in: db) < configuration.dailyQuotaPerDestination
        else { return false }
        return true
    }

    private func checkChallenge(id: String, person expectedPerson: String?, code: String, source: String,
                                purpose: String) throws(OneTimeCodesError) -> VerifiedCode {
        let now = clock()
        let verified: VerifiedCode? = try write { db in
            guard let found = try ChallengeRecord.withCredential(id: id, in: db) else {
                try audit(db, at: now, person: nil, credential: nil, event: "challenge.unknown", source: source)
                return nil
            }
            let challenge = found.challenge
            let person = challenge.person
            let credentialID = challenge.credentialID
            if let expectedPerson, expectedPerson != person {
                try audit(db, at: now, person: expectedPerson, credential: nil, event: "challenge.wrongperson", source: source)
                try audit(db, at: now, person: expectedPerson, credential: nil, event: "rejected", source: source)
                return nil
            }
            guard try admit(db, credential: credentialID, person: person, source: source, now: now) else { return nil }
            let expected = [UInt8](challenge.codeHash)
            let actual = try keyring.mac("\(id):\(code)", keyID: challenge.keyID)
            let state = found.state
            guard constantTimeEquals(expected, actual) else {
                try fail(db, credential: credentialID, person: person, source: source, now: now)
                return nil
            }
            let used = challenge.used
            guard !used, challenge.expiresAt > now, challenge.purpose == purpose, state == (purpose == "confirm" ? "pending" : "active") else {
                try audit(db, at: now, person: person, credential: credentialID, event: used ? "challenge.replay" : "challenge.expired", source: source)
                try fail(db, credential: credentialID, person: person, source: source, now: now, audited: true)
                return nil
            }
            try ChallengeRecord.markUsed(id: id, in: db)
            if purpose == "confirm" { try CredentialRecord.activate(id: credentialID, in: db) }
            let kind = CredentialKind(rawValue: found.kind) ?? .sms
            try succeed(db, credential: credentialID, person: person, source: source, now: now,
                        event: "\(kind.rawValue).\(purpose == "confirm" ? "confirmed" : "used")")
            return VerifiedCode(person: person, credentialID: credentialID, kind: kind, enrolledAtLevel: found.enrolledAtLevel)
        }
        guard let verified else { throw OneTimeCodesError(.rejected, "code rejected") }
        return verified
    }
}
