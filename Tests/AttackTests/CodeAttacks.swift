import Foundation
import OneTimeCodes
import Sessions
import SleutelTestSupport
import Storage
import Testing

/// A person with an eID session, a password, an active TOTP key and active SMS and e-mail
/// destinations, on a fixture whose clock the attack moves.
struct CodeVictim {
    static let password = "correct horse battery staple"
    static let attacker = "203.0.113.7"
    /// A botnet: every guess of the brute force from another address, so no per-address limit helps.
    static func source(_ guess: Int) -> String { "198.18.\(guess / 250).\(guess % 250 + 1)" }
    let fixture: SessionsFixture
    let sender: RecordingCodeSender
    let seed: [UInt8]
    let totpID: String
    /// The OneTimeCodes configuration the fixture runs with (defaults, cheap scrypt): lockout and window.
    let codes = OneTimeCodesConfiguration.fastForTests

    init() async throws {
        sender = RecordingCodeSender()
        fixture = try SessionsFixture(codeSenders: [.sms: sender, .email: sender], codesConfiguration: .fastForTests)
        let eid = try fixture.login(TestCard("specimen-1.7"))
        let authority = fixture.authority(eid.session)
        try fixture.codes.setPassword(username: "bert", password: Self.password, authority: authority)
        let enrolment = try fixture.codes.enrollTOTP(authority: authority, account: "bert")
        seed = try #require(Base32.decode(enrolment.secret))
        totpID = enrolment.credentialID
        try fixture.codes.confirmTOTP(person: specimenRRN, credentialID: enrolment.credentialID, code: OTP.totp(secret: seed, date: fixture.clock.now))
        for (channel, destination) in [(OutgoingCode.Channel.sms, "+32 470 12 34 56"), (.email, "bert@example.be")] {
            let ticket = try await fixture.codes.enrollDestination(authority: authority, channel: channel, destination: destination)
            try fixture.codes.confirmDestination(person: specimenRRN, challengeID: ticket.id, code: try #require(sender.messages.last).code)
        }
    }

    var service: SessionService { fixture.service }
    var now: Date { fixture.clock.now }
    func code(at date: Date) -> String { OTP.totp(secret: seed, date: date) }

    /// The attacker, who knows the password, starts a security-code login.
    func begin() throws(SessionsError) -> CodeLoginStart {
        try service.beginCodeLogin(application: "eloket", username: "bert", password: Self.password, source: Self.attacker)
    }

    func credentialID(_ kind: String) throws -> String {
        try fixture.database.read { db in
            try db.value("SELECT id FROM otp_credential WHERE person = ? AND kind = ? AND state = 'active'", [specimenRRN, kind], as: String.self)
        } ?? ""
    }

    /// Guesses the key actually checked (not refused by a lock or a rate limit) since `since`.
    func evaluatedFailures(credential: String, since: Date) throws -> Int {
        try fixture.database.read { db in
            try db.value("SELECT COUNT(*) FROM otp_audit WHERE credential_id = ? AND event = 'rejected' AND at >= ?", [credential, since], as: Int.self)
        } ?? 0
    }

    /// When the lock of `source` (default: the attacker's address) on the key ends, if it has one.
    func lockedUntil(_ credential: String, source: String = CodeVictim.attacker) throws -> Date? {
        try fixture.database.read { db in
            try db.value("SELECT locked_until FROM otp_lock WHERE account = ? AND source = ?", [credential, source], as: Date.self)
        }
    }

    func sessions() throws -> Int { try rows("session", in: fixture.database) }
}

/// The most guesses of one key that are checked in `seconds` from one source address:
/// `failuresBeforeLock` before each lock, the first lock `lockDuration` long, each next one twice
/// as long up to `lockCeiling`.
func lockoutBound(seconds: TimeInterval, configuration: OneTimeCodesConfiguration) -> Int {
    var locked = 0.0, locks = 0
    func next() -> Double { min(configuration.lockDuration * pow(2, Double(locks)), configuration.lockCeiling) }
    while locked + next() <= seconds {
        locked += next()
        locks += 1
    }
    return configuration.failuresBeforeLock * (locks + 1)
}

/// The most guesses of one key that are checked from addresses that never succeeded on it
/// (a botnet, each guess from a new address), whatever their number, within one window.
func unfamiliarBound(configuration: OneTimeCodesConfiguration) -> Int { configuration.unfamiliarFailureLimit }

/// The most hits `guesses` independent guesses with success probability `p` each give, except with
/// probability below `tail` (Poisson tail).
func chanceBound(guesses: Int, p: Double, tail: Double = 1e-9) -> Int {
    let lambda = Double(guesses) * p
    var k = 0, term = exp(-lambda), cumulative = exp(-lambda)
    while 1 - cumulative >= tail {
        k += 1
        term *= lambda / Double(k)
        cumulative += term
    }
    return k
}

func randomCode() -> String { String(format: "%06d", Int.random(in: 0..<1_000_000)) }

extension AttackSuite {
    /// Security codes used again or guessed, through ``SessionService``'s security-code login with
    /// the real OneTimeCodes service and an injected clock.
    @Suite("Security codes: code login through SessionService and OneTimeCodes")
    struct CodeAttacks {
        @Test("replayed TOTP step: the confirmation code, a used code, the step before it, a used code one step later")
        func replayedTOTPStep() async throws {
            let attempts = Attempts(.replayedTOTPStep)
            let victim = try await CodeVictim()
            let service = victim.service
            let before = try victim.sessions()
            // The code that confirmed the key at enrolment, in the same 30 s step.
            attempts.refused(.credentialsRejected, "enrolment confirmation code") {
                try service.completeCodeLogin(
                    transactionID: victim.begin().transactionID, factor: .totp, code: victim.code(at: victim.now), source: CodeVictim.attacker
                )
            }
            victim.fixture.clock.advance(30)
            // The victim logs in; the attacker saw the code.
            let seen = victim.code(at: victim.now)
            let victimLogin = try victim.begin()
            _ = try service.completeCodeLogin(transactionID: victimLogin.transactionID, factor: .totp, code: seen, source: "198.51.100.1")
            attempts.refused(.challengeInvalid, "the victim's spent transaction") {
                try service.completeCodeLogin(transactionID: victimLogin.transactionID, factor: .totp, code: seen, source: CodeVictim.attacker)
            }
            attempts.refused(.credentialsRejected, "the seen code, same step") {
                try service.completeCodeLogin(transactionID: victim.begin().transactionID, factor: .totp, code: seen, source: CodeVictim.attacker)
            }
            attempts.refused(.credentialsRejected, "the step before the used one (inside the window)") {
                try service.completeCodeLogin(transactionID: victim.begin().transactionID, factor: .totp,
                                              code: victim.code(at: victim.now.addingTimeInterval(-30)), source: CodeVictim.attacker)
            }
            victim.fixture.clock.advance(30)
            attempts.refused(.credentialsRejected, "the seen code one step later (inside the window)") {
                try service.completeCodeLogin(transactionID: victim.begin().transactionID, factor: .totp, code: seen, source: CodeVictim.attacker)
            }
            // Step-up of the victim's weak session with the seen code.
            let weak = try service.completeCodeLogin(transactionID: victim.begin().transactionID, factor: .password, code: nil, source: "198.51.100.1")
            attempts.refused(.credentialsRejected, "the seen code as a step-up") {
                try service.completeCodeLogin(transactionID: victim.begin().transactionID, factor: .totp, code: seen, source: CodeVictim.attacker,
                                              stepUpToken: weak.token)
            }
            #expect(try service.authenticate(token: weak.token).level.fasLevel == 200)
            // Only the victim's two logins opened sessions.
            #expect(try victim.sessions() == before + 2)
        }

