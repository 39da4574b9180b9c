import HoldoutModel
import HoldoutStore
import Metrics

extension Store {
    /// The experiment named by a numeric id or a key, within a tenant; 404 otherwise (another
    /// tenant's experiment included, so ids do not leak).
    func experiment(idOrKey text: String, tenant: String) async throws -> Experiment {
        if let id = Int64(text), let found = try await experiment(id: id, tenant: tenant) { return found }
        if let found = try await experiment(key: text, tenant: tenant) { return found }
        throw APIError.notFound("no experiment '\(text)'")
    }

    /// Records posted items and counts them in `holdout_ingested_total{kind, source}`.
    func ingest(_ kind: ImportKind, _ items: [ImportRecord], experiment: Experiment?, tenant: String, field: String, source: String) async throws -> Int {
        let inserted = try await record(kind: kind, experiment: experiment, items: items, field: field, tenant: tenant)
        Counter(label: "holdout_ingested_total", dimensions: [("kind", kind.rawValue), ("source", source)]).increment(by: inserted)
        return inserted
    }
}
