import Foundation
import Hummingbird
#if os(Linux)
import Glibc
#endif

/// Threads of their own for costly work (scrypt password checks, bignum key checks), so that a
/// flood of it never queues in front of eID logins on ``Blocking``, with admission bounded by
/// count: `width` jobs run at once and `backlog` more may wait; beyond that ``run(_:)`` answers
/// 503 `request.busy` at once. Threads start on demand, run at a lower CPU priority (nice 10, so
/// the scheduler gives a waiting eID login the cores first) and end after a few idle seconds.
final class WorkerPool: @unchecked Sendable {
    /// Does the work and returns how to hand its result over, which runs once the job no
    /// longer counts against the bound (a caller that sends again at once is admitted).
    typealias Job = () -> () -> Void

    /// Jobs running at once (threads).
    let width: Int
    /// Jobs that may wait for a thread.
    let backlog: Int
    private let name: String
    private let idleTimeout: TimeInterval
    private let niceness: Int32
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [Job] = []
    private var running = 0
    private var threads = 0
    private var idle = 0

    init(name: String, width: Int, backlog: Int, idleTimeout: TimeInterval = 5, niceness: Int32 = 10) {
        precondition(width >= 1 && backlog >= 0, "a worker pool needs a thread and a non-negative backlog")
        self.name = name
        self.width = width
        self.backlog = backlog
        self.idleTimeout = idleTimeout
        self.niceness = niceness
    }

    /// Runs `work` on one of the pool's threads, translating module errors into ``APIError``s;
    /// throws 503 `request.busy` without running it when `width + backlog` jobs are admitted already.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let admitted = submit {
                let result = Result { try ErrorMapping.map { try work() } }
                return { continuation.resume(with: result) }
            }
            if !admitted { continuation.resume(throwing: Self.busy) }
        }
    }

    static let busy = APIError(.serviceUnavailable, code: "request.busy", message: "the server is busy with costly requests; try again shortly",
                               details: ["retryAfterSeconds": "1"])

    /// Throws 503 `request.busy` when no job would be admitted now: a cheap check before a request
    /// body is decoded, so that refusing a flood costs little (``run(_:)`` still decides).
    func admitOrRefuse() throws {
        if load >= width + backlog { throw Self.busy }
    }

    /// Jobs admitted and not finished (running or waiting).
    var load: Int {
        condition.lock()
        defer { condition.unlock() }
        return running + jobs.count
    }

    private func submit(_ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard running + jobs.count < width + backlog else { return false }
        jobs.append(job)
        if jobs.count > idle && threads < width {
            threads += 1
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(threads)"
            thread.start()
        } else {
            condition.signal()
        }
        return true
    }

    private func work() {
        #if os(Linux)
        // On Linux the nice value belongs to the thread (who = 0: the calling thread), not the process.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
        condition.lock()
        while true {
            while jobs.isEmpty {
                idle += 1
                let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleTimeout))
                idle -= 1
                if !signalled && jobs.isEmpty {
                    threads -= 1
                    condition.unlock()
                    return
                }
            }
            let job = jobs.removeFirst()
            running += 1
            condition.unlock()
            let handOver = job()
            condition.lock()
            running -= 1
            condition.unlock()
            handOver()
            condition.lock()
        }
    }
}
