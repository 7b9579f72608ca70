import Foundation
import Hummingbird

/// A token bucket per client IP address: `burst` requests at once, refilled at `perSecond`.
/// Over the limit the server answers 429 with `Retry-After`. Idle buckets are dropped so the
/// table cannot grow without bound.
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: TimeInterval
    }

    let perSecond: Double
    let burst: Double
    private let state = Locked<[String: Bucket]>([:])
    private let maximumClients = 100_000

    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Takes `cost` tokens (default one) for `client` at `now`; returns the seconds to wait when too
    /// few are left (nothing is taken then).
    func take(_ client: String, cost: Double = 1, now: TimeInterval = ProcessInfo.processInfo.systemUptime) -> TimeInterval? {
        state.withLock { buckets in
            if buckets.count >= maximumClients {
                buckets = buckets.filter { now - $0.value.updated < burst / perSecond }
            }
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * perSecond)
            bucket.updated = now
            defer { buckets[client] = bucket }
            guard bucket.tokens >= cost else { return (cost - bucket.tokens) / perSecond }
            bucket.tokens -= cost
            return nil
        }
    }
}

/// Applies a ``RateLimiter`` per peer address.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        if let wait = limiter.take(context.peer) {
            throw APIError(.tooManyRequests, code: "request.rateLimited", message: "too many requests from this address",
                           details: ["retryAfterSeconds": String(Int(wait.rounded(.up)))])
        }
        return try await next(request, context)
    }
}

/// A value guarded by a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
