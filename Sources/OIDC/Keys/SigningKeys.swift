import CryptoCore
import Foundation
import Storage
import Synchronization

/// The provider's ES256 signing keys. With keys in the database (`oidc_signing_key`, shared by
/// every instance) the one whose turn came last signs, and every unretired key is published in the
/// JWKS — a rotated-in key some minutes before it signs, a rotated-out one until the tokens it
/// signed expired. Without rows, the configuration's key signs alone. The table is read again at
/// most every ``reloadInterval`` seconds.
final class SigningKeys: Sendable {
    struct Key: Sendable {
        let signer: JWSSigner
        let signsFrom: Date
    }

    static let reloadInterval: TimeInterval = 5
    private let fallback: JWSSigner
    private let database: Storage.Database
    private let cache = Mutex<(loadedAt: Date, keys: [Key])?>(nil)

    init(fallback: PrivateKey, database: Storage.Database) throws {
        self.fallback = try JWSSigner(key: fallback)
        self.database = database
    }

    /// The keys published at `now`, oldest turn first.
    func published(at now: Date) -> [Key] {
        if let cached = cache.withLock({ $0 }), abs(now.timeIntervalSince(cached.loadedAt)) < Self.reloadInterval { return cached.keys }
        let known = Dictionary((cache.withLock { $0 }?.keys ?? []).map { ($0.signer.keyID, $0.signer) }, uniquingKeysWith: { first, _ in first })
        let rows = (try? database.read { db in try OIDCSigningKeyRecord.published(at: now, in: db) }) ?? []
        var keys = rows.compactMap { row -> Key? in
            let signer = known[row.keyID] ?? (try? PrivateKey(pem: row.privateKey)).flatMap { try? JWSSigner(key: $0) }
            return signer.map { Key(signer: $0, signsFrom: row.signsFrom) }
        }
        if keys.isEmpty { keys = [Key(signer: fallback, signsFrom: .distantPast)] }
        cache.withLock { $0 = (now, keys) }
        return keys
    }

    /// The key that signs at `now`: the latest whose turn has come.
    func current(at now: Date) -> JWSSigner {
        let keys = published(at: now)
        return (keys.last { $0.signsFrom <= now } ?? keys[0]).signer
    }

    /// The published key with `keyID` (to check a token this provider signed).
    func signer(keyID: String, at now: Date) -> JWSSigner? {
        published(at: now).first { $0.signer.keyID == keyID }?.signer
    }
}

/// Rotation of the provider's signing keys in the database (`sleutel oidc rotate-key`).
public enum SigningKeyRotation {
    /// Puts `key` in the database as the signing key when the table holds none (the key file of
    /// a server started before keys lived in the database), so that rotation has a key to retire.
    public static func seed(_ key: PrivateKey, database: Storage.Database, at now: Date = Date()) throws {
        let signer = try JWSSigner(key: key)
        let record = OIDCSigningKeyRecord(keyID: signer.keyID, privateKey: try key.pkcs8PEM(), createdAt: now, signsFrom: .distantPast, retiresAt: nil)
        try database.write { db in
            if try OIDCSigningKeyRecord.published(at: now, in: db).isEmpty { try OIDCSigningKeyRecord.insert(record, in: db) }
        }
    }

    /// Adds a new P-256 key that is published at once and signs from `now + publishAhead`; the
    /// keys signing before it leave the JWKS `keepOld` seconds after its turn (longer than any
    /// token they signed lives).
    /// - Returns: the new key's `kid` and when it starts signing.
    public static func rotate(database: Storage.Database, publishAhead: TimeInterval, keepOld: TimeInterval,
                              at now: Date = Date()) throws -> (keyID: String, signsFrom: Date) {
        guard publishAhead >= 0, keepOld >= 0 else { throw OIDCError(.configuration, "publish-ahead and keep-old must not be negative") }
        let key = try PrivateKey.generateEC(curve: .p256)
        let signer = try JWSSigner(key: key)
        let signsFrom = now.addingTimeInterval(publishAhead)
        try database.write { db in
            guard try !OIDCSigningKeyRecord.published(at: now, in: db).isEmpty else {
                throw OIDCError(.configuration, "the database holds no signing key yet: start sleutel serve once, or seed it from the key file")
            }
            try OIDCSigningKeyRecord.retire(signingBefore: signsFrom, at: signsFrom.addingTimeInterval(keepOld), in: db)
            try OIDCSigningKeyRecord.insert(OIDCSigningKeyRecord(keyID: signer.keyID, privateKey: try key.pkcs8PEM(), createdAt: now,
                                                                 signsFrom: signsFrom, retiresAt: nil), in: db)
            _ = try OIDCSigningKeyRecord.purge(retiredBefore: now, in: db)
        }
        return (signer.keyID, signsFrom)
    }
}
