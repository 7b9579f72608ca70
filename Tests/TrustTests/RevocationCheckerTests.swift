import CryptoCore
import Foundation
import Testing
import Transport
import Trust

/// Integration tests against the real `openssl ocsp` responders and the CRL file server of
/// Tools/pki-responders.sh. They run when SLEUTEL_PKI_RESPONDERS=1 (and then fail if the
/// responders are down) or when the responders answer.
@Suite("Revocation against the real test-PKI responders", .revocationResponders)
struct RevocationCheckerTests {
    let rsaCA: Certificate
    let ecCA: Certificate
    let specimen17: Certificate
    let revoked17: Certificate
    let specimen18: Certificate

    init() throws {
        rsaCA = try RevocationPKI.certificate("rsa/citizen-ca.crt")
        ecCA = try RevocationPKI.certificate("ec/citizen-ca.crt")
        specimen17 = try RevocationPKI.certificate("persons/specimen-1.7/auth.crt")
        revoked17 = try RevocationPKI.certificate("persons/revoked-1.7/auth.crt")
        specimen18 = try RevocationPKI.certificate("persons/specimen-1.8/auth.crt")
    }

    private func checker(_ configuration: RevocationChecker.Configuration = .init(), cache: RevocationCache = RevocationCache()) -> RevocationChecker {
        RevocationChecker(configuration: configuration, httpClient: HTTPClient(configuration: .init(connectTimeout: 2, totalTimeout: 10)), cache: cache)
    }

    @Test("the responders answer (fails, not skips, when SLEUTEL_PKI_RESPONDERS=1 and they are down)")
    func respondersUp() {
        #expect(RevocationPKI.respondersAnswer())
    }

    @Test("good: specimen-1.7 via the AIA OCSP URL, delegated responder")
    func good() throws {
        let checker = checker()
        let status = try checker.status(of: specimen17, issuer: rsaCA)
        guard case .good(let evidence) = status else { Issue.record("expected good, got \(status)"); return }
        #expect(evidence.source == .ocsp)
        #expect(evidence.url == "http://127.0.0.1:8888/citizen-ca")
        #expect(evidence.origin == .fetched)
        let next = try #require(evidence.nextUpdate)
        #expect(next.timeIntervalSince(evidence.thisUpdate) > 3600)
        #expect(abs(evidence.producedAt.timeIntervalSinceNow) < 600)
        try checker.requireGood(specimen17, issuer: rsaCA)
    }

    @Test("revoked: revoked-1.7 → revoked with date and keyCompromise; requireGood throws .revoked")
    func revoked() throws {
        let checker = checker()
        let status = try checker.status(of: revoked17, issuer: rsaCA)
        guard case .revoked(let date, let reason, let evidence) = status else { Issue.record("expected revoked, got \(status)"); return }
        #expect(reason == .keyCompromise)
        #expect(evidence.source == .ocsp)
        let crlEntry = try CRL(der: RevocationPKI.bytes("crl/rsa-citizen-ca.crl")).entry(for: revoked17)
        #expect(date == crlEntry?.revocationDate)
        RevocationPKI.expectTrustError(.revoked) { try checker.requireGood(revoked17, issuer: rsaCA) }
    }

    @Test("unknown: a CA-issued certificate whose serial is in no index → unknown, no CRL fallback")
    func unknown() throws {
        let stranger = try RevocationPKI.generatedCertificate("unknown-auth.crt")
        #expect(stranger.isSignedBy(rsaCA))
        let checker = checker()
        let status = try checker.status(of: stranger, issuer: rsaCA)
        guard case .unknown(let evidence) = status else { Issue.record("expected unknown, got \(status)"); return }
        #expect(evidence.source == .ocsp)
        RevocationPKI.expectTrustError(.revocationUnknown) { try checker.requireGood(stranger, issuer: rsaCA) }
        #expect(checker.cache.count == 0)
    }

