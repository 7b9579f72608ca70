import CryptoCore
import Foundation

/// Where a revocation answer came from and how long it holds.
public struct RevocationEvidence: Sendable, Equatable {
    /// The kind of source.
    public enum Source: Sendable, Equatable {
        /// An OCSP response, verified against the issuer (or its delegated responder).
        case ocsp
        /// A CRL, verified with the issuer's key.
        case crl
    }

    /// How this particular answer was obtained.
    public enum Origin: Sendable, Equatable {
        /// Fetched and verified during this check.
        case fetched
        /// Taken from the cache; still before its nextUpdate.
        case cache
        /// No source answered; accepted under ``RevocationPolicy/softFail(window:)`` because the last
        /// good answer for this certificate was obtained at `lastGoodAt`, within the window. The other
        /// fields of the evidence are those of that last good answer.
        case softFail(lastGoodAt: Date)
    }

    /// OCSP or CRL.
    public let source: Source
    /// The responder or distribution-point URL the answer came from.
    public let url: String
    /// OCSP producedAt; for a CRL its thisUpdate.
    public let producedAt: Date
    /// When the status was known to be correct (OCSP/CRL thisUpdate).
    public let thisUpdate: Date
    /// When newer information is due; nil for an OCSP answer without nextUpdate.
    public let nextUpdate: Date?
    /// Fetched now, from the cache, or accepted by the soft-fail window.
    public let origin: Origin

    /// Builds evidence; the checker does this for every answer.
    public init(source: Source, url: String, producedAt: Date, thisUpdate: Date, nextUpdate: Date?, origin: Origin) {
        self.source = source
        self.url = url
        self.producedAt = producedAt
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.origin = origin
    }

    func with(origin: Origin) -> RevocationEvidence {
        RevocationEvidence(source: source, url: url, producedAt: producedAt, thisUpdate: thisUpdate, nextUpdate: nextUpdate, origin: origin)
    }
}

/// The revocation status of one certificate, with the evidence it rests on.
public enum RevocationStatus: Sendable, Equatable {
    /// Not revoked according to `evidence`.
    case good(RevocationEvidence)
    /// Revoked at `date`, with the reason code when the source gave one.
    case revoked(date: Date, reason: CRLReason?, evidence: RevocationEvidence)
    /// The OCSP responder does not know the certificate (e.g. not issued by this CA).
    case unknown(RevocationEvidence)

    /// The evidence of any case.
    public var evidence: RevocationEvidence {
        switch self {
        case .good(let e), .unknown(let e), .revoked(_, _, let e): e
        }
    }

    /// True for ``good(_:)``.
    public var isGood: Bool { if case .good = self { true } else { false } }

    func with(origin: RevocationEvidence.Origin) -> RevocationStatus {
        switch self {
        case .good(let e): .good(e.with(origin: origin))
        case .unknown(let e): .unknown(e.with(origin: origin))
        case .revoked(let d, let r, let e): .revoked(date: d, reason: r, evidence: e.with(origin: origin))
        }
    }
}

/// What happens when no revocation source gives a usable answer (responder down, timeout,
/// malformed, wrongly signed or stale answers).
///
/// The policy never overrides an answer: a certificate reported revoked is refused and one
/// reported unknown is refused, whatever the policy.
public enum RevocationPolicy: Sendable, Equatable {
    /// No usable answer → ``TrustError/Code/revocationUnavailable``. The default.
    case hardFail
    /// No usable answer → still accepted as good when this checker (its ``RevocationCache``)
    /// obtained a verified *good* answer for the same certificate (same issuer key and serial)
    /// at most `window` seconds before the validation time; otherwise
    /// ``TrustError/Code/revocationUnavailable``. The age is measured from the validation time of
    /// the check that fetched that answer (cache hits do not renew it). For kiosks that are
    /// briefly offline; keep the window short (minutes), since a revocation within the window
    /// goes unnoticed.
    case softFail(window: TimeInterval)
}
