import Dispatch

/// Runs blocking work (SQLite, OCSP fetches) on a dedicated concurrent queue, off the Swift
/// concurrency pool, translating module errors into ``APIError``s. Costly work (scrypt, key
/// checks) runs on a ``WorkerPool`` instead, so that it never queues in front of eID logins.
enum Blocking {
    private static let queue = DispatchQueue(label: "be.sleutel.server.blocking", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try ErrorMapping.map { try work() } })
            }
        }
    }
}
