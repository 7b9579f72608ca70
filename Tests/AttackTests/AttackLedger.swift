import Foundation
import Rights
import Sessions
import Testing
import Trust

/// The attacks of issue 7 and then of issue 19, in the order the issues list them. Each test of the suite records its
/// attempts under one of these; `README.md` maps them to their tests.
enum Attack: String, CaseIterable, Sendable {
    case wrongRoot = "chain to a wrong root"
    case expired = "expired certificate"
    case notYetValid = "not-yet-valid certificate"
    case revoked = "revoked certificate"
    case wrongKeyUsage = "wrong key usage"
    case forgedSignature = "forged card signature"
    case replayedChallenge = "replayed challenge"
    case otherTransaction = "challenge of another transaction"
    case replayedTOTPStep = "replayed TOTP step"
    case codeBruteForce = "code brute force"
    case tokenGuessing = "session token guessing"
    case crossOrganisation = "escalation across organisations"
    case coVteAppointsCoVte = "co-VTE appointing a co-VTE"
    case lmbAppointsLmb = "LMB appointing an LMB"
    case rightAfterEndDate = "a right after its end date"
    case testRootsInProduction = "test roots in a production configuration"
    // Issue 19 (the outside review).
    case stepUpFreshness = "a step-up refreshing what it did not prove"
    case applicationPolicy = "an application's policy bypassed"
    case staleOrganisation = "an organisation kept after its right ended"
    case tableGrowth = "tables grown without bound"
    case codePumping = "SMS and e-mail pumping"
    case lockoutDenial = "locking the owner out of an account"
    case sharedProxyAddress = "one client behind the proxy blocking everyone"
    case forwardedSpoofing = "a forged forwarding header"
    case costlyKeyChecks = "unauthenticated key checks of unbounded cost"
    case passwordFlood = "password logins running scrypt without bound"
    // Issue 21 (the login pages and logout).
    case crossSiteLoginPost = "a cross-site post to the login forms"
    case forcedLogout = "logging a person out from another site"
}

/// Counts, per attack, the attempts made and those the product accepted, for the line the suite
/// prints when it ends ("attack suite: N attacks tried, M attempts, 0 accepted").
final class AttackLedger: @unchecked Sendable {
    static let shared = AttackLedger()

    struct Tally: Sendable {
        var attempts = 0
        var accepted = 0
        /// Of `accepted`: random brute-force guesses that hit, which chance allows (their test bounds them).
        var byChance = 0
    }

    private let lock = NSLock()
    private var tallies: [Attack: Tally] = [:]

    func record(_ attack: Attack, accepted: Bool, byChance: Bool = false) {
        lock.withLock {
            tallies[attack, default: Tally()].attempts += 1
            if accepted { tallies[attack, default: Tally()].accepted += 1 }
            if accepted && byChance { tallies[attack, default: Tally()].byChance += 1 }
        }
    }

    var snapshot: [Attack: Tally] { lock.withLock { tallies } }

    /// The summary lines: one per attack tried, then the total.
    func report() -> [String] {
        let tallies = snapshot
        var lines = Attack.allCases.compactMap { attack -> String? in
            guard let tally = tallies[attack] else { return nil }
            return "  \(attack.rawValue): \(tally.attempts) attempts, \(tally.accepted) accepted"
        }
        let attempts = tallies.values.map(\.attempts).reduce(0, +)
        let accepted = tallies.values.map(\.accepted).reduce(0, +)
        let missing = Attack.allCases.filter { tallies[$0] == nil }.map(\.rawValue)
        var total = "attack suite: \(tallies.count) attacks tried (\(attempts) attempts), \(accepted) accepted"
        if !missing.isEmpty { total += "; not run: \(missing.joined(separator: ", "))" }
        lines.append(total)
        return lines
    }
}

