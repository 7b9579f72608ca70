import Foundation
import Logging
import OIDC
import OneTimeCodes
import ServiceLifecycle
import Sessions

/// Deletes what has run out, on a schedule (issue 19): expired login transactions (eID
/// challenges and security-code logins) and sessions ended or expired longer ago than the
/// retention, spent one-time-code challenges, sending records and unconfirmed keys, and
/// expired OIDC codes and access tokens. Audit rows are kept.
struct Housekeeping: Service {
    let server: SleutelServer

    func run() async throws {
        let interval = server.configuration.housekeepingInterval
        guard interval > 0 else { return }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: .milliseconds(Int(interval * 1000))) } catch { return }
                _ = try? await Blocking.run { try server.purge() }
            }
        }
    }
}

extension SleutelServer {
    /// One purge pass over every module's tables; the scheduled ``Housekeeping`` runs it every
    /// ``ServerConfiguration/housekeepingInterval`` seconds.
    /// - Returns: the rows removed.
    @discardableResult
    public func purge() throws -> Int {
        var removed = try sessions.purge(retention: configuration.sessionRetention)
        if let codes = sessions.codes { removed += try codes.purge() }
        if let oidc { removed += try oidc.purge() }
        if removed > 0 { Self.log.info("purge", metadata: ["event": "purge", "rows": "\(removed)"]) }
        return removed
    }
}
