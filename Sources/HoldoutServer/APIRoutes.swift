import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import HoldoutStore
import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// Seed 001's `/api` endpoints.
struct APIRoutes {
    let store: Store
    /// The connections the long analytical reads run on (results, time series, quality), shared
    /// fairly between tenants and time-limited, so they do not hold up writes or each other.
    let analytics: AnalyticsPool
    /// Assignments from concurrent requests are written together (group commit).
    let writer: AssignmentWriter
    let cache = ExperimentCache()
    /// Where the geo holdout step writes designs and telemetry (seed 000's `state`).
    var geoState = GeoStateDirectory()
    /// The most items one batch request may carry.
    static let maximumBatch = 10_000

    func register(on group: RouterGroup<HoldoutRequestContext>) {
        group.post("experiments", use: create)
        group.get("experiments", use: list)
        group.post("experiments/power-analysis", use: power)
        group.get("experiments/:id", use: show)
        group.patch("experiments/:id", use: update)
        group.post("experiments/:id/assign", use: assign)
        group.post("experiments/:id/exposures", use: exposures)
        group.post("experiments/:id/outcomes", use: outcomes)
        group.get("experiments/:id/results", use: results)
        group.get("experiments/:id/time-series", use: timeSeries)
        group.get("experiments/:id/quality", use: quality)
        group.post("experiments/:id/auto-assign", use: autoAssign)
        group.post("touchpoints", use: touchpoints)
        group.get("reports/nightly/latest", use: latestNightly)
        group.get("geo/holdouts", use: listGeoHoldouts)
        group.post("geo/holdouts", use: createGeoHoldout)
        group.get("geo/holdouts/:id", use: showGeoHoldout)
    }

    // MARK: Helpers

    /// The experiment named by the `{id}` path segment (its numeric id or its key), within the
    /// caller's tenant: another tenant's experiment is 404, so ids do not leak.
    func experiment(_ context: HoldoutRequestContext, tenant: String) async throws -> Experiment {
        let text = try context.parameters.require("id")
        let cacheKey = tenant + "\u{0}" + text
        if let cached = cache.lookup(cacheKey) { return cached }
        let found = try await store.experiment(idOrKey: text, tenant: tenant)
        cache.store(cacheKey, found)
        return found
    }

    func timestamp(_ text: String?, field: String) throws -> Timestamp? {
        guard let text else { return nil }
        guard let ts = Timestamp(parsing: text) else {
            throw APIError.badRequest("\(field) '\(text)' is not a timestamp (ISO 8601 like 2026-03-01T00:00:00Z)", field: field)
        }
        return ts
    }
}