    @Test("EC tree: specimen-1.8 good by OCSP (8889) and by CRL")
    func ecTree() throws {
        let status = try checker().status(of: specimen18, issuer: ecCA)
        #expect(status.isGood)
        #expect(status.evidence.url == "http://127.0.0.1:8889/citizen-ca")
        let byCRL = try checker(.init(useOCSP: false)).status(of: specimen18, issuer: ecCA)
        #expect(byCRL.isGood)
        #expect(byCRL.evidence.source == .crl)
        #expect(byCRL.evidence.url == "http://127.0.0.1:8890/crl/ec-citizen-ca.crl")
    }

    @Test("responder down: hard-fail → revocationUnavailable naming the curl code")
    func responderDownHardFail() {
        let checker = checker(.init(ocspResponderURL: RevocationPKI.downOCSP, useCRL: false))
        let error = RevocationPKI.expectTrustError(.revocationUnavailable) { try checker.status(of: specimen17, issuer: rsaCA) }
        #expect(error?.reason.contains("CURLE_COULDNT_CONNECT") == true)
        RevocationPKI.expectTrustError(.http) { try checker.ocspStatus(of: specimen17, issuer: rsaCA, url: RevocationPKI.downOCSP) }
    }

    @Test("responder down: CRL fallback answers")
    func responderDownCRLFallback() throws {
        let status = try checker(.init(ocspResponderURL: RevocationPKI.downOCSP)).status(of: specimen17, issuer: rsaCA)
        #expect(status.isGood)
        #expect(status.evidence.source == .crl)
    }

    @Test("soft-fail: accepted within the window after a good answer, refused outside it and under hard-fail")
    func softFail() throws {
        let cache = RevocationCache()
        let t0 = Date()
        // A good answer whose nextUpdate is t0 + 1 min (the stale responder), remembered in the shared cache.
        let online = checker(.init(ocspResponderURL: RevocationPKI.staleOCSP, useCRL: false), cache: cache)
        #expect(try online.status(of: specimen17, issuer: rsaCA, at: t0).isGood)

        let offline = checker(.init(policy: .softFail(window: 600), ocspResponderURL: RevocationPKI.downOCSP, useCRL: false), cache: cache)
        let within = try offline.status(of: specimen17, issuer: rsaCA, at: t0.addingTimeInterval(120))
        #expect(within.isGood)
        #expect(within.evidence.origin == .softFail(lastGoodAt: t0))
        let error = RevocationPKI.expectTrustError(.revocationUnavailable) {
            try offline.status(of: specimen17, issuer: rsaCA, at: t0.addingTimeInterval(900))
        }
        #expect(error?.reason.contains("soft-fail window") == true)
        // Never a soft pass for a certificate without an earlier good answer.
        RevocationPKI.expectTrustError(.revocationUnavailable) { try offline.status(of: revoked17, issuer: rsaCA, at: t0.addingTimeInterval(120)) }

        let hard = checker(.init(ocspResponderURL: RevocationPKI.downOCSP, useCRL: false), cache: cache)
        RevocationPKI.expectTrustError(.revocationUnavailable) { try hard.status(of: specimen17, issuer: rsaCA, at: t0.addingTimeInterval(120)) }
    }

    @Test("stale response: nextUpdate = thisUpdate + 1 min, validated 10 min later → refused")
    func staleResponse() throws {
        let later = Date().addingTimeInterval(600)
        let checker = checker(.init(ocspResponderURL: RevocationPKI.staleOCSP, useCRL: false))
        let error = RevocationPKI.expectTrustError(.ocspResponse) {
            try checker.ocspStatus(of: specimen17, issuer: rsaCA, at: later, url: RevocationPKI.staleOCSP)
        }
        #expect(error?.reason.hasPrefix("stale") == true, "\(String(describing: error))")
        RevocationPKI.expectTrustError(.revocationUnavailable) { try checker.status(of: specimen17, issuer: rsaCA, at: later) }
        // Fresh now.
        #expect(try checker.status(of: specimen17, issuer: rsaCA).isGood)
        // The regular responder's answers (nextUpdate + 1 day) are stale two days ahead.
        let regular = self.checker(.init(useCRL: false))
        RevocationPKI.expectTrustError(.ocspResponse) {
            try regular.ocspStatus(of: specimen17, issuer: rsaCA, at: Date().addingTimeInterval(2 * 86_400), url: "\(RevocationPKI.rsaOCSP)/citizen-ca")
        }
    }

