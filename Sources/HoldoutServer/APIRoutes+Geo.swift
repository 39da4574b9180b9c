import Foundation
import HoldoutCore
import HoldoutGeo
import HoldoutModel
import HoldoutStore
import Hummingbird

/// Geo holdout designs (issue 13): list, show, and run seed 000's step for the caller's tenant.
extension APIRoutes {
    // MARK: Geo holdouts

    /// A stored design as listed.
    struct GeoHoldoutSummary: Encodable {
        var id: Int64
        var createdAt: String
        var method: String
        var geoCount: Int
        var holdoutCount: Int
        var controlShare: Double
        var assignmentPath: String?

        init(_ record: GeoHoldoutRecord) {
            id = record.id
            createdAt = record.createdAt.description
            method = record.method
            geoCount = record.geoCount
            holdoutCount = record.holdoutCount
            controlShare = record.controlShare
            assignmentPath = record.assignmentPath
        }

        enum CodingKeys: String, CodingKey {
            case id
            case createdAt = "created_at"
            case method
            case geoCount = "geo_count"
            case holdoutCount = "holdout_count"
            case controlShare = "control_share"
            case assignmentPath = "assignment_path"
        }
    }

    /// A stored design with its document.
    struct GeoHoldoutDetail: Encodable {
        var summary: GeoHoldoutSummary
        var design: GeoHoldoutDesign

        enum CodingKeys: String, CodingKey { case design }

        func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(design, forKey: .design)
        }
    }

    /// `POST /api/geo/holdouts`: the step's options, all optional (seed 000's defaults).
    struct GeoHoldoutBody: Decodable {
        var method: String?
        var holdout_ratio: Double?
        var min_holdout_units: Double?
        var seed: Double?
        var geo_column: String?
        static let fields: Set<String> = ["method", "holdout_ratio", "min_holdout_units", "seed", "geo_column"]
    }

    /// The most designs one list returns.
    static let maximumGeoHoldouts = 1_000

    @Sendable func listGeoHoldouts(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        var limit = 100
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), value >= 1, value <= Self.maximumGeoHoldouts else {
                throw APIError.badRequest("limit must be a whole number in 1…\(Self.maximumGeoHoldouts), got '\(text)'", field: "limit")
            }
            limit = value
        }
        let records = try await store.geoHoldouts(tenant: principal.tenant, limit: limit)
        return try json(records.map(GeoHoldoutSummary.init))
    }

    @Sendable func showGeoHoldout(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id >= 1 else { throw APIError.badRequest("id must be a positive whole number, got '\(text)'", field: "id") }
        // Another tenant's design is not found, like a missing one: ids do not leak.
        guard let record = try await store.geoHoldout(id: id, tenant: principal.tenant) else {
            throw APIError.notFound("no geo holdout design \(id) (list them with GET /api/geo/holdouts)")
        }
        let design = try JSONDecoder().decode(GeoHoldoutDesign.self, from: Data(record.designJSON.utf8))
        return try json(GeoHoldoutDetail(summary: GeoHoldoutSummary(record), design: design))
    }

    @Sendable func createGeoHoldout(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        var request = request
        let data = try await request.bodyData(context: context)
        var options = IncrementalityStep.Options()
        if !data.isEmpty {
            try request.rejectUnknownKeys(data, allowed: GeoHoldoutBody.fields)
            let body = try decode(GeoHoldoutBody.self, from: data)
            if let text = body.method {
                guard let method = IncrementalityStep.Method(rawValue: text) else {
                    throw APIError.badRequest(
                        "method '\(text)' is not one of \(IncrementalityStep.Method.allCases.map(\.rawValue).joined(separator: ", "))", field: "method")
                }
                options.method = method
            }
            if let ratio = body.holdout_ratio {
                guard ratio.isFinite, ratio > 0, ratio < 1 else {
                    throw APIError.badRequest("holdout_ratio must be in (0, 1), got \(ratio)", field: "holdout_ratio")
                }
                options.holdoutRatio = ratio
            }
            if let units = body.min_holdout_units {
                guard units.isFinite, units == units.rounded(), units >= 1, units <= 100_000 else {
                    throw APIError.badRequest("min_holdout_units must be a whole number in 1…100000, got \(units)", field: "min_holdout_units")
                }
                options.minHoldoutUnits = Int(units)
            }
            if let seed = body.seed {
                guard seed.isFinite, seed == seed.rounded(), seed >= 0, seed <= 9_007_199_254_740_991 else {
                    throw APIError.badRequest("seed must be a whole number in 0…9007199254740991, got \(seed)", field: "seed")
                }
                options.seed = UInt64(seed)
            }
            if let column = body.geo_column {
                guard !column.isEmpty, column.utf8.count <= 256 else {
                    throw APIError.badRequest("geo_column must be 1–256 bytes", field: "geo_column")
                }
                options.geoColumn = column
            }
        }
        let result = await IncrementalityStep(options: options, state: geoState).run(
            tenant: principal.tenant, orders: store, designs: store, at: Date())
        switch result.status {
        case .success: return try json(result, status: .created)
        case .skip: return try json(result)
        case .error where result.isInputError:
            throw APIError.badRequest("no design can be made with these settings: \(result.reason ?? "")")
        case .error: throw APIError(.internalServerError, code: "geo_holdout_failed", "the geo holdout step failed: \(result.reason ?? "")")
        }
    }
}
