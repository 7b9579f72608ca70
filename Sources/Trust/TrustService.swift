import CryptoCore
import Foundation
import Transport

/// Everything Trust found about one certificate: its path to a root, its key's strength and
/// its revocation status. Made by ``TrustService/evaluate(certificate:intermediates:kind:at:)``.
///
/// Rules are judged in a fixed order — path, then key strength, then revocation — and
/// ``failure`` is the first that failed. Revocation is asked only when the path is valid
/// (its issuer is needed); it is ``RevocationOutcome/notChecked`` otherwise.
public struct TrustVerdict: Sendable {
    /// The result of the revocation rule.
    public enum RevocationOutcome: Sendable {
        /// The checker answered (good, revoked or unknown).
        case status(RevocationStatus)
        /// No usable answer under the policy, or the check could not start.
        case failed(TrustError)
        /// Not asked: no checker configured, or the path was not valid.
        case notChecked(reason: String)
    }

    /// The certificate kind it was judged as.
    public let kind: CertificateKind
    /// The validation time.
    public let time: Date
    /// The validated chain, or the path rule that failed.
    public let path: Result<ValidatedPath, TrustError>
    /// The key-strength verdict on the certificate's public key, or why the key is unreadable.
    public let key: Result<KeyVerdict, TrustError>
    /// The revocation result.
    public let revocation: RevocationOutcome

    /// The validated path when the path rules passed.
    public var validatedPath: ValidatedPath? { try? path.get() }
    /// The key verdict when the key could be read.
    public var keyVerdict: KeyVerdict? { try? key.get() }
    /// The revocation status when a checker answered.
    public var revocationStatus: RevocationStatus? {
        if case .status(let s) = revocation { s } else { nil }
    }

    /// The first failed rule (path, key strength, revocation), or nil when the certificate is trusted.
    /// A revocation that was not checked fails only when the path failed (and then the path
    /// error comes first); without a configured checker, revocation is not required.
    public var failure: TrustError? {
        if case .failure(let e) = path { return e }
        switch key {
        case .failure(let e): return e
        case .success(let v) where !v.isAcceptable: return TrustService.weakKeyError(v)
        case .success: break
        }
        switch revocation {
        case .status(let status): return TrustService.revocationError(status, certificate: validatedPath?.leaf)
        case .failed(let e): return e
        case .notChecked: return nil
        }
    }

    /// True when every rule passed.
    public var isTrusted: Bool { failure == nil }
}

/// The Trust module's service: decides whether an eID certificate deserves trust, combining
/// certificate path validation (``PathValidator``), key strength (``KeyStrengthChecker``) on the
/// certificate's public key, and revocation (``RevocationChecker``: OCSP, CRL, cache, hard- or
/// soft-fail policy).
///
/// The login path calls ``requireAcceptable(certificate:intermediates:kind:at:)`` on the card's
/// authentication certificate; tools call ``evaluate(certificate:intermediates:kind:at:)`` for a
/// full report. Both block on network I/O when revocation is checked; use the `async` overloads
/// from Swift concurrency code.
public struct TrustService: Sendable {
    /// Path validation to the configured roots.
    public let validator: PathValidator
    /// Key-strength policy for the certificate's key.
    public let keyChecker: KeyStrengthChecker
    /// The revocation checker; nil when revocation is not checked (offline tools only).
    public let revocationChecker: RevocationChecker?
    /// Verdicts already reached by ``keyChecker``, per key and year.
    private let keyVerdicts = BoundedCache<KeyVerdictKey, KeyVerdict>(capacity: 16_384)

    /// - Parameters:
    ///   - configuration: the trusted roots (production or test).
    ///   - keyStrength: the key policy (default: ``KeyStrengthPolicy/loginDefault``, all checks).
    ///   - revocation: the revocation checker (default: hard-fail, OCSP then CRL); pass nil to skip
    ///     revocation, which a login path must never do.
    public init(
        configuration: TrustConfiguration,
        keyStrength: KeyStrengthChecker = KeyStrengthChecker(),
        revocation: RevocationChecker? = RevocationChecker()
    ) {
        validator = PathValidator(configuration: configuration)
        keyChecker = keyStrength
        revocationChecker = revocation
    }

    /// Judges `certificate` by every rule and reports each result.
    /// - Parameters:
    ///   - certificate: the leaf, e.g. the card's authentication certificate.
    ///   - intermediates: candidate issuing CA certificates (e.g. the card's Citizen CA certificate).
    ///   - kind: authentication, signature or RRN.
    ///   - time: the validation time (default now); the key policy is judged for its UTC year.
    /// - Returns: the verdict; ``TrustVerdict/failure`` names the first rule that failed.
    public func evaluate(certificate: Certificate, intermediates: [Certificate] = [], kind: CertificateKind, at time: Date = Date()) -> TrustVerdict {
        judge(certificate, intermediates: intermediates, kind: kind, at: time)
    }

    private func judge(_ certificate: Certificate, intermediates: [Certificate], kind: CertificateKind, at time: Date) -> TrustVerdict {
        let path = Result { try validator.validate(certificate, kind: kind, intermediates: intermediates, at: time) }
            .mapError(Self.trustError)
        let key = keyVerdict(certificate, at: time)
        let revocation: TrustVerdict.RevocationOutcome
        if let checker = revocationChecker {
            if case .success(let validated) = path {
                do {
                    revocation = .status(try checker.status(of: certificate, issuer: validated.issuer, at: time))
                } catch {
                    revocation = .failed(Self.trustError(error))
                }
            } else {
                revocation = .notChecked(reason: "the certificate path is not valid")
            }
        } else {
            revocation = .notChecked(reason: "no revocation checker configured")
        }
        return TrustVerdict(kind: kind, time: time, path: path, key: key, revocation: revocation)
    }

