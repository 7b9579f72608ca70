import Foundation
import OneTimeCodes
import Sessions
import SleutelTestSupport
import Storage
import Testing

extension AttackSuite {
    /// Issue 19 item 3: an attacker who knows only a username cannot keep the owner out, while the
    /// guesses actually checked stay bounded.
    @Suite("Lockout as a denial of service")
    struct LockoutAttacks {
        static let owner = "192.0.2.10"

        enum Sources: String, CaseIterable, Sendable {
            case one, many
        }

        @Test("an hour of wrong passwords at the highest rate from one source and from many; the owner logs in every 5 minutes",
              arguments: Sources.allCases)
        func ownerStaysIn(sources: Sources) async throws {
            let attempts = Attempts(.lockoutDenial)
            let victim = try await CodeVictim()
            let service = victim.service
            let clock = victim.fixture.clock
            let password = try victim.credentialID("password")
            // The owner has used the service from home before (yesterday): a source with a success.
            _ = try service.beginCodeLogin(application: "eloket", username: "bert", password: CodeVictim.password, source: Self.owner)
            clock.advance(86_400)
            let start = clock.now

            // One simulated hour in one-second ticks, ten wrong passwords a second (twenty times the 30 a
            // minute the server checks from one address): from one address, or each from a new address
            // of a botnet (36,000 addresses).
            var guesses = 0, ownerTries = 0, ownerIn = 0
            for second in 0..<3600 {
                clock.advance(1)
                let attackers: [String] = switch sources {
                case .one: Array(repeating: CodeVictim.attacker, count: 10)
                case .many: (0..<10).map { CodeVictim.source(second * 10 + $0) }
                }
                for source in attackers {
                    guesses += 1
                    do {
                        _ = try service.beginCodeLogin(application: "eloket", username: "bert", password: "wrong guess \(guesses)", source: source)
                        attempts.record(accepted: true, "a wrong password accepted")
                    } catch {
                        #expect(error.code == .credentialsRejected, "\(error)")
                    }
                }
                if second % 300 == 150 {
                    ownerTries += 1
                    if (try? service.beginCodeLogin(application: "eloket", username: "bert", password: CodeVictim.password, source: Self.owner)) != nil {
                        ownerIn += 1
                    }
                }
            }
            let checked = try victim.fixture.database.read { db in
                try db.value("SELECT COUNT(*) FROM otp_audit WHERE credential_id = ? AND event = 'rejected' AND at >= ?", [password, start],
                             as: Int.self)
            } ?? 0
            for _ in 0..<ownerTries - ownerIn { attempts.record(accepted: true, "the owner kept out") }
            for _ in 0..<ownerIn { attempts.record(accepted: false, "the owner got in") }
            print("attack suite: lockout, \(sources.rawValue) source(s): \(guesses) wrong passwords in an hour, \(checked) checked; "
                  + "the owner got in \(ownerIn) of \(ownerTries) times")
            #expect(ownerIn == ownerTries, "the owner got in \(ownerIn) of \(ownerTries) times")
            #expect(checked <= 120, "\(checked) guesses checked in an hour")

            // A correct eID login always works and clears the account's locks: the owner from a new place gets in.
            _ = try victim.fixture.login(TestCard("specimen-1.7"))
            clock.advance(1)
            #expect((try? service.beginCodeLogin(application: "eloket", username: "bert", password: CodeVictim.password, source: "198.51.100.200")) != nil,
                    "after an eID login the password works from a new address")
        }
    }
}
