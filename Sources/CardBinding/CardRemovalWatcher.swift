import Foundation
import Logging
import PCSC
import ServiceLifecycle
import Sessions
import Synchronization

/// Ends card-bound sessions the moment their card leaves a local reader (kiosks, `serve
/// --local-reader`), as a service of the server's service group.
///
/// pcscd's status-change wait blocks, so the watch runs on a thread of its own and looks at
/// the stop flag between waits (at most ``pollMilliseconds`` apart). It survives pcscd restarts by
/// reconnecting; while pcscd is gone the watcher is blind, so the sessions bound to every reader
/// it watched end too (the card may have been swapped meanwhile).
public struct CardRemovalWatcher: Service {
    let sessions: SessionService
    let pollMilliseconds: Int
    let retryDelay: TimeInterval
    private static let log = Logger(label: "sleutel.card-binding")

    public init(sessions: SessionService, pollMilliseconds: Int = 1000, retryDelay: TimeInterval = 2) {
        self.sessions = sessions
        self.pollMilliseconds = pollMilliseconds
        self.retryDelay = retryDelay
    }

    public func run() async throws {
        let stop = StopFlag()
        let thread = Thread { [self] in watch(until: stop) }
        thread.name = "sleutel.card-watcher"
        thread.start()
        await withTaskCancellationHandler {
            try? await gracefulShutdown()  // returns at graceful shutdown, throws when cancelled
        } onCancel: {
            stop.set()
        }
        stop.set()
    }

    private func watch(until stop: StopFlag) {
        var watched = Set<String>()
        while !stop.isSet {
            do {
                let context = try PCSCContext()
                var monitor = CardMonitor(context: context)
                while !stop.isSet {
                    for event in try monitor.next(timeoutMilliseconds: pollMilliseconds) {
                        switch event {
                        case .readerAttached(let reader): watched.insert(reader)
                        case .cardRemoved(let reader), .readerDetached(let reader):
                            let ended = (try? sessions.endSessions(reader: reader)) ?? 0
                            if ended > 0 { Self.log.notice("card left the reader", metadata: ["reader": "\(reader)", "ended": "\(ended)"]) }
                        default: break
                        }
                    }
                }
            } catch {
                for reader in watched.sorted() {
                    let ended = (try? sessions.endSessions(reader: reader, reason: "card reader lost")) ?? 0
                    if ended > 0 { Self.log.notice("lost pcscd", metadata: ["reader": "\(reader)", "ended": "\(ended)"]) }
                }
                watched = []
                Self.log.error("card watcher: \(error); retrying in \(retryDelay) s")
                var waited = 0.0
                while waited < retryDelay && !stop.isSet {
                    Thread.sleep(forTimeInterval: 0.1)
                    waited += 0.1
                }
            }
        }
    }
}

/// A flag one side sets and the watch thread reads.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
