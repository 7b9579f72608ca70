import CryptoCore
import Foundation
import OneTimeCodes
import SleutelTestSupport
import Testing
@testable import Sessions

extension AttackSuite {
    /// A captured card answer used again, or for a transaction it was not made for.
    @Suite("Challenges: eID challenge-response through SessionService")
    struct ChallengeAttacks {
        @Test("replayed challenge: after success, after a failure, after expiry, 16 parallel copies, and over HTTP")
        func replayedChallenge() async throws {
            let attempts = Attempts(.replayedChallenge)
            let fixture = try SessionsFixture(at: Date())
            let service = fixture.service
            let card = try TestCard("specimen-1.8", ec: true)

            // The legitimate login succeeds; the captured answer is then sent again, twice.
            let challenge = try service.beginEIDLogin(application: "eloket")
            let answer = try card.sign(challenge.toBeSigned)
            _ = try service.completeEIDLogin(transactionID: challenge.transactionID, signature: answer, certificate: card.certificate,
                                             intermediates: card.intermediates)
            for round in 1...2 {
                attempts.refused(.challengeInvalid, "replay \(round) after success") {
                    try service.completeEIDLogin(transactionID: challenge.transactionID, signature: answer, certificate: card.certificate,
                                                 intermediates: card.intermediates)
                }
            }
            // A failed answer burns the challenge: the good answer afterwards is a replay.
            let burnt = try service.beginEIDLogin(application: "eloket")
            _ = try? service.completeEIDLogin(transactionID: burnt.transactionID, signature: [1, 2, 3], certificate: card.certificate,
                                              intermediates: card.intermediates)
            attempts.refused(.challengeInvalid, "good answer after a failed one") {
                try service.completeEIDLogin(transactionID: burnt.transactionID, signature: card.sign(burnt.toBeSigned),
                                             certificate: card.certificate, intermediates: card.intermediates)
            }
            // An answer held back until the challenge expired.
            let late = try service.beginEIDLogin(application: "eloket")
            let held = try card.sign(late.toBeSigned)
            fixture.clock.advance(service.configuration.challengeLifetime + 1)
            attempts.refused(.challengeInvalid, "answer after expiry") {
                try service.completeEIDLogin(transactionID: late.transactionID, signature: held, certificate: card.certificate,
                                             intermediates: card.intermediates)
            }
            #expect(try rows("session", in: fixture.database) == 1)

            // A race: 16 copies of one answer at once open exactly one session.
            let race = try service.beginEIDLogin(application: "eloket")
            let raced = try card.sign(race.toBeSigned)
            let certificate = card.certificate, intermediates = card.intermediates
            let outcomes = await withTaskGroup(of: Result<IssuedSession, SessionsError>.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        do throws(SessionsError) { return .success(try service.completeEIDLogin(transactionID: race.transactionID, signature: raced,
                                                                          certificate: certificate, intermediates: intermediates)) }
                        catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let failures = outcomes.compactMap { outcome -> SessionsError? in
                if case .failure(let error) = outcome { return error } else { return nil }
            }
            #expect(failures.count == 15)
            for failure in failures {
                attempts.record(accepted: false)
                #expect(failure.code == .challengeInvalid)
            }
            #expect(try rows("session", in: fixture.database) == 2)

            // Over HTTP: the captured request body posted again.
            let server = try await LoopbackServer()
            let tbs = try await server.challenge()
            let body = try server.loginBody(card, challenge: tbs)
            #expect(try await server.send("POST", "/v1/eid/login", json: body).status == 201)
            for _ in 0..<3 {
                let replay = try await server.send("POST", "/v1/eid/login", json: body)
                attempts.record(accepted: replay.status < 300, "HTTP replay answered \(replay.status)")
                #expect(replay.status == 401)
                #expect(replay.errorCode == "session.challengeInvalid")
            }
            #expect(try rows("session", in: server.fixture.database) == 1)
        }

        @Test("challenge of another transaction: answer moved to a later challenge, another application, another flow")
        func otherTransaction() async throws {
            let attempts = Attempts(.otherTransaction)
            let fixture = try SessionsFixture(at: Date())
            let service = fixture.service
            let card = try TestCard("specimen-1.7")

            // The answer to transaction A, presented for transaction B (both open).
            let first = try service.beginEIDLogin(application: "eloket")
            let second = try service.beginEIDLogin(application: "eloket")
            attempts.refused(.signatureInvalid, "A's answer for B") {
                try service.completeEIDLogin(transactionID: second.transactionID, signature: card.sign(first.toBeSigned),
                                             certificate: card.certificate, intermediates: card.intermediates)
            }
            // A signature over B's challenge bytes, but framed as if B had been issued for another application.
            let idm = try service.beginEIDLogin(application: "idm")
            let reframed = EIDChallenge(transactionID: idm.transactionID, application: "eloket", challenge: idm.challenge, expiresAt: idm.expiresAt)
            attempts.refused(.signatureInvalid, "application swapped") {
                try service.completeEIDLogin(transactionID: idm.transactionID, signature: card.sign(reframed.toBeSigned),
                                             certificate: card.certificate, intermediates: card.intermediates)
            }
            // B's challenge under A's transaction id.
            let third = try service.beginEIDLogin(application: "eloket")
            let reused = EIDChallenge(transactionID: first.transactionID, application: "eloket", challenge: third.challenge, expiresAt: third.expiresAt)
            attempts.refused(.signatureInvalid, "C's challenge under A's id") {
                try service.completeEIDLogin(transactionID: first.transactionID, signature: card.sign(reused.toBeSigned),
                                             certificate: card.certificate, intermediates: card.intermediates)
            }
            // The transaction of a security-code login, answered with a card signature.
            try fixture.codes.setPassword(username: "bert", password: "correct horse battery staple",
                                          authority: fixture.authority(try fixture.login(card).session))
            let code = try service.beginCodeLogin(application: "eloket", username: "bert", password: "correct horse battery staple", source: "")
            let framed = EIDChallenge(transactionID: code.transactionID, application: "eloket", challenge: [], expiresAt: code.expiresAt)
            attempts.refused(.challengeInvalid, "code-login transaction in the eID flow") {
                try service.completeEIDLogin(transactionID: code.transactionID, signature: card.sign(framed.toBeSigned),
                                             certificate: card.certificate, intermediates: card.intermediates)
            }
            // The eID transaction completed through the security-code flow.
            let eid = try service.beginEIDLogin(application: "eloket")
            attempts.refused(.challengeInvalid, "eID transaction in the code flow") {
                try service.completeCodeLogin(transactionID: eid.transactionID, factor: .password, code: nil, source: "")
            }
            // Made-up transaction ids of the right shape.
            for _ in 0..<8 {
                let guess = SecureRandom.bytes(16).map { String(format: "%02x", $0) }.joined()
                attempts.refused(.challengeInvalid, "invented transaction id") {
                    try service.completeEIDLogin(transactionID: guess, signature: card.sign(Array(guess.utf8)),
                                                 certificate: card.certificate, intermediates: card.intermediates)
                }
            }
            // Only the operator's set-up login above opened a session.
            #expect(try rows("session", in: fixture.database) == 1)

            // Over HTTP: the answer to one challenge posted with another challenge's transaction id.
            let server = try await LoopbackServer()
            let a = try await server.challenge(), b = try await server.challenge()
            var body = try server.loginBody(card, challenge: a)
            body["transactionId"] = b.transactionID
            let reply = try await server.send("POST", "/v1/eid/login", json: body)
            attempts.record(accepted: reply.status < 300, "HTTP: A's answer for B answered \(reply.status)")
            #expect(reply.status == 401)
            #expect(reply.errorCode == "session.signatureInvalid")
            #expect(try rows("session", in: server.fixture.database) == 0)
        }
    }
}