    @Test("wrong responder signature: signer not issued by the CA → refused; CRL fallback still answers")
    func rogueResponder() throws {
        let checker = checker(.init(ocspResponderURL: RevocationPKI.rogueOCSP, useCRL: false))
        let error = RevocationPKI.expectTrustError(.ocspResponse) { try checker.ocspStatus(of: specimen17, issuer: rsaCA, url: RevocationPKI.rogueOCSP) }
        #expect(error?.reason.hasPrefix("unauthorizedSigner") == true, "\(String(describing: error))")
        RevocationPKI.expectTrustError(.revocationUnavailable) { try checker.status(of: revoked17, issuer: rsaCA) }
        let withCRL = try self.checker(.init(ocspResponderURL: RevocationPKI.rogueOCSP)).status(of: revoked17, issuer: rsaCA)
        guard case .revoked(_, let reason, let evidence) = withCRL else { Issue.record("expected revoked, got \(withCRL)"); return }
        #expect(reason == .keyCompromise)
        #expect(evidence.source == .crl)
    }

    @Test("responder certificate issued by the CA but without id-kp-OCSPSigning → refused")
    func responderWithoutEKU() {
        let checker = checker(.init(useCRL: false))
        let error = RevocationPKI.expectTrustError(.ocspResponse) { try checker.ocspStatus(of: specimen17, issuer: rsaCA, url: RevocationPKI.noEKUOCSP) }
        #expect(error?.reason.contains("OCSPSigning") == true, "\(String(describing: error))")
    }

    @Test("response signed by the CA itself is accepted")
    func caSigned() throws {
        let status = try checker().ocspStatus(of: revoked17, issuer: rsaCA, url: RevocationPKI.caSignedOCSP)
        guard case .revoked = status else { Issue.record("expected revoked, got \(status)"); return }
    }

    @Test("a response for another issuer's certificate is refused (EC responder asked about an RSA leaf)")
    func wrongTree() {
        let checker = checker(.init(useCRL: false))
        RevocationPKI.expectTrustError(.ocspResponse) { try checker.ocspStatus(of: specimen17, issuer: rsaCA, url: "\(RevocationPKI.ecOCSP)/citizen-ca") }
    }

    @Test("CRL: good, revoked with reason, stale, wrong key, wrong issuer")
    func crl() throws {
        let checker = checker(.init(useOCSP: false))
        let url = "\(RevocationPKI.files)/crl/rsa-citizen-ca.crl"
        #expect(try checker.crlStatus(of: specimen17, issuer: rsaCA, url: url).isGood)
        let revoked = try checker.crlStatus(of: revoked17, issuer: rsaCA, url: url)
        guard case .revoked(_, let reason, let evidence) = revoked else { Issue.record("expected revoked, got \(revoked)"); return }
        #expect(reason == .keyCompromise)
        #expect(evidence.source == .crl)
        RevocationPKI.expectTrustError(.revoked) { try checker.requireGood(revoked17, issuer: rsaCA) }

        // Stale: the CRL's nextUpdate is ~10 years after generation.
        let later = Date().addingTimeInterval(11 * 365 * 86_400)
        let stale = RevocationPKI.expectTrustError(.crl) {
            try self.checker(.init(useOCSP: false)).crlStatus(of: specimen17, issuer: rsaCA, at: later, url: url)
        }
        #expect(stale?.reason.hasPrefix("stale") == true, "\(String(describing: stale))")
        RevocationPKI.expectTrustError(.revocationUnavailable) { try checker.status(of: specimen17, issuer: rsaCA, at: later) }

        // Bad signature: the RSA Citizen CA's CRL checked with the EC Citizen CA (same name, other key).
        let badSig = RevocationPKI.expectTrustError(.crl) { try self.checker().crlStatus(of: specimen18, issuer: ecCA, url: url) }
        #expect(badSig?.reason.hasPrefix("badSignature") == true, "\(String(describing: badSig))")
        // Wrong issuer: the Foreigner CA's CRL for a Citizen CA certificate.
        let wrong = RevocationPKI.expectTrustError(.crl) {
            try self.checker().crlStatus(of: specimen17, issuer: rsaCA, url: "\(RevocationPKI.files)/crl/rsa-foreigner-ca.crl")
        }
        #expect(wrong?.reason.hasPrefix("wrongIssuer") == true)
        RevocationPKI.expectTrustError(.http) { try self.checker().crlStatus(of: specimen17, issuer: rsaCA, url: "\(RevocationPKI.files)/crl/missing.crl") }
    }

