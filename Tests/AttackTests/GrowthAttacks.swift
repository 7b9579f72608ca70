import Foundation
import Sessions
import SleutelTestSupport
import Storage
import Testing

extension AttackSuite {
    /// Issue 19 item 10: nothing grows without bound. Unauthenticated challenges, unfinished code
    /// logins, OIDC codes and tokens and ended sessions are purged by the server on its schedule.
    @Suite("Table growth under a flood")
    struct GrowthAttacks {
        @Test("a flood of eID challenges over a simulated hour: the server's own purge keeps the tables bounded")
        func challengeFlood() async throws {
            let attempts = Attempts(.tableGrowth)
            let server = try await LoopbackServer()
            let clock = server.fixture.clock
            let database = server.fixture.database
            let lifetime = server.fixture.service.configuration.challengeLifetime
            // 60 simulated minutes, 40 unauthenticated challenges each, a login and an OIDC code now and then.
            var peak = 0
            for minute in 0..<60 {
                for _ in 0..<40 {
                    #expect(try await server.send("POST", "/v1/eid/challenge", json: ["application": "eloket"]).status == 201)
                }
                if minute % 10 == 0 {
                    let token = try await server.login(TestCard("specimen-1.8", ec: true))
                    _ = try await server.authorize(token: token, client: "plain-client")
                    #expect(try await server.send("DELETE", "/v1/session", token: token).status == 204)
                }
                clock.advance(60)
                peak = max(peak, try rows("login_transaction", in: database))
            }
            // The last challenge is now older than its lifetime plus a day: give the server's schedule a moment.
            clock.advance(lifetime + 86_400 + 60)
            let deadline = Date().addingTimeInterval(10)
            var left = (transactions: 0, sessions: 0, codes: 0)
            repeat {
                left = (try rows("login_transaction", in: database), try rows("session", in: database), try rows("oidc_code", in: database))
                if left == (0, 0, 0) { break }
                try await Task.sleep(for: .milliseconds(100))
            } while Date() < deadline
            attempts.record(accepted: left.transactions > 0, "\(left.transactions) expired challenges kept after the flood")
            attempts.record(accepted: left.sessions > 0, "\(left.sessions) ended sessions kept a day after they ended")
            attempts.record(accepted: left.codes > 0, "\(left.codes) expired OIDC codes kept")
            #expect(left == (0, 0, 0), "rows left: \(left)")
            // While the flood ran, expired challenges went at the pace of the schedule: never much above what lives at once.
            let liveAtOnce = 40 * Int((lifetime / 60).rounded(.up)) + 40
            attempts.record(accepted: peak > 4 * liveAtOnce, "\(peak) challenge rows at the peak of the flood")
            #expect(peak <= 4 * liveAtOnce, "peak \(peak) rows, \(liveAtOnce) live at once")
        }
    }
}
