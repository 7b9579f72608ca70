import CryptoCore
import Foundation
import Testing
import Transport
import Trust

/// The whole trust decision — path, key strength, revocation — on the test PKI, with revocation
/// asked from the real `openssl ocsp` responders and CRL server of Tools/pki-responders.sh.
@Suite("TrustService against the test PKI and the real responders", .revocationResponders)
struct TrustServiceTests {
    let rsaCA: Certificate
    let ecCA: Certificate

    init() throws {
        rsaCA = try TestPKI.cert("rsa/citizen-ca.crt")
        ecCA = try TestPKI.cert("ec/citizen-ca.crt")
    }

    private func service(
        trees: [String] = ["rsa", "ec"],
        revocation: RevocationChecker.Configuration = .init(),
        cache: RevocationCache = RevocationCache()
    ) throws -> TrustService {
        let client = HTTPClient(configuration: .init(connectTimeout: 2, totalTimeout: 10))
        return TrustService(
            configuration: try TestPKI.configuration(trees: trees),
            revocation: RevocationChecker(configuration: revocation, httpClient: client, cache: cache)
        )
    }

    @Test("good: RSA-2048 specimen-1.7 — valid path, key acceptable through 2030 (NIST), OCSP good")
    func goodRSA() throws {
        let service = try service()
        let leaf = try TestPKI.cert("persons/specimen-1.7/auth.crt")
        let verdict = service.evaluate(certificate: leaf, intermediates: [rsaCA], kind: .authentication)
        #expect(verdict.isTrusted, "\(String(describing: verdict.failure))")
        #expect(verdict.validatedPath?.holderType == .citizen)
        let key = try #require(verdict.keyVerdict)
        #expect(key.isAcceptable)
        #expect(key.key.hasPrefix("RSA-2048"))
        #expect(key.lastAcceptableYear == 2030)
        let status = try #require(verdict.revocationStatus)
        #expect(status.isGood)
        #expect(status.evidence.source == .ocsp)
        #expect(status.evidence.url == "\(RevocationPKI.rsaOCSP)/citizen-ca")
        let accepted = try service.requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication)
        #expect(accepted.isTrusted)
        // The second check is answered by the cache.
        #expect(accepted.revocationStatus?.evidence.origin == .cache)
    }

    @Test("good: P-384 specimen-1.8 through the async API — key with no end date, OCSP good")
    func goodEC() async throws {
        let service = try service()
        let leaf = try TestPKI.cert("persons/specimen-1.8/auth.crt")
        let verdict = try await service.requireAcceptable(certificate: leaf, intermediates: [ecCA], kind: .authentication)
        #expect(verdict.keyVerdict?.key == "EC P-384")
        #expect(verdict.keyVerdict?.lifetime == .noEndDate)
        #expect(verdict.revocationStatus?.evidence.url == "\(RevocationPKI.ecOCSP)/citizen-ca")
        let evaluated = await service.evaluate(certificate: leaf, intermediates: [ecCA], kind: .authentication)
        #expect(evaluated.isTrusted)
    }

    @Test("revoked: revoked-1.7 has a valid path and a strong key but is refused as revoked")
    func revoked() throws {
        let service = try service()
        let leaf = try TestPKI.cert("persons/revoked-1.7/auth.crt")
        let verdict = service.evaluate(certificate: leaf, intermediates: [rsaCA], kind: .authentication)
        #expect(verdict.validatedPath != nil)
        #expect(verdict.keyVerdict?.isAcceptable == true)
        guard case .revoked(_, let reason, _)? = verdict.revocationStatus else {
            Issue.record("expected revoked, got \(verdict.revocation)"); return
        }
        #expect(reason == .keyCompromise)
        #expect(verdict.failure?.code == .revoked)
        #expect(!verdict.isTrusted)
        RevocationPKI.expectTrustError(.revoked) { try service.requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication) }
    }

    @Test("weak key: a CA-issued leaf with a valid path is refused for its key before revocation", arguments: [
        (["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"], "rsa.size"),
        (["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3"], "rsa.exponent"),
    ])
    func weakKey(keyGeneration: [String], failedCheck: String) throws {
        let leaf = try TestPKI.issue(
            subject: "/C=BE/CN=Weak Key (Authentication)/serialNumber=71715100070",
            extensions: TestPKI.authExtensions + ["authorityInfoAccess = OCSP;URI:\(RevocationPKI.rsaOCSP)/citizen-ca"],
            keyGeneration: keyGeneration
        )
        let service = try service()
        let verdict = service.evaluate(certificate: leaf, intermediates: [rsaCA], kind: .authentication)
        #expect(verdict.validatedPath != nil, "\(String(describing: verdict.failure))")
        let key = try #require(verdict.keyVerdict)
        #expect(!key.isAcceptable)
        #expect(key.failures.map(\.id).contains(failedCheck))
        #expect(verdict.failure?.code == .weakKey)
        #expect(verdict.failure?.reason.contains(failedCheck) == true)
        // The responder was still asked by evaluate: it does not know this throw-away serial.
        guard case .unknown? = verdict.revocationStatus else { Issue.record("expected unknown, got \(verdict.revocation)"); return }

        // requireAcceptable stops at the key: with a responder that is down and no CRL it would
        // otherwise fail with revocationUnavailable.
        let offline = try self.service(revocation: .init(ocspResponderURL: RevocationPKI.downOCSP, useCRL: false))
        RevocationPKI.expectTrustError(.weakKey) { try offline.requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication) }
    }

    @Test("expired: expired-1.7 is refused by the path rule; revocation is not asked")
    func expired() throws {
        let service = try service()
        let leaf = try TestPKI.cert("persons/expired-1.7/auth.crt")
        let verdict = service.evaluate(certificate: leaf, intermediates: [rsaCA], kind: .authentication)
        #expect(verdict.failure?.code == .expired)
        guard case .notChecked = verdict.revocation else { Issue.record("revocation should not be asked: \(verdict.revocation)"); return }
        #expect(verdict.keyVerdict?.isAcceptable == true)
        RevocationPKI.expectTrustError(.expired) { try service.requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication) }
    }

    @Test("wrong root: an RSA-tree card under the EC root only, and under the production roots")
    func wrongRoot() throws {
        let leaf = try TestPKI.cert("persons/specimen-1.7/auth.crt")
        let ecOnly = try service(trees: ["ec"])
        #expect(ecOnly.evaluate(certificate: leaf, intermediates: [rsaCA], kind: .authentication).failure?.code == .noTrustAnchor)
        RevocationPKI.expectTrustError(.noTrustAnchor) { try ecOnly.requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication) }
        let production = TrustService(configuration: try .production(), revocation: nil)
        RevocationPKI.expectTrustError(.noTrustAnchor) { try production.requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication) }
    }

    @Test("responder down: hard-fail refuses; soft-fail accepts within the window after a good answer")
    func responderDown() throws {
        let leaf = try TestPKI.cert("persons/specimen-1.7/auth.crt")
        let down = RevocationChecker.Configuration(ocspResponderURL: RevocationPKI.downOCSP, useCRL: false)
        let hard = try service(revocation: down)
        #expect(hard.evaluate(certificate: leaf, intermediates: [rsaCA], kind: .authentication).failure?.code == .revocationUnavailable)

        let cache = RevocationCache()
        let now = Date()
        try service(cache: cache).requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication, at: now)
        // A day later the cached OCSP answer has passed its nextUpdate and the responder is down:
        // soft-fail with a two-day window accepts on the strength of the earlier good answer.
        let later = now.addingTimeInterval(86_400 + 60)
        var softDown = down
        softDown.policy = .softFail(window: 2 * 86_400)
        let soft = try service(revocation: softDown, cache: cache)
        let verdict = try soft.requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication, at: later)
        #expect(verdict.revocationStatus?.evidence.origin == .softFail(lastGoodAt: now))
        let hardSameCache = try service(revocation: down, cache: cache)
        RevocationPKI.expectTrustError(.revocationUnavailable) {
            try hardSameCache.requireAcceptable(certificate: leaf, intermediates: [rsaCA], kind: .authentication, at: later)
        }
    }
}