    @Test("cache: a second check makes no HTTP request (OCSP answer, then CRL)")
    func cacheHit() throws {
        let client = HTTPClient()
        let ocsp = RevocationChecker(configuration: .init(useCRL: false), httpClient: client)
        #expect(try ocsp.status(of: specimen17, issuer: rsaCA).evidence.origin == .fetched)
        #expect(client.requestCount == 1)
        let again = try ocsp.status(of: specimen17, issuer: rsaCA)
        #expect(again.isGood)
        #expect(again.evidence.origin == .cache)
        let revoked = try ocsp.status(of: revoked17, issuer: rsaCA)
        #expect(client.requestCount == 2)
        #expect(try ocsp.status(of: revoked17, issuer: rsaCA) == revoked.withCacheOrigin)
        #expect(client.requestCount == 2)
        #expect(ocsp.cache.count == 2)
        // Past the answer's nextUpdate the cache no longer answers.
        _ = try? ocsp.status(of: specimen17, issuer: rsaCA, at: Date().addingTimeInterval(2 * 86_400))
        #expect(client.requestCount == 3)

        let crlClient = HTTPClient()
        let crl = RevocationChecker(configuration: .init(useOCSP: false), httpClient: crlClient)
        #expect(try crl.status(of: specimen17, issuer: rsaCA).isGood)
        #expect(try crl.status(of: revoked17, issuer: rsaCA).isGood == false)
        #expect(crlClient.requestCount == 1)
        #expect(crl.cache.crlCount == 1)
    }

    @Test("async API and concurrent checks share one cache safely")
    func concurrent() async throws {
        let checker = checker()
        let (ca, leaf, revokedLeaf) = (rsaCA, specimen17, revoked17)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask { try await checker.status(of: i % 2 == 0 ? leaf : revokedLeaf, issuer: ca).isGood == (i % 2 == 0) }
            }
            for try await ok in group { #expect(ok) }
        }
        try await checker.requireGood(leaf, issuer: ca)
    }

    @Test("concurrent checks of one certificate share one OCSP request (and share a failure)")
    func singleFlight() async throws {
        let client = HTTPClient()
        let checker = RevocationChecker(configuration: .init(useCRL: false), httpClient: client)
        let (ca, leaf) = (rsaCA, specimen17)
        let origins = try await withThrowingTaskGroup(of: RevocationEvidence.Origin.self) { group in
            for _ in 0..<16 { group.addTask { try await checker.status(of: leaf, issuer: ca).evidence.origin } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(client.requestCount == 1)
        #expect(origins.filter { $0 == .fetched }.count == 1)
        // A responder that is down: every concurrent check fails (the waiters with the leader's error).
        let down = RevocationChecker(configuration: .init(ocspResponderURL: "http://127.0.0.1:9/", useCRL: false))
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { (try? await down.status(of: leaf, issuer: ca)) == nil }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(failures == 8)
    }

    @Test("issuer that is not the certificate's issuer is refused before any fetch")
    func wrongIssuer() throws {
        let client = HTTPClient()
        let checker = RevocationChecker(httpClient: client)
        RevocationPKI.expectTrustError(.nameChaining) { try checker.status(of: specimen17, issuer: RevocationPKI.certificate("rsa/foreigner-ca.crt")) }
        #expect(client.requestCount == 0)
    }
}

extension RevocationStatus {
    fileprivate var withCacheOrigin: RevocationStatus {
        switch self {
        case .good(let e): .good(e.cached)
        case .unknown(let e): .unknown(e.cached)
        case .revoked(let d, let r, let e): .revoked(date: d, reason: r, evidence: e.cached)
        }
    }
}

extension RevocationEvidence {
    fileprivate var cached: RevocationEvidence {
        RevocationEvidence(source: source, url: url, producedAt: producedAt, thisUpdate: thisUpdate, nextUpdate: nextUpdate, origin: .cache)
    }
}
