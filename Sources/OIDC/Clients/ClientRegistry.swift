import CryptoCore
import Foundation
import Storage

/// The relying applications registered in the database: what `sleutel oidc client
/// add|list|remove|rotate-secret|import` changes and what every instance on the database reads
/// on each request (so a change needs no restart). Clients of the configuration file
/// (`serve --oidc-clients`) stand beside them; a database client of the same id takes precedence.
public struct ClientRegistry: Sendable {
    let database: Storage.Database

    public init(database: Storage.Database) {
        self.database = database
    }

    /// Adds or replaces `client` after checking it (ids, URIs, a non-empty redirect list).
    /// - Throws: ``OIDCError`` `configuration` naming what is wrong.
    public func register(_ client: OIDCClient, at now: Date = Date()) throws {
        try Self.check(client)
        let registration = String(decoding: try Self.encoder.encode(client), as: UTF8.self)
        try database.write { db in
            let created = try OIDCClientRecord.find(clientID: client.clientId, in: db)?.createdAt ?? now
            try OIDCClientRecord.upsert(OIDCClientRecord(clientID: client.clientId, registration: registration, createdAt: created, updatedAt: now),
                                        in: db)
        }
    }

    /// The registered client `id`, nil when there is none.
    public func client(_ id: String) throws -> OIDCClient? {
        guard let record = try database.read({ db in try OIDCClientRecord.find(clientID: id, in: db) }) else { return nil }
        return try Self.decode(record)
    }

    /// Every registered client, by id.
    public func all() throws -> [OIDCClient] {
        try database.read { db in try OIDCClientRecord.all(in: db) }.map(Self.decode)
    }

    /// Removes client `id`; false when there was none. Its live tokens stop working with it.
    @discardableResult
    public func remove(_ id: String) throws -> Bool {
        try database.write { db in try OIDCClientRecord.delete(clientID: id, in: db) }
    }

    /// Gives client `id` a new random secret (making it confidential) and returns it: shown once,
    /// only its SHA-256 is kept. The old secret stops working at once.
    /// - Throws: ``OIDCError`` `invalid_client` when there is no such client.
    public func rotateSecret(_ id: String, at now: Date = Date()) throws -> String {
        guard let current = try client(id) else { throw OIDCError(.invalidClient, "no client \(id) is registered in the database") }
        let secret = Base64URL.encode(SecureRandom.bytes(32))
        try register(current.with(secretSHA256: Hex.encode(DigestAlgorithm.sha256.hash(Array(secret.utf8)))), at: now)
        return secret
    }

    /// Checks a registration: an id of letters, digits and `-._:`, at least one redirect URI, and
    /// every URI absolute `https` (or `http` on loopback) without a fragment.
    public static func check(_ client: OIDCClient) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._:"))
        guard !client.clientId.isEmpty, client.clientId.utf8.count <= 128, client.clientId.unicodeScalars.allSatisfy(allowed.contains) else {
            throw OIDCError(.configuration, "client id '\(client.clientId)' must be 1–128 letters, digits or -._:")
        }
        guard !client.redirectUris.isEmpty else { throw OIDCError(.configuration, "client \(client.clientId) needs a redirect URI") }
        guard !client.application.isEmpty else { throw OIDCError(.configuration, "client \(client.clientId) needs an application") }
        for uri in client.redirectUris + (client.postLogoutRedirectUris ?? []) + (client.backchannelLogoutUri.map { [$0] } ?? [])
        where !OIDCConfiguration.isRegistrableURI(uri) {
            throw OIDCError(.configuration, "client \(client.clientId): \(uri) is not an https URL (http only on loopback) without a fragment")
        }
        if let hash = client.secretSHA256, hash.count != 64 || Hex.decode(hash) == nil {
            throw OIDCError(.configuration, "client \(client.clientId): secretSHA256 must be 64 hex digits")
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func decode(_ record: OIDCClientRecord) throws -> OIDCClient {
        do {
            return try JSONDecoder().decode(OIDCClient.self, from: Data(record.registration.utf8))
        } catch {
            throw OIDCError(.configuration, "the stored registration of client \(record.clientID) cannot be read: \(error)")
        }
    }
}

extension OIDCClient {
    /// The same registration with another secret hash.
    func with(secretSHA256: String?) -> OIDCClient {
        OIDCClient(clientId: clientId, redirectUris: redirectUris, application: application, claims: claims, secretSHA256: secretSHA256,
                   postLogoutRedirectUris: postLogoutRedirectUris, backchannelLogoutUri: backchannelLogoutUri)
    }
}