/// TrustService without revocation (offline tools): no network, revocation reported as not checked.
@Suite("TrustService without a revocation checker")
struct TrustServiceOfflineTests {
    @Test("path and key only; revocation not checked and not required")
    func offline() throws {
        let service = TrustService(configuration: try TestPKI.configuration(), revocation: nil)
        let leaf = try TestPKI.cert("persons/specimen-1.8/sign.crt")
        let verdict = service.evaluate(certificate: leaf, intermediates: [try TestPKI.cert("ec/citizen-ca.crt")], kind: .signature, at: TestPKI.now)
        #expect(verdict.isTrusted, "\(String(describing: verdict.failure))")
        guard case .notChecked = verdict.revocation else { Issue.record("expected not checked"); return }
        // The key policy is judged for the validation time's year: NIST accepts RSA-2048 through 2030.
        let rsaLeaf = try TestPKI.cert("persons/specimen-1.7/auth.crt")
        let rsaCA = try TestPKI.cert("rsa/citizen-ca.crt")
        #expect(service.evaluate(certificate: rsaLeaf, intermediates: [rsaCA], kind: .authentication, at: TestPKI.now).isTrusted)
        let in2031 = ISO8601DateFormatter().date(from: "2031-06-01T00:00:00Z")!
        let late = service.evaluate(certificate: rsaLeaf, intermediates: [rsaCA], kind: .authentication, at: in2031)
        #expect(late.validatedPath != nil)
        #expect(late.failure?.code == .weakKey)
        #expect(throws: TrustError(.weakKey, "")) {
            try service.requireAcceptable(certificate: rsaLeaf, intermediates: [rsaCA], kind: .authentication, at: in2031)
        }
    }
}