/// Wraps the whole attack suite: after every attack test has finished (they run in parallel),
/// prints the ledger and checks that no attempt was accepted.
struct AttackSummary: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await function()
        let lines = AttackLedger.shared.report()
        print(lines.joined(separator: "\n"))
        let tallies = AttackLedger.shared.snapshot
        // Random brute-force guesses may hit by chance; their own test bounds that. Everything else must be 0.
        let byChance = tallies.values.map(\.byChance).reduce(0, +)
        let beyondChance = tallies.values.map(\.accepted).reduce(0, +) - byChance
        #expect(beyondChance == 0, "attacks accepted: \(lines.last ?? "")")
        if byChance > 0 { print("attack suite: \(byChance) random brute-force guess(es) hit by chance (bounded by their test)") }
    }
}

/// The attempts of one attack: each runs the attacker's step, which must end in the named refusal.
struct Attempts: Sendable {
    let attack: Attack

    init(_ attack: Attack) { self.attack = attack }

    /// One attempt through Sessions: it must fail with `code` (and, for certificate refusals, the Trust rule).
    @discardableResult
    func refused<R>(_ code: SessionsError.Code, trust trustCode: String? = nil, _ what: String = "",
                    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) -> SessionsError? {
        do {
            _ = try body()
            record(accepted: true, what, sourceLocation)
        } catch let error as SessionsError {
            record(accepted: false, what, sourceLocation)
            #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
            #expect(!mentionsNationalNumber(error.description), "\(what): \(error)", sourceLocation: sourceLocation)
            if let trustCode { #expect(error.trustCode == trustCode, "\(what): \(error)", sourceLocation: sourceLocation) }
            return error
        } catch {
            record(accepted: false, what, sourceLocation)
            Issue.record("\(what): expected SessionsError.\(code), got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// One attempt through Rights: it must fail with `code`.
    @discardableResult
    func refused<R>(_ code: RightsError.Code, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws -> R) -> RightsError? {
        do {
            _ = try body()
            record(accepted: true, what, sourceLocation)
        } catch let error as RightsError {
            record(accepted: false, what, sourceLocation)
            #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
            if code == .notAManager {
                #expect(error.reason == RightsError.refusalText, "\(what): the seeds' refusal text", sourceLocation: sourceLocation)
            }
            #expect(!mentionsNationalNumber(error.description), "\(what): \(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            record(accepted: false, what, sourceLocation)
            Issue.record("\(what): expected RightsError.\(code), got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// One attempt through Trust (configuration, path validation): it must fail with `code`.
    @discardableResult
    func refused<R>(_ code: TrustError.Code, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws -> R) -> TrustError? {
        do {
            _ = try body()
            record(accepted: true, what, sourceLocation)
        } catch let error as TrustError {
            record(accepted: false, what, sourceLocation)
            #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            record(accepted: false, what, sourceLocation)
            Issue.record("\(what): expected TrustError.\(code), got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// One login decision of Rights: it must be a refusal with the seeds' text.
    func refused(_ decision: LoginDecision, reason: RightsError.Code? = nil, _ what: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .refused(let why, let message) = decision else {
            record(accepted: true, what + " (\(decision))", sourceLocation)
            return
        }
        record(accepted: false, what, sourceLocation)
        #expect(message == RightsError.refusalText, sourceLocation: sourceLocation)
        if let reason { #expect(why == reason, "\(what): \(why)", sourceLocation: sourceLocation) }
    }

    /// One attempt whose outcome the caller judged (HTTP replies, process exits).
    func record(accepted: Bool, _ what: String = "", _ sourceLocation: SourceLocation = #_sourceLocation) {
        AttackLedger.shared.record(attack, accepted: accepted)
        if accepted { Issue.record("ATTACK ACCEPTED (\(attack.rawValue)): \(what)", sourceLocation: sourceLocation) }
    }

    /// One random brute-force guess: a hit is possible by chance, so it is counted, not failed here;
    /// the brute-force test bounds the hits.
    func guess(accepted: Bool) {
        AttackLedger.shared.record(attack, accepted: accepted, byChance: true)
    }
}

/// Whether `text` holds something shaped like a national register number (11 digits, with or
/// without the usual dots and dash): refusals must never carry one.
func mentionsNationalNumber(_ text: String) -> Bool {
    text.range(of: #"\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}"#, options: .regularExpression) != nil
}
