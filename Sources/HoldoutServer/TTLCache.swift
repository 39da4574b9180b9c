import Foundation
import HoldoutModel
import Synchronization

/// Values remembered for `ttl` seconds, bounded (cleared past 10,000 entries, so unknown keys
/// sent by a client cannot grow it forever).
final class TTLCache<Value: Sendable>: Sendable {
    let ttl: TimeInterval
    private let entries = Mutex<[String: (value: Value, expires: Date)]>([:])

    init(ttl: TimeInterval) { self.ttl = ttl }

    func lookup(_ key: String) -> Value? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.expires > Date() else { return nil }
            return entry.value
        }
    }

    func store(_ key: String, _ value: Value) {
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[key] = (value, Date().addingTimeInterval(ttl))
        }
    }

    func removeAll() { entries.withLock { $0.removeAll() } }
}

/// Experiments looked up by path (tenant and id or key), for 1 s: the assignment hot path then
/// needs one database round trip. Changes made through this server clear it at once; changes
/// made by another process (the CLI) are seen within 1 s.
typealias ExperimentCache = TTLCache<Experiment>

extension TTLCache where Value == Experiment {
    convenience init() { self.init(ttl: 1) }
}
