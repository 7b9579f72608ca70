import CryptoCore
import Foundation
import GRDB

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
        let now = clock().timeIntervalSince1970
        try write { db in
            try db.execute(sql: """
                INSERT INTO otp_credential (id, person, kind, state, enrolled_at_level, created_at, destination_sealed, destination_hash, key_id)
                VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?)
                """, arguments: [id, authority.person, channel.rawValue, authority.fasLevel, now, Data(sealed.sealed),
                                 Data(destinationHash), sealed.keyID])
            try audit(db, at: now, person: authority.person, credential: id, event: "\(channel.rawValue).enrolled", source: "")
        }
        do {
            return try await sendChallenge(person: authority.person, credentialID: id, channel: channel, purpose: "confirm")
        } catch {
            // Nothing half-done: a destination whose confirmation code never left is not kept (the
            // send still counts for the quotas).
            try? write { db in
                try db.execute(sql: "DELETE FROM otp_challenge WHERE credential_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM otp_credential WHERE id = ? AND state = 'pending'", arguments: [id])
                try audit(db, at: clock().timeIntervalSince1970, person: authority.person, credential: id,
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
        let id = try read { db in
            try String.fetchOne(db, sql: "SELECT id FROM otp_credential WHERE person = ? AND kind = ? AND state = 'active' ORDER BY created_at DESC LIMIT 1",
                                arguments: [person, channel.rawValue])
        }
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
        let now = clock().timeIntervalSince1970
        let fresh = Self.randomDigits(configuration.challengeDigits)
        let challengeID = Self.newID()
        let prepared: (ticket: ChallengeTicket, code: String, destination: String, send: Bool) = try write { db in
            try db.execute(sql: "UPDATE otp_challenge SET code_sealed = NULL WHERE resend_until < ? AND code_sealed IS NOT NULL", arguments: [now])
            guard let cred = try Row.fetchOne(db, sql: "SELECT * FROM otp_credential WHERE id = ?", arguments: [credentialID]) else {
                throw OneTimeCodesError(.notFound, "no such credential")
            }
            let destination = String(decoding: try keyring.open([UInt8](cred["destination_sealed"] as Data), keyID: cred["key_id"],
                                                                context: "destination:\(credentialID)"), as: UTF8.self)
            let destinationHash: Data = cred["destination_hash"]
            let masked = Self.mask(destination, channel: channel)
            let refused = (ChallengeTicket(id: "", channel: channel, maskedDestination: masked, expiresAt: .distantPast), "", "", false)
            // A live challenge of the cool-down: the same challenge and code (sent again, or not at all just after a message).
            if let old = try Row.fetchOne(db, sql: """
                SELECT id, code_sealed, key_id, expires_at FROM otp_challenge
                WHERE credential_id = ? AND purpose = ? AND used = 0 AND code_sealed IS NOT NULL AND resend_until >= ? AND expires_at > ?
                ORDER BY created_at DESC LIMIT 1
                """, arguments: [credentialID, purpose, now, now]) {
                let oldID: String = old["id"]
                let ticket = ChallengeTicket(id: oldID, channel: channel, maskedDestination: masked, expiresAt: Date(timeIntervalSince1970: old["expires_at"]))
                let lastSent = try Double.fetchOne(db, sql: "SELECT MAX(sent_at) FROM otp_send WHERE destination_hash = ?", arguments: [destinationHash]) ?? nil
                if let lastSent, now - lastSent < configuration.minimumResendInterval {
                    try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).resend.skipped", source: "")
                    return (ticket, "", "", false)
                }
                guard try withinQuota(db, person: person, destinationHash: destinationHash, now: now) else {
                    try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).quota", source: "")
                    return refused
                }
                let code = String(decoding: try keyring.open([UInt8](old["code_sealed"] as Data), keyID: old["key_id"],
                                                             context: "challenge:\(oldID)"), as: UTF8.self)
                try db.execute(sql: "INSERT INTO otp_send (person, destination_hash, sent_at) VALUES (?, ?, ?)", arguments: [person, destinationHash, now])
                try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).resent", source: "")
                return (ticket, code, destination, true)
            }
            guard try withinQuota(db, person: person, destinationHash: destinationHash, now: now) else {
                try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).quota", source: "")
                return refused
            }
            let sealed = try keyring.seal(Array(fresh.utf8), context: "challenge:\(challengeID)")
            let hash = try keyring.mac("\(challengeID):\(fresh)", keyID: sealed.keyID)
            let expires = now + configuration.challengeValidity
            try db.execute(sql: """
                INSERT INTO otp_challenge (id, credential_id, person, channel, purpose, code_hash, code_sealed, key_id, created_at, expires_at, resend_until)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [challengeID, credentialID, person, channel.rawValue, purpose, Data(hash), Data(sealed.sealed), sealed.keyID,
                                 now, expires, now + configuration.resendCoolDown])
            try db.execute(sql: "INSERT INTO otp_send (person, destination_hash, sent_at) VALUES (?, ?, ?)", arguments: [person, destinationHash, now])
            try audit(db, at: now, person: person, credential: credentialID, event: "\(channel.rawValue).sent", source: "")
            return (ChallengeTicket(id: challengeID, channel: channel, maskedDestination: masked,
                                    expiresAt: Date(timeIntervalSince1970: expires)), fresh, destination, true)
        }
        guard !prepared.ticket.id.isEmpty else { throw OneTimeCodesError(.quotaExceeded, "sending quota used up") }
        guard prepared.send else { return prepared.ticket }
        let minutes = max(1, Int((configuration.challengeValidity / 60).rounded(.up)))
        try await sender.send(OutgoingCode(channel: channel, destination: prepared.destination, code: prepared.code, validMinutes: minutes))
        return prepared.ticket
    }

    /// Whether one more message stays within the hourly and daily quotas of the person and of the destination.
    private func withinQuota(_ db: GRDB.Database, person: String, destinationHash: Data, now: Double) throws -> Bool {
        let count = { (column: String, value: any DatabaseValueConvertible, period: TimeInterval) throws -> Int in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM otp_send WHERE \(column) = ? AND sent_at > ?"),
                             arguments: [value, now - period]) ?? 0
        }
        return try count("person", person, configuration.quotaPeriod) < configuration.quotaPerPerson
            && count("destination_hash", destinationHash, configuration.quotaPeriod) < configuration.quotaPerDestination
            && count("person", person, 86_400) < configuration.dailyQuotaPerPerson
            && count("destination_hash", destinationHash, 86_400) < configuration.dailyQuotaPerDestination
    }

    private func checkChallenge(id: String, person expectedPerson: String?, code: String, source: String,
                                purpose: String) throws(OneTimeCodesError) -> VerifiedCode {
        let now = clock().timeIntervalSince1970
        let verified: VerifiedCode? = try write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.*, k.kind, k.enrolled_at_level, k.state FROM otp_challenge c JOIN otp_credential k ON k.id = c.credential_id WHERE c.id = ?
                """, arguments: [id]) else {
                try audit(db, at: now, person: nil, credential: nil, event: "challenge.unknown", source: source)
                return nil
            }
            let person: String = row["person"]
            let credentialID: String = row["credential_id"]
            if let expectedPerson, expectedPerson != person {
                try audit(db, at: now, person: expectedPerson, credential: nil, event: "challenge.wrongperson", source: source)
                try audit(db, at: now, person: expectedPerson, credential: nil, event: "rejected", source: source)
                return nil
            }
            guard try admit(db, credential: credentialID, person: person, source: source, now: now) else { return nil }
            let expected = [UInt8](row["code_hash"] as Data)
            let actual = try keyring.mac("\(id):\(code)", keyID: row["key_id"])
            let state: String = row["state"]
            guard constantTimeEquals(expected, actual) else {
                try fail(db, credential: credentialID, person: person, source: source, now: now)
                return nil
            }
            let expires: Double = row["expires_at"]
            let used: Bool = row["used"]
            let rowPurpose: String = row["purpose"]
            guard !used, expires > now, rowPurpose == purpose, state == (purpose == "confirm" ? "pending" : "active") else {
                try audit(db, at: now, person: person, credential: credentialID, event: used ? "challenge.replay" : "challenge.expired", source: source)
                try fail(db, credential: credentialID, person: person, source: source, now: now, audited: true)
                return nil
            }
            try db.execute(sql: "UPDATE otp_challenge SET used = 1, code_sealed = NULL WHERE id = ?", arguments: [id])
            if purpose == "confirm" {
                try db.execute(sql: "UPDATE otp_credential SET state = 'active' WHERE id = ?", arguments: [credentialID])
            }
            let kind = CredentialKind(rawValue: row["kind"]) ?? .sms
            try succeed(db, credential: credentialID, person: person, source: source, now: now,
                        event: "\(kind.rawValue).\(purpose == "confirm" ? "confirmed" : "used")")
            return VerifiedCode(person: person, credentialID: credentialID, kind: kind, enrolledAtLevel: row["enrolled_at_level"])
        }
        guard let verified else { throw OneTimeCodesError(.rejected, "code rejected") }
        return verified
    }
}
