import HoldoutModel
import Foundation
import HoldoutCore
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

/// Type-erased encodable, for small mixed objects.
struct AnyEncodable: Encodable {
    let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode(to:) }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}

/// Decodes JSON, mapping failures to a 400 naming the field.
func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    guard !data.isEmpty else { throw APIError.badRequest("the request body is empty; send a JSON object") }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
        throw APIError.describing(error)
    }
}

/// A JSON response.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(value)
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

extension Request {
    /// The body, up to the context's limit (413 beyond).
    mutating func bodyData(context: HoldoutRequestContext) async throws -> Data {
        let buffer = try await collectBody(upTo: context.maxUploadSize)
        return Data(buffer.readableBytesView)
    }
}

/// Experiments looked up by path (tenant and id or key), for 1 s: the assignment hot path then
/// needs one database round trip. Changes made through this server clear it at once; changes
/// made by another process (the CLI) are seen within 1 s.
typealias ExperimentCache = TTLCache<Experiment>

extension TTLCache where Value == Experiment {
    convenience init() { self.init(ttl: 1) }
}

extension Store {
    /// The experiment named by a numeric id or a key, within a tenant; 404 otherwise (another
    /// tenant's experiment included, so ids do not leak).
    func experiment(idOrKey text: String, tenant: String) async throws -> Experiment {
        if let id = Int64(text), let found = try await experiment(id: id, tenant: tenant) { return found }
        if let found = try await experiment(key: text, tenant: tenant) { return found }
        throw APIError.notFound("no experiment '\(text)'")
    }

    /// Records posted items and counts them in `holdout_ingested_total{kind, source}`.
    func ingest(_ kind: ImportKind, _ items: [[String: String]], experiment: Experiment?, tenant: String, field: String, source: String) async throws -> Int {
        let inserted = try await record(kind: kind, experiment: experiment, items: items, field: field, tenant: tenant)
        Counter(label: "holdout_ingested_total", dimensions: [("kind", kind.rawValue), ("source", source)]).increment(by: inserted)
        return inserted
    }
}
