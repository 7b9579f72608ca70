import Foundation

/// A thread-safe memo of pure results (a certificate parsed from its bytes, a signature checked,
/// a key judged) with bounded memory: two generations of at most `capacity / 2` entries each.
/// When the young generation is full it becomes the old one and the previous old one is dropped;
/// a hit in the old generation moves the entry back to the young one, so what is in use stays.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var young: [Key: Value] = [:]
    private var old: [Key: Value] = [:]
    private let generation: Int

    /// - Parameter capacity: the most entries kept (at least 2).
    public init(capacity: Int) { generation = max(1, capacity / 2) }

    /// The value remembered for `key`, if any.
    public subscript(key: Key) -> Value? {
        lock.withLock {
            if let value = young[key] { return value }
            guard let value = old[key] else { return nil }
            store(value, for: key)
            return value
        }
    }

    /// Remembers `value` for `key`.
    public func remember(_ value: Value, for key: Key) {
        lock.withLock { store(value, for: key) }
    }

    /// The remembered value for `key`, or `make()`'s result, remembered. `make` runs outside the
    /// lock (two threads may both compute a missing value; both get a correct one).
    public func value<E: Error>(for key: Key, _ make: () throws(E) -> Value) throws(E) -> Value {
        if let known = self[key] { return known }
        let value = try make()
        remember(value, for: key)
        return value
    }

    /// The number of entries kept now.
    public var count: Int { lock.withLock { young.count + old.count } }

    private func store(_ value: Value, for key: Key) {
        if young.count >= generation, young[key] == nil {
            old = young
            young = Dictionary(minimumCapacity: generation)
        }
        young[key] = value
    }
}

extension Certificate {
    /// Certificates parsed from DER, by their exact bytes (OpenSSL 3's `d2i_X509` costs about as
    /// much as half a P-384 signature check, and every eID login brings the same Citizen CA).
    private static let parsed = BoundedCache<[UInt8], Certificate>(capacity: 2048)

    /// Certificates larger than this are parsed every time, so that a peer sending large made-up
    /// certificates cannot make the cache hold more than a few MiB (eID certificates are ~1.5 KB).
    public static let rememberedSizeLimit = 4096

    /// The certificate of `der`, parsed once per process while it is in use (see ``BoundedCache``).
    /// Same result and errors as ``init(der:)``; failures are not remembered.
    public static func remembered(der: [UInt8]) throws -> Certificate {
        guard der.count <= rememberedSizeLimit else { return try Certificate(der: der) }
        return try parsed.value(for: der) { () throws -> Certificate in try Certificate(der: der) }
    }
}
