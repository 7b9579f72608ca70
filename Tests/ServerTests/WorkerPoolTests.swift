import Foundation
import Hummingbird
import Testing
@testable import Server

@Suite("Worker pool of costly work")
struct WorkerPoolTests {
    /// A gate the jobs wait at until the test opens it.
    final class Gate: @unchecked Sendable {
        private let condition = NSCondition()
        private var open = false
        private var count = 0

        var arrived: Int {
            condition.lock()
            defer { condition.unlock() }
            return count
        }

        func pass() {
            condition.lock()
            count += 1
            condition.broadcast()
            while !open { condition.wait() }
            condition.unlock()
        }

        func waitForArrivals(_ count: Int) {
            condition.lock()
            while self.count < count { condition.wait(until: Date(timeIntervalSinceNow: 0.05)) }
            condition.unlock()
        }

        func openGate() {
            condition.lock()
            open = true
            condition.broadcast()
            condition.unlock()
        }
    }

    @Test("width jobs run at once, backlog more wait, the next is refused 503 at once; all admitted finish")
    func admission() async throws {
        let pool = WorkerPool(name: "test-pool", width: 2, backlog: 3, idleTimeout: 0.2)
        let gate = Gate()
        let results = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<5 { group.addTask { try await pool.run { gate.pass(); return index } } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        gate.waitForArrivals(2)  // two threads hold jobs; three jobs wait
        while pool.load < 5 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(gate.arrived == 2, "only width jobs run at once")
        let started = Date()
        await #expect(throws: APIError.self) { try await pool.run { 0 } }
        do {
            _ = try await pool.run { 0 }
        } catch let error as APIError {
            #expect(error.status == .serviceUnavailable)
            #expect(error.code == "request.busy")
            #expect(error.details["retryAfterSeconds"] == "1")
        }
        #expect(Date().timeIntervalSince(started) < 0.5, "the refusal does not wait for the running jobs")
        gate.openGate()
        #expect(try await results.value.sorted() == [0, 1, 2, 3, 4])
        #expect(pool.load == 0, "a job no longer counts once its caller has the result")
        #expect(try await pool.run { 7 } == 7, "admitted again once the jobs are done")
    }

    @Test("module errors come back as API errors; a throwing job frees its place")
    func errors() async throws {
        let pool = WorkerPool(name: "test-pool", width: 1, backlog: 0, idleTimeout: 0.2)
        struct Odd: Error {}
        await #expect(throws: (any Error).self) { try await pool.run { () throws -> Int in throw Odd() } }
        #expect(try await pool.run { 1 } == 1)
    }
}
