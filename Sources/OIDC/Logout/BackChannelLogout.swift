import CryptoCore
import Foundation
import Logging
import ServiceLifecycle
import Sessions
import Storage
import Transport

/// Back-Channel Logout 1.0: when a session ends for any reason (logout, card removed, expiry,
/// idle timeout, revocation, a step-up that replaced it), every client that logged in with it
/// and registered a `backchannelLogoutUri` receives a signed logout token by POST.
///
/// The provider records each such login (``OIDCSessionClientRecord``); this service looks at
/// those rows about every ``OIDCConfiguration/logoutCheckInterval`` seconds, asks Sessions which
/// of their sessions still live, and delivers for the rest, retrying with doubling waits. The
/// state is in the database, so deliveries survive restarts, and several instances on one
/// database share the work (each row step is claimed by compare-and-set).
public struct BackChannelLogout: Service {
    let provider: OIDCProvider
    let client: HTTPClient
    private static let log = Logger(label: "sleutel.oidc.logout")

    /// - Parameter client: the HTTP client for the deliveries (default: 3 s to connect, 5 s in all).
    public init(provider: OIDCProvider, client: HTTPClient = HTTPClient(configuration: .init(connectTimeout: 3, totalTimeout: 5,
                                                                                               maxBodySize: 64 << 10))) {
        self.provider = provider
        self.client = client
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await provider.deliverLogouts(using: client)
                } catch {
                    Self.log.error("back-channel logout pass failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .seconds(provider.configuration.logoutCheckInterval))
            }
        }
    }
}

extension OIDCProvider {
    /// One pass of the back-channel logout: delivers the logout tokens due now.
    /// - Returns: how many tokens the clients accepted.
    @discardableResult
    public func deliverLogouts(using client: HTTPClient, batch: Int = 500) async throws -> Int {
        let now = sessions.clock.now()
        let due = try database.read { db in try OIDCSessionClientRecord.due(at: now, limit: batch, in: db) }
        guard !due.isEmpty else { return 0 }
        let live = try sessions.liveSessions(among: Array(Set(due.map(\.sessionID))))
        var ended: [OIDCSessionClientRecord] = []
        try database.write { db in
            for row in due {
                if live.contains(row.sessionID) {
                    _ = try OIDCSessionClientRecord.claim(row, next: now.addingTimeInterval(configuration.logoutCheckInterval), attempts: 0, in: db)
                } else if try OIDCSessionClientRecord.claim(row, next: now.addingTimeInterval(Self.logoutRetryDelay(after: row.attempts + 1)),
                                                            attempts: row.attempts + 1, in: db) {
                    ended.append(row)
                }
            }
        }
        var accepted = 0
        await withTaskGroup(of: (OIDCSessionClientRecord, Bool).self) { group in
            var running = 0
            for row in ended {
                if running == 8, let (done, ok) = await group.next() {
                    running -= 1
                    accepted += finishDelivery(done, ok: ok)
                }
                group.addTask { (row, await self.deliverLogout(row, using: client, at: now)) }
                running += 1
            }
            for await (done, ok) in group { accepted += finishDelivery(done, ok: ok) }
        }
        return accepted
    }

    /// Removes a delivered row, or one whose attempts ran out; 1 when the client accepted.
    private func finishDelivery(_ row: OIDCSessionClientRecord, ok: Bool) -> Int {
        let attempts = row.attempts + 1
        if ok || attempts >= configuration.logoutAttempts || client(row.clientID)?.backchannelLogoutUri == nil {
            try? database.write { db in try OIDCSessionClientRecord.delete(sessionID: row.sessionID, clientID: row.clientID, in: db) }
        }
        let metadata: Logger.Metadata = ["client": "\(row.clientID)", "session": "\(row.sessionID)", "attempt": "\(attempts)"]
        if ok {
            Self.logoutLog.info("logout token delivered", metadata: metadata)
        } else if attempts >= configuration.logoutAttempts {
            Self.logoutLog.error("logout token not accepted; giving up", metadata: metadata)
        } else {
            Self.logoutLog.warning("logout token not accepted; will retry", metadata: metadata)
        }
        return ok ? 1 : 0
    }

    /// POSTs the logout token of `row` to its client; true on a 2xx answer.
    func deliverLogout(_ row: OIDCSessionClientRecord, using client: HTTPClient, at now: Date) async -> Bool {
        guard let registered = self.client(row.clientID), let uri = registered.backchannelLogoutUri,
              let token = try? logoutToken(subject: row.subject, sessionID: row.sessionID, clientID: row.clientID, at: now)
        else { return false }
        let body = "logout_token=" + (token.addingPercentEncoding(withAllowedCharacters: Self.formValueCharacters) ?? token)
        guard let answer = try? await client.post(uri, body: Array(body.utf8), contentType: "application/x-www-form-urlencoded") else {
            return false
        }
        return (200..<300).contains(answer.status)
    }

    /// A logout token (Back-Channel Logout 1.0 §2.4): `typ` `logout+jwt`, the client's `sub`, the
    /// session's `sid`, the logout event, a fresh `jti`, valid two minutes; never a `nonce`.
    func logoutToken(subject: String, sessionID: String, clientID: String, at now: Date) throws -> String {
        let iat = Int(now.timeIntervalSince1970)
        return try keys.current(at: now).sign(LogoutTokenClaims(iss: configuration.issuer, sub: subject, aud: clientID, iat: iat, exp: iat + 120,
                                                 jti: Self.randomToken(), sid: sessionID,
                                                 events: [LogoutTokenClaims.event: [:]]), type: "logout+jwt")
    }

    /// Waits between deliveries: 2, 4, 8 … seconds, at most five minutes.
    static func logoutRetryDelay(after attempts: Int) -> TimeInterval {
        min(300, pow(2, Double(min(max(attempts, 1), 9))))
    }

    private static let logoutLog = Logger(label: "sleutel.oidc.logout")

    /// Characters left as they are in a form value (the rest percent-encoded).
    static let formValueCharacters: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()
}

/// The claims of a logout token.
struct LogoutTokenClaims: Encodable {
    static let event = "http://schemas.openid.net/event/backchannel-logout"
    let iss: String
    let sub: String
    let aud: String
    let iat: Int
    let exp: Int
    let jti: String
    let sid: String
    let events: [String: [String: String]]
}
