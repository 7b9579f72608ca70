import CryptoCore
import Foundation
import Transport

/// Checks whether a certificate is revoked: OCSP first, CRL as fallback, with a cache and a
/// hard- or soft-fail policy. The one service type of revocation checking.
///
/// Order of a check (``status(of:issuer:at:)``):
/// 1. the cache (an earlier good or revoked answer still before its nextUpdate);
/// 2. OCSP: a POST of a SHA-256 CertID request with a 32-byte nonce to each responder URL (the
///    configured override, else the certificate's AIA OCSP URLs). The response must be signed
///    by the issuer or by a delegated responder certificate the issuer issued with
///    id-kp-OCSPSigning, echo the nonce, answer for our CertID, and be fresh at the validation
///    time. A *good* or *revoked* answer is final; *unknown* is final too (the issuer does not
///    know the certificate: no CRL fallback, which would wrongly say good);
/// 3. CRL: each CRL distribution-point URL of the certificate, verified with the issuer's key and
///    fresh at the validation time, kept in the cache until its nextUpdate;
/// 4. no usable answer: the ``RevocationPolicy`` decides (hard-fail throws
///    ``TrustError/Code/revocationUnavailable``).
///
/// Calls block on network I/O up to the HTTP client's timeouts per URL; use the `async` overloads
/// from Swift concurrency code, which run the work on a dedicated dispatch queue.
public final class RevocationChecker: Sendable {
    /// How the checker fetches and judges answers.
    public struct Configuration: Sendable, Equatable {
        /// What to do when no source answers. Default: ``RevocationPolicy/hardFail``.
        public var policy: RevocationPolicy
        /// An OCSP responder URL used instead of the certificates' AIA URLs (e.g. a local relay).
        public var ocspResponderURL: String?
        /// Whether OCSP is asked at all.
        public var useOCSP: Bool
        /// Whether CRLs are used when OCSP gives no usable answer.
        public var useCRL: Bool
        /// Tolerated clock difference with responders and CRL issuers, in seconds.
        public var clockSkew: TimeInterval
        /// Maximum age of an OCSP answer without nextUpdate, in seconds (also its cache lifetime).
        public var maxAgeWithoutNextUpdate: TimeInterval
        /// The OCSP nonce rule.
        public var nonce: OCSPNoncePolicy

        /// - Parameters:
        ///   - policy: hard-fail (default) or soft-fail with a window.
        ///   - ocspResponderURL: responder URL overriding the certificates' AIA URLs; nil to use AIA.
        ///   - useOCSP: ask OCSP (default true).
        ///   - useCRL: fall back to CRLs (default true).
        ///   - clockSkew: tolerated clock difference in seconds (default 300).
        ///   - maxAgeWithoutNextUpdate: accepted age of an OCSP answer without nextUpdate (default 3600 s).
        ///   - nonce: OCSP nonce rule (default ``OCSPNoncePolicy/required``).
        public init(
            policy: RevocationPolicy = .hardFail,
            ocspResponderURL: String? = nil,
            useOCSP: Bool = true,
            useCRL: Bool = true,
            clockSkew: TimeInterval = 300,
            maxAgeWithoutNextUpdate: TimeInterval = 3600,
            nonce: OCSPNoncePolicy = .required
        ) {
            self.policy = policy
            self.ocspResponderURL = ocspResponderURL
            self.useOCSP = useOCSP
            self.useCRL = useCRL
            self.clockSkew = clockSkew
            self.maxAgeWithoutNextUpdate = maxAgeWithoutNextUpdate
            self.nonce = nonce
        }
    }

    /// The checker's configuration.
    public let configuration: Configuration
    /// The HTTP client used for OCSP and CRL fetches.
    public let httpClient: HTTPClient
    /// The cache of answers, CRLs and last-good times (may be shared between checkers).
    public let cache: RevocationCache
    /// Fetches in progress, by certificate.
    private let flights = Flights()

