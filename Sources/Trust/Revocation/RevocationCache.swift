import CryptoCore
import Foundation

/// Thread-safe, bounded memory of revocation answers, shared by the checkers given the same instance.
///
/// Holds three things:
/// - statuses (good/revoked) keyed by issuer key hash + serial, each until its nextUpdate
///   (OCSP answers without nextUpdate until thisUpdate + the checker's maximum age);
/// - verified CRLs keyed by URL and issuer key, until their nextUpdate;
/// - for the soft-fail policy, when the last good answer for each certificate was obtained.
///
/// When full, expired entries go first, then those expiring soonest (statuses, CRLs) or the
/// oldest (last-good times).
public final class RevocationCache: @unchecked Sendable {
    /// Identifies a certificate: SHA-256 of its issuer's SubjectPublicKeyInfo and its serial number.
    public struct Key: Hashable, Sendable {
        /// SHA-256 over the issuer's DER SubjectPublicKeyInfo.
        public let issuerKeyHash: [UInt8]
        /// The certificate's serial number, upper-case hex.
        public let serialNumberHex: String

        public init(issuerKeyHash: [UInt8], serialNumberHex: String) {
            self.issuerKeyHash = issuerKeyHash
            self.serialNumberHex = serialNumberHex
        }
    }

    private struct StatusEntry {
        let status: RevocationStatus
        let validUntil: Date
    }

    private struct CRLKey: Hashable {
        let url: String
        let issuerKeyHash: [UInt8]
    }

    /// Maximum number of certificate statuses (and, separately, of last-good times) kept.
    public let capacity: Int
    /// Maximum number of CRLs kept.
    public let crlCapacity: Int
    private let lock = NSLock()
    private var statuses: [Key: StatusEntry] = [:]
    private var lastGood: [Key: (at: Date, evidence: RevocationEvidence)] = [:]
    private var crls: [CRLKey: CRL] = [:]

    /// - Parameters:
    ///   - capacity: maximum number of certificate statuses kept (default 10 000).
    ///   - crlCapacity: maximum number of CRLs kept (default 32).
    public init(capacity: Int = 10_000, crlCapacity: Int = 32) {
        self.capacity = max(1, capacity)
        self.crlCapacity = max(1, crlCapacity)
    }

    /// Number of cached certificate statuses.
    public var count: Int { lock.withLock { statuses.count } }

    /// Number of cached CRLs.
    public var crlCount: Int { lock.withLock { crls.count } }

    /// Forgets everything, last-good times included.
    public func removeAll() {
        lock.withLock {
            statuses.removeAll()
            lastGood.removeAll()
            crls.removeAll()
        }
    }

    /// The cached status usable at `time`: thisUpdate − `clockSkew` ≤ `time` < its expiry.
    func status(for key: Key, at time: Date, clockSkew: TimeInterval) -> RevocationStatus? {
        lock.withLock {
            guard let entry = statuses[key] else { return nil }
            guard time < entry.validUntil, entry.status.evidence.thisUpdate.timeIntervalSince(time) <= clockSkew else { return nil }
            return entry.status
        }
    }

    func store(_ status: RevocationStatus, for key: Key, validUntil: Date, now time: Date) {
        lock.withLock {
            statuses[key] = StatusEntry(status: status, validUntil: validUntil)
            if statuses.count > capacity {
                statuses = statuses.filter { $0.value.validUntil > time }
            }
            if statuses.count > capacity {
                let drop = statuses.count - capacity + capacity / 10
                for victim in statuses.sorted(by: { $0.value.validUntil < $1.value.validUntil }).prefix(drop) where victim.key != key {
                    statuses[victim.key] = nil
                }
            }
        }
    }

    /// When the last good answer for `key` was obtained, and its evidence, if remembered.
    func lastGood(for key: Key) -> (at: Date, evidence: RevocationEvidence)? { lock.withLock { lastGood[key] } }

    func recordGood(_ evidence: RevocationEvidence, for key: Key, at time: Date) {
        lock.withLock {
            if let previous = lastGood[key], previous.at > time { return }
            lastGood[key] = (time, evidence)
            if lastGood.count > capacity {
                let drop = lastGood.count - capacity + capacity / 10
                for victim in lastGood.sorted(by: { $0.value.at < $1.value.at }).prefix(drop) where victim.key != key {
                    lastGood[victim.key] = nil
                }
            }
        }
    }

    /// A cached CRL from `url`, verified for the issuer with `issuerKeyHash`, fresh at `time`.
    func crl(url: String, issuerKeyHash: [UInt8], at time: Date, clockSkew: TimeInterval) -> CRL? {
        lock.withLock {
            guard let crl = crls[CRLKey(url: url, issuerKeyHash: issuerKeyHash)] else { return nil }
            guard let next = crl.nextUpdate, time < next, crl.thisUpdate.timeIntervalSince(time) <= clockSkew else { return nil }
            return crl
        }
    }

    func store(crl: CRL, url: String, issuerKeyHash: [UInt8]) {
        lock.withLock {
            let key = CRLKey(url: url, issuerKeyHash: issuerKeyHash)
            crls[key] = crl
            if crls.count > crlCapacity {
                let drop = crls.count - crlCapacity
                for victim in crls.sorted(by: { ($0.value.nextUpdate ?? .distantPast) < ($1.value.nextUpdate ?? .distantPast) }).prefix(drop)
                where victim.key != key {
                    crls[victim.key] = nil
                }
            }
        }
    }
}