    /// Accepts `certificate` only when every rule passes, judging them in order (path, key
    /// strength, revocation) and stopping at the first failure, so a refused path or weak key
    /// costs no network request.
    /// - Returns: the verdict, with every rule passed.
    /// - Throws: ``TrustError`` of the first failed rule: a path rule (`expired`, `noTrustAnchor`,
    ///   `keyUsage`, …), `weakKey`/`unreadableKey`, or `revoked`/`revocationUnknown`/`revocationUnavailable`.
    @discardableResult
    public func requireAcceptable(
        certificate: Certificate, intermediates: [Certificate] = [], kind: CertificateKind, at time: Date = Date()
    ) throws -> TrustVerdict {
        let path: ValidatedPath
        do { path = try validator.validate(certificate, kind: kind, intermediates: intermediates, at: time) } catch {
            throw Self.trustError(error)
        }
        let key = keyVerdict(certificate, at: time)
        let verdict = try key.get()
        guard verdict.isAcceptable else { throw Self.weakKeyError(verdict) }
        var revocation = TrustVerdict.RevocationOutcome.notChecked(reason: "no revocation checker configured")
        if let checker = revocationChecker {
            let status: RevocationStatus
            do { status = try checker.status(of: certificate, issuer: path.issuer, at: time) } catch {
                throw Self.trustError(error)
            }
            if let error = Self.revocationError(status, certificate: certificate) { throw error }
            revocation = .status(status)
        }
        return TrustVerdict(kind: kind, time: time, path: .success(path), key: key, revocation: revocation)
    }

    /// ``evaluate(certificate:intermediates:kind:at:)`` on a dedicated dispatch queue, off the Swift concurrency pool.
    public func evaluate(certificate: Certificate, intermediates: [Certificate] = [], kind: CertificateKind, at time: Date = Date()) async -> TrustVerdict {
        // The work throws nothing; the verdict carries every error.
        let work = { @Sendable in self.judge(certificate, intermediates: intermediates, kind: kind, at: time) }
        do { return try await HTTPClient.runOffPool(work) } catch { return work() }
    }

    /// ``requireAcceptable(certificate:intermediates:kind:at:)`` on a dedicated dispatch queue, off the Swift concurrency pool.
    @discardableResult
    public func requireAcceptable(
        certificate: Certificate, intermediates: [Certificate] = [], kind: CertificateKind, at time: Date = Date()
    ) async throws -> TrustVerdict {
        try await HTTPClient.runOffPool { try self.requireAcceptable(certificate: certificate, intermediates: intermediates, kind: kind, at: time) }
    }

    // MARK: - Internals

    /// The key-strength verdict on the certificate's key for the UTC year of `time`. A verdict is
    /// a pure function of the key, the policy and the year, so it is remembered per key and year
    /// (a ``BoundedCache``): a returning card's key is judged once, not on every login.
    private func keyVerdict(_ certificate: Certificate, at time: Date) -> Result<KeyVerdict, TrustError> {
        Result {
            let spki: [UInt8]
            do { spki = try certificate.publicKey().spkiDER() } catch {
                throw TrustError(.unreadableKey, "certificate key: \(error)")
            }
            let year = Self.year(of: time)
            let cacheKey = KeyVerdictKey(spkiHash: DigestAlgorithm.sha256.hash(spki), year: year)
            if let known = keyVerdicts[cacheKey] { return known }
            let components: KeyComponents
            do { components = try KeyReader.spki(spki) } catch {
                throw TrustError(.unreadableKey, "certificate key: \(error)")
            }
            let verdict = keyChecker.verdict(for: components, year: year)
            keyVerdicts.remember(verdict, for: cacheKey)
            return verdict
        }.mapError(Self.trustError)
    }

    static func year(of time: Date) -> Int {
        utcCalendar.component(.year, from: time)
    }

    private static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func trustError(_ error: any Error) -> TrustError {
        error as? TrustError ?? TrustError(.malformedCertificate, "\(error)")
    }

    static func weakKeyError(_ v: KeyVerdict) -> TrustError {
        let failed = v.failures.map { "\($0.id): \($0.detail)" }.joined(separator: "; ")
        return TrustError(.weakKey, "\(v.key) under \(v.profile) in \(v.year): \(failed.isEmpty ? "acceptable \(v.lifetime)" : failed)")
    }

    static func revocationError(_ status: RevocationStatus, certificate: Certificate?) -> TrustError? {
        let serial = certificate.map { " serial \($0.serialNumberHex)" } ?? ""
        switch status {
        case .good:
            return nil
        case .revoked(let date, let reason, let evidence):
            return TrustError(
                .revoked,
                "certificate\(serial) revoked at \(date)\(reason.map { " (\($0))" } ?? "") according to \(evidence.source) \(evidence.url)"
            )
        case .unknown(let evidence):
            return TrustError(.revocationUnknown, "OCSP responder \(evidence.url) does not know certificate\(serial)")
        }
    }
}

/// A key-strength verdict's identity: the key (SHA-256 of its SubjectPublicKeyInfo) and the policy year.
struct KeyVerdictKey: Hashable, Sendable {
    let spkiHash: [UInt8]
    let year: Int
}