    /// - Parameters:
    ///   - configuration: policy, sources and tolerances.
    ///   - httpClient: the client for fetches (its timeouts bound each URL's attempt).
    ///   - cache: the cache; pass one instance to several checkers to share answers.
    public init(configuration: Configuration = Configuration(), httpClient: HTTPClient = HTTPClient(), cache: RevocationCache = RevocationCache()) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.cache = cache
    }

    // MARK: - Checks

    /// The revocation status of `certificate`, issued by `issuer`, at `time`.
    /// - Parameters:
    ///   - certificate: the certificate to check (e.g. the card's authentication certificate).
    ///   - issuer: its issuing CA certificate (already validated as such by path validation).
    ///   - time: the validation time (default now).
    /// - Returns: good, revoked or unknown, with the evidence.
    /// - Throws: ``TrustError`` `revocationUnavailable` when no source gives a usable answer and
    ///   the policy does not accept the certificate; `nameChaining` or `malformedCertificate` when
    ///   `issuer` cannot be `certificate`'s issuer.
    ///
    /// Concurrent checks of one certificate (at about the same time) share one fetch: the others
    /// wait for its answer, or its error, and see it with origin `.cache`.
    public func status(of certificate: Certificate, issuer: Certificate, at time: Date = Date()) throws -> RevocationStatus {
        let key = try cacheKey(certificate, issuer: issuer)
        if let cached = cache.status(for: key, at: time, clockSkew: configuration.clockSkew) {
            return cached.with(origin: .cache)
        }
        switch flights.join(key, at: time, tolerance: configuration.clockSkew) {
        case .follow(let flight):
            return try flight.wait().get().with(origin: .cache)
        case .alone:
            return try fetchStatus(certificate, issuer: issuer, key: key, at: time)
        case .lead(let flight):
            let outcome = Result { try fetchStatus(certificate, issuer: issuer, key: key, at: time) }
            flights.land(key, flight, outcome)
            return try outcome.get()
        }
    }

    /// The status from the responders (OCSP, then CRL), remembered in the cache, or the policy's
    /// answer when none answers.
    private func fetchStatus(_ certificate: Certificate, issuer: Certificate, key: RevocationCache.Key, at time: Date) throws -> RevocationStatus {
        var failures: [String] = []
        if configuration.useOCSP {
            let urls = configuration.ocspResponderURL.map { [$0] } ?? certificate.ocspURLs
            if urls.isEmpty { failures.append("ocsp: no responder URL") }
            for url in urls {
                do {
                    let status = try ocspStatus(of: certificate, issuer: issuer, at: time, url: url)
                    remember(status, for: key, at: time)
                    return status
                } catch let error as TrustError {
                    failures.append("ocsp \(url): \(error.code): \(error.reason)")
                }
            }
        }
        if configuration.useCRL {
            let urls = certificate.crlURLs
            if urls.isEmpty { failures.append("crl: no distribution point") }
            for url in urls {
                do {
                    let status = try crlStatus(of: certificate, issuer: issuer, at: time, url: url)
                    remember(status, for: key, at: time)
                    return status
                } catch let error as TrustError {
                    failures.append("crl \(url): \(error.code): \(error.reason)")
                }
            }
        }
        if !configuration.useOCSP && !configuration.useCRL { failures.append("OCSP and CRL are both disabled") }
        return try noAnswer(key: key, at: time, failures: failures)
    }

    /// Like ``status(of:issuer:at:)`` but accepts only a good status.
    /// - Returns: the evidence of the good status.
    /// - Throws: ``TrustError`` `revoked`, `revocationUnknown`, `revocationUnavailable`, or those of
    ///   ``status(of:issuer:at:)``.
    @discardableResult
    public func requireGood(_ certificate: Certificate, issuer: Certificate, at time: Date = Date()) throws -> RevocationEvidence {
        switch try status(of: certificate, issuer: issuer, at: time) {
        case .good(let evidence):
            return evidence
        case .revoked(let date, let reason, let evidence):
            throw TrustError(
                .revoked,
                "certificate serial \(certificate.serialNumberHex) revoked at \(date)\(reason.map { " (\($0))" } ?? "") "
                    + "according to \(evidence.source) \(evidence.url)"
            )
        case .unknown(let evidence):
            throw TrustError(.revocationUnknown, "OCSP responder \(evidence.url) does not know certificate serial \(certificate.serialNumberHex)")
        }
    }

    /// ``status(of:issuer:at:)`` on a dedicated dispatch queue, off the Swift concurrency pool.
    public func status(of certificate: Certificate, issuer: Certificate, at time: Date = Date()) async throws -> RevocationStatus {
        try await HTTPClient.runOffPool { try self.status(of: certificate, issuer: issuer, at: time) }
    }

    /// ``requireGood(_:issuer:at:)`` on a dedicated dispatch queue, off the Swift concurrency pool.
    @discardableResult
    public func requireGood(_ certificate: Certificate, issuer: Certificate, at time: Date = Date()) async throws -> RevocationEvidence {
        try await HTTPClient.runOffPool { try self.requireGood(certificate, issuer: issuer, at: time) }
    }

    // MARK: - Single sources (no cache of statuses, no policy)

    /// Asks one OCSP responder, without cache or policy.
    /// - Parameters:
    ///   - certificate: the certificate to check.
    ///   - issuer: its issuer.
    ///   - time: the validation time for freshness and the responder certificate's validity.
    ///   - url: the responder URL (POST, `application/ocsp-request`).
    /// - Returns: the verified status (good, revoked or unknown) with origin `fetched`.
    /// - Throws: ``TrustError`` `http` (transport, non-200 status) or `ocspResponse` (malformed,
    ///   unsuccessful, wrong signer or signature, nonce, CertID, stale), with the ``OCSPError`` code
    ///   in the reason.
    public func ocspStatus(of certificate: Certificate, issuer: Certificate, at time: Date = Date(), url: String) throws -> RevocationStatus {
        let request: OCSPRequest
        do {
            request = try OCSPRequest(certificate: certificate, issuer: issuer)
        } catch {
            throw TrustError(.malformedCertificate, "cannot build an OCSP request: \(error)")
        }
        let reply = try fetch { try httpClient.post(url, body: request.derEncoded, contentType: OCSPRequest.mediaType, accept: OCSPRequest.responseMediaType) }
        guard reply.status == 200 else { throw TrustError(.http, "HTTP \(reply.status) from OCSP responder \(url)") }
        let single: OCSPSingleResponse
        do {
            let response = try OCSPResponse(der: reply.body)
            let options = OCSPValidationOptions(
                clockSkew: configuration.clockSkew,
                maxAgeWithoutNextUpdate: configuration.maxAgeWithoutNextUpdate,
                nonce: configuration.nonce
            )
            single = try response.validate(for: request, issuer: issuer, at: time, options: options)
        } catch let error as OCSPError {
            throw TrustError(.ocspResponse, "\(error.code): \(error.reason)")
        }
        let evidence = RevocationEvidence(
            source: .ocsp,
            url: url,
            producedAt: single.producedAt,
            thisUpdate: single.thisUpdate,
            nextUpdate: single.nextUpdate,
            origin: .fetched
        )
        switch single.certStatus {
        case .good: return .good(evidence)
        case .revoked(let at, let reason): return .revoked(date: at, reason: reason, evidence: evidence)
        case .unknown: return .unknown(evidence)
        }
    }

    /// Looks `certificate` up on the CRL at `url`: from the cache when a verified CRL from that
    /// URL is still fresh at `time`, else downloaded, verified with `issuer` and cached until its nextUpdate.
    /// - Returns: good or revoked (entries with reason removeFromCRL count as not listed).
    /// - Throws: ``TrustError`` `http` or `crl` (malformed, wrong issuer, bad signature, stale),
    ///   with the ``CRLError`` code in the reason.
    public func crlStatus(of certificate: Certificate, issuer: Certificate, at time: Date = Date(), url: String) throws -> RevocationStatus {
        let issuerKeyHash = try issuerKeyHash(issuer)
        var origin = RevocationEvidence.Origin.cache
        let crl: CRL
        if let cached = cache.crl(url: url, issuerKeyHash: issuerKeyHash, at: time, clockSkew: configuration.clockSkew) {
            crl = cached
        } else {
            origin = .fetched
            let reply = try fetch { try httpClient.get(url) }
            guard reply.status == 200 else { throw TrustError(.http, "HTTP \(reply.status) from CRL distribution point \(url)") }
            do {
                crl = try CRL(derOrPEM: reply.body)
                try crl.verify(issuer: issuer)
                try crl.checkFreshness(at: time, clockSkew: configuration.clockSkew)
            } catch let error as CRLError {
                throw TrustError(.crl, "\(error.code): \(error.reason)")
            }
            cache.store(crl: crl, url: url, issuerKeyHash: issuerKeyHash)
        }
        let evidence = RevocationEvidence(
            source: .crl,
            url: url,
            producedAt: crl.thisUpdate,
            thisUpdate: crl.thisUpdate,
            nextUpdate: crl.nextUpdate,
            origin: origin
        )
        if let entry = crl.entry(for: certificate), entry.reason != .removeFromCRL {
            return .revoked(date: entry.revocationDate, reason: entry.reason, evidence: evidence)
        }
        return .good(evidence)
    }

    // MARK: - Internals

    /// Runs one HTTP exchange, turning a transport failure into ``TrustError`` `http`.
    private func fetch(_ exchange: () throws -> HTTPResponse) throws -> HTTPResponse {
        do {
            return try exchange()
        } catch let error as TransportError {
            throw TrustError(.http, error.reason)
        }
    }

    private func issuerKeyHash(_ issuer: Certificate) throws -> [UInt8] {
        do { return try issuer.publicKeyFingerprint() } catch {
            throw TrustError(.malformedCertificate, "issuer public key unreadable: \(error)")
        }
    }

    private func cacheKey(_ certificate: Certificate, issuer: Certificate) throws -> RevocationCache.Key {
        guard certificate.issuerNameMatches(subjectOf: issuer) else {
            throw TrustError(.nameChaining, "the certificate's issuer name is not the given issuer's subject")
        }
        return RevocationCache.Key(issuerKeyHash: try issuerKeyHash(issuer), serialNumberHex: certificate.serialNumberHex)
    }

    private func remember(_ status: RevocationStatus, for key: RevocationCache.Key, at time: Date) {
        let evidence = status.evidence
        switch status {
        case .good:
            cache.recordGood(evidence.with(origin: .fetched), for: key, at: time)
        case .revoked:
            break
        case .unknown:
            return
        }
        let until = evidence.nextUpdate ?? evidence.thisUpdate.addingTimeInterval(configuration.maxAgeWithoutNextUpdate)
        if until > time { cache.store(status.with(origin: .fetched), for: key, validUntil: until, now: time) }
    }

    private func noAnswer(key: RevocationCache.Key, at time: Date, failures: [String]) throws -> RevocationStatus {
        let summary = failures.joined(separator: "; ")
        switch configuration.policy {
        case .hardFail:
            throw TrustError(.revocationUnavailable, "no usable revocation answer (hard-fail): \(summary)")
        case .softFail(let window):
            guard let last = cache.lastGood(for: key) else {
                throw TrustError(.revocationUnavailable, "no usable revocation answer and no earlier good answer (soft-fail): \(summary)")
            }
            let age = time.timeIntervalSince(last.at)
            guard age <= window, -age <= configuration.clockSkew else {
                throw TrustError(
                    .revocationUnavailable,
                    "no usable revocation answer; last good answer is \(Int(age)) s old, outside the soft-fail window of \(Int(window)) s: \(summary)"
                )
            }
            return .good(last.evidence.with(origin: .softFail(lastGoodAt: last.at)))
        }
    }
}

