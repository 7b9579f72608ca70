import Foundation
import Logging
import Metrics
import Prometheus

/// Prometheus metrics of the process: Hummingbird's request metrics plus Sleutel's login
/// counters and timers, exposed by the server at `/metrics`. Labels never carry personal data.
public enum ServerMetrics {
    /// The registry `/metrics` renders.
    public static let registry = PrometheusCollectorRegistry()
    private static let once: Void = { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }()

    /// The metrics in the Prometheus text format.
    public static func render() -> [UInt8] { registry.emitToBuffer() }

    /// Routes swift-metrics to the Prometheus registry (once per process; later calls do nothing).
    public static func bootstrap() { _ = once }

    /// Counts one login attempt by method and outcome (`ok` or an error code) and times it.
    static func recordLogin(method: String, outcome: String, seconds: Double) {
        Counter(label: "sleutel_logins_total", dimensions: [("method", method), ("outcome", outcome)]).increment()
        Metrics.Timer(label: "sleutel_login_duration_seconds", dimensions: [("method", method)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Counts ended sessions by reason (logout, card removed, expired …).
    static func recordSessionEnd(reason: String) {
        Counter(label: "sleutel_sessions_ended_total", dimensions: [("reason", reason)]).increment()
    }
}

/// One JSON object per line on standard error: `time`, `level`, `logger`, `message` and the
/// metadata. Sleutel puts no personal data in messages or metadata: people appear as keyed
/// pseudonyms, tokens and codes never.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let lock = NSLock()

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [
            "time": ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!,
                                                formatOptions: [.withInternetDateTime, .withFractionalSeconds]),
            "level": event.level.rawValue, "logger": label, "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { object[key] = Self.plain(value) }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(0x0A)
        Self.lock.withLock { FileHandle.standardError.write(line) }
    }

    private static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array(let values): values.map(plain)
        case .dictionary(let values): values.mapValues(plain)
        }
    }
}