        @Test("code brute force on TOTP: lockout holds against the right code; an hour of guessing stays at chance")
        func totpBruteForce() async throws {
            let attempts = Attempts(.codeBruteForce)
            let victim = try await CodeVictim()
            let service = victim.service
            let configuration = victim.codes
            victim.fixture.clock.advance(30)
            let before = try victim.sessions()

            // Lock the key with wrong codes, then offer the right one: refused while locked.
            var transaction = try victim.begin()
            var wrongInTransaction = 0
            var wrong = 0
            while try victim.lockedUntil(victim.totpID).map({ $0 > victim.now }) != true, wrong < 20 {
                if wrongInTransaction == service.configuration.codeAttempts { transaction = try victim.begin(); wrongInTransaction = 0 }
                var guess = randomCode()
                while guess == victim.code(at: victim.now) || guess == victim.code(at: victim.now.addingTimeInterval(-30))
                    || guess == victim.code(at: victim.now.addingTimeInterval(30)) { guess = randomCode() }
                _ = try? service.completeCodeLogin(transactionID: transaction.transactionID, factor: .totp, code: guess, source: CodeVictim.attacker)
                wrongInTransaction += 1
                wrong += 1
            }
            #expect(wrong == configuration.failuresBeforeLock)
            attempts.refused(.credentialsRejected, "the right code while locked") {
                try service.completeCodeLogin(transactionID: victim.begin().transactionID, factor: .totp, code: victim.code(at: victim.now),
                                              source: CodeVictim.attacker)
            }

            // An hour of random guesses, one every 6 s from a different address each, re-entering the
            // password whenever a transaction is spent.
            victim.fixture.clock.advance(1)  // the guesses above lie before `start`
            let start = victim.now
            let guesses = 600, interval = 6.0
            var hits = 0
            transaction = try victim.begin()
            wrongInTransaction = 0
            for guess in 0..<guesses {
                victim.fixture.clock.advance(interval)
                if wrongInTransaction >= service.configuration.codeAttempts {
                    guard let next = try? victim.begin() else { attempts.guess(accepted: false); continue }
                    transaction = next
                    wrongInTransaction = 0
                }
                do throws(SessionsError) {
                    _ = try service.completeCodeLogin(
                        transactionID: transaction.transactionID, factor: .totp, code: randomCode(), source: CodeVictim.source(guess)
                    )
                    hits += 1
                    attempts.guess(accepted: true)
                    transaction = try victim.begin()
                    wrongInTransaction = 0
                } catch {
                    #expect(error.code == .credentialsRejected || error.code == .challengeInvalid, "\(error)")
                    attempts.guess(accepted: false)
                    wrongInTransaction += 1
                }
            }
            let evaluated = try victim.evaluatedFailures(credential: victim.totpID, since: start) + hits
            let allowed = unfamiliarBound(configuration: configuration)
            // Three codes are accepted at any time (window ±1 step) out of 10^6.
            let chance = chanceBound(guesses: evaluated, p: Double(2 * configuration.totpWindow + 1) / 1e6)
            print("attack suite: TOTP brute force: \(guesses) guesses in \(Int(victim.now.timeIntervalSince(start))) s, \(evaluated) checked "
                  + "(unfamiliar sources allow \(allowed)), \(hits) accepted (chance bound \(chance))")
            if hits == 0 { #expect(evaluated <= allowed) }
            #expect(hits <= chance)
            #expect(try victim.sessions() == before + hits)

            // Control: the botnet has spent the key's guesses from unfamiliar addresses, so a new address is
            // refused even the right code; the owner's eID login clears the locks, and then it opens a session.
            victim.fixture.clock.advance(30)
            if evaluated >= allowed {
                attempts.refused(.credentialsRejected, "the right code from a new address after the botnet") {
                    try service.completeCodeLogin(transactionID: victim.begin().transactionID, factor: .totp,
                                                  code: victim.code(at: victim.now), source: "198.51.100.1")
                }
            }
            _ = try victim.fixture.login(TestCard("specimen-1.7"))
            victim.fixture.clock.advance(30)
            let issued = try service.completeCodeLogin(transactionID: victim.begin().transactionID, factor: .totp,
                                                       code: victim.code(at: victim.now), source: "198.51.100.1")
            #expect(issued.session.level.fasLevel == 400)
        }

        @Test("code brute force on SMS and e-mail codes: lockout holds against the sent code; an hour of guessing stays at chance",
              arguments: [CodeFactor.sms, .email])
        func sentCodeBruteForce(factor: CodeFactor) async throws {
            let attempts = Attempts(.codeBruteForce)
            let victim = try await CodeVictim()
            let service = victim.service
            let configuration = victim.codes
            let credential = try victim.credentialID(factor.rawValue)
            let before = try victim.sessions()

            // Lock the destination with wrong codes against a sent code, then offer the sent code itself.
            var transaction = try victim.begin()
            _ = try await service.sendLoginCode(transactionID: transaction.transactionID, factor: factor)
            let sent = try #require(victim.sender.messages.last).code
            var wrongInTransaction = 0
            for _ in 0..<configuration.failuresBeforeLock {
                if wrongInTransaction == service.configuration.codeAttempts {
                    transaction = try victim.begin()
                    _ = try await service.sendLoginCode(transactionID: transaction.transactionID, factor: factor)  // same code within the cool-down
                    wrongInTransaction = 0
                }
                var guess = randomCode()
                while guess == sent { guess = randomCode() }
                _ = try? service.completeCodeLogin(transactionID: transaction.transactionID, factor: factor, code: guess, source: CodeVictim.attacker)
                wrongInTransaction += 1
            }
            #expect(try victim.lockedUntil(credential).map { $0 > victim.now } == true)
            let locked = try victim.begin()
            _ = try await service.sendLoginCode(transactionID: locked.transactionID, factor: factor)
            #expect(victim.sender.messages.last?.code == sent)
            attempts.refused(.credentialsRejected, "the sent code while locked") {
                try service.completeCodeLogin(transactionID: locked.transactionID, factor: factor, code: sent, source: CodeVictim.attacker)
            }

            // An hour of random guesses, one every 6 s from a different address each; a new transaction
            // (and a code sent) whenever one is spent.
            victim.fixture.clock.advance(1)  // the guesses above lie before `start`
            let start = victim.now
            let guesses = 600, interval = 6.0
            var hits = 0, unsent = 0
            wrongInTransaction = service.configuration.codeAttempts
            for guess in 0..<guesses {
                victim.fixture.clock.advance(interval)
                if wrongInTransaction >= service.configuration.codeAttempts {
                    if let next = try? victim.begin() {
                        transaction = next
                        wrongInTransaction = 0
                        do { _ = try await service.sendLoginCode(transactionID: next.transactionID, factor: factor) } catch {
                            #expect(error.code == .quotaExceeded, "\(error)")
                            unsent += 1
                        }
                    }
                }
                do throws(SessionsError) {
                    _ = try service.completeCodeLogin(
                        transactionID: transaction.transactionID, factor: factor, code: randomCode(), source: CodeVictim.source(guess)
                    )
                    hits += 1
                    attempts.guess(accepted: true)
                    wrongInTransaction = service.configuration.codeAttempts
                } catch {
                    #expect([.credentialsRejected, .challengeInvalid].contains(error.code), "\(error)")
                    attempts.guess(accepted: false)
                    wrongInTransaction += 1
                }
            }
            let evaluated = try victim.evaluatedFailures(credential: credential, since: start) + hits
            let allowed = unfamiliarBound(configuration: configuration)
            let chance = chanceBound(guesses: evaluated, p: 1 / 1e6)
            let sends = victim.sender.messages.count
            print("attack suite: \(factor.rawValue) code brute force: \(guesses) guesses in \(Int(victim.now.timeIntervalSince(start))) s, "
                  + "\(evaluated) checked (unfamiliar sources allow \(allowed)), \(sends) codes sent in all, \(unsent) sends refused by the quota, "
                  + "\(hits) accepted (chance bound \(chance))")
            if hits == 0 { #expect(evaluated <= allowed) }
            #expect(hits <= chance)
            #expect(unsent > 0, "the sending quota should have stopped the attacker's sends")
            #expect(try victim.sessions() == before + hits)
        }

        @Test("SMS and e-mail pumping: an hour and a day of asking for codes send no more than the caps",
              arguments: [CodeFactor.sms, .email])
        func codePumping(factor: CodeFactor) async throws {
            let attempts = Attempts(.codePumping)
            let victim = try await CodeVictim()
            let service = victim.service
            let before = victim.sender.messages.count
            // One send request a second for an hour, from one transaction as long as it lives, then a new one.
            var transaction = try victim.begin()
            var transactionStart = victim.now
            let start = victim.now
            for _ in 0..<3600 {
                victim.fixture.clock.advance(1)
                if victim.now.timeIntervalSince(transactionStart) >= service.configuration.codeLoginLifetime - 1 {
                    transaction = try victim.begin()
                    transactionStart = victim.now
                }
                _ = try? await service.sendLoginCode(transactionID: transaction.transactionID, factor: factor)
            }
            let hour = victim.sender.messages.count - before
            let hourCap = min(victim.codes.quotaPerDestination, victim.codes.quotaPerPerson)
            for _ in 0..<hour { attempts.record(accepted: false, "a message within the hourly cap") }
            for _ in 0..<max(0, hour - hourCap) { attempts.record(accepted: true, "a message beyond the hourly cap") }
            print("attack suite: \(factor.rawValue) pumping: \(hour) messages in the first hour of 3,600 requests (cap \(hourCap))")
            #expect(hour <= hourCap, "\(hour) messages in an hour")
            #expect(hour >= 1, "the first code is sent")
            // The rest of the day, one request a minute: the daily cap holds too.
            for _ in 0..<(23 * 60) {
                victim.fixture.clock.advance(60)
                if victim.now.timeIntervalSince(transactionStart) >= service.configuration.codeLoginLifetime - 60 {
                    transaction = try victim.begin()
                    transactionStart = victim.now
                }
                _ = try? await service.sendLoginCode(transactionID: transaction.transactionID, factor: factor)
            }
            let day = victim.sender.messages.count - before
            let dayCap = min(victim.codes.dailyQuotaPerDestination, victim.codes.dailyQuotaPerPerson)
            for _ in 0..<max(0, day - dayCap) { attempts.record(accepted: true, "a message beyond the daily cap") }
            print("attack suite: \(factor.rawValue) pumping: \(day) messages in \(Int(victim.now.timeIntervalSince(start) / 3600)) hours (cap \(dayCap))")
            #expect(day <= dayCap, "\(day) messages in a day")
        }
    }
}