/// Status fetches in progress, one per certificate, that concurrent checks can wait for.
private final class Flights: @unchecked Sendable {
    /// One fetch; its outcome is set once and then read by every waiter.
    final class Flight: @unchecked Sendable {
        let time: Date
        private let condition = NSCondition()
        private var outcome: Result<RevocationStatus, any Error>?

        init(time: Date) { self.time = time }

        func finish(_ result: Result<RevocationStatus, any Error>) {
            condition.lock()
            outcome = result
            condition.broadcast()
            condition.unlock()
        }

        func wait() -> Result<RevocationStatus, any Error> {
            condition.lock()
            defer { condition.unlock() }
            while outcome == nil { condition.wait() }
            return outcome!
        }
    }

    enum Role {
        /// Fetch, then ``land(_:_:_:)`` the outcome.
        case lead(Flight)
        /// Wait for this fetch's outcome.
        case follow(Flight)
        /// A fetch for another validation time is in progress: fetch without sharing.
        case alone
    }

    private let lock = NSLock()
    private var inProgress: [RevocationCache.Key: Flight] = [:]

    func join(_ key: RevocationCache.Key, at time: Date, tolerance: TimeInterval) -> Role {
        lock.withLock {
            if let flight = inProgress[key] {
                return abs(flight.time.timeIntervalSince(time)) <= tolerance ? .follow(flight) : .alone
            }
            let flight = Flight(time: time)
            inProgress[key] = flight
            return .lead(flight)
        }
    }

    func land(_ key: RevocationCache.Key, _ flight: Flight, _ outcome: Result<RevocationStatus, any Error>) {
        lock.withLock { if inProgress[key] === flight { inProgress[key] = nil } }
        flight.finish(outcome)
    }
}
