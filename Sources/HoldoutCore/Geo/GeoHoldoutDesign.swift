public import Foundation
public import HoldoutGeo

/// A geo holdout design as seed 000 writes it, whatever method made it.
///
/// Encoded with seed 000's keys — `tenant_id, generated_at, status, geo_count, holdout_count,
/// control_share, geo_column, assignment[{geo, group, weight}]` — plus `method`, `seed`, `pair`
/// on matched-pairs entries, `excluded` geos and the balance `diagnostics` when the method has
/// them. `geo analyze --assignment` reads this document back.
public struct GeoHoldoutDesign: Sendable, Hashable, Codable {
    public struct Item: Sendable, Hashable, Codable {
        public var geo: String
        public var group: GeoAssignment.Group
        /// The geo's share of the tenant's revenue.
        public var weight: Double
        /// The pair id (matched pairs).
        public var pair: Int?

        public init(geo: String, group: GeoAssignment.Group, weight: Double, pair: Int? = nil) {
            self.geo = geo
            self.group = group
            self.weight = weight
            self.pair = pair
        }
    }

    public var tenantID: String
    public var generatedAt: Date
    /// `ready` (a design is only made when the step succeeds).
    public var status: String
    public var method: IncrementalityStep.Method
    public var geoCount: Int
    public var holdoutCount: Int
    /// The control geos' share of revenue.
    public var controlShare: Double
    public var geoColumn: String
    public var seed: UInt64
    public var assignment: [Item]
    public var excluded: [String]?
    public var diagnostics: BalanceDiagnostics?

    public init(
        tenantID: String, generatedAt: Date, method: IncrementalityStep.Method, geoCount: Int, holdoutCount: Int, controlShare: Double,
        geoColumn: String, seed: UInt64, assignment: [Item], excluded: [String]? = nil, diagnostics: BalanceDiagnostics? = nil
    ) {
        self.tenantID = tenantID
        self.generatedAt = generatedAt
        self.status = "ready"
        self.method = method
        self.geoCount = geoCount
        self.holdoutCount = holdoutCount
        self.controlShare = controlShare
        self.geoColumn = geoColumn
        self.seed = seed
        self.assignment = assignment
        self.excluded = excluded
        self.diagnostics = diagnostics
    }

    /// The assignment for the analyses.
    public var geoAssignment: GeoAssignment {
        GeoAssignment(entries: assignment.map { GeoAssignment.Entry(geo: $0.geo, group: $0.group, pair: $0.pair) })
    }

    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenant_id"
        case generatedAt = "generated_at"
        case status, method
        case geoCount = "geo_count"
        case holdoutCount = "holdout_count"
        case controlShare = "control_share"
        case geoColumn = "geo_column"
        case seed, assignment, excluded, diagnostics
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenantID = try c.decode(String.self, forKey: .tenantID)
        let stamp = try c.decode(String.self, forKey: .generatedAt)
        guard let date = (try? Date(stamp, strategy: Self.timeFormat)) ?? (try? Date(stamp, strategy: .iso8601)) else {
            throw DecodingError.dataCorruptedError(forKey: .generatedAt, in: c, debugDescription: "generated_at '\(stamp)' is not an ISO 8601 time")
        }
        generatedAt = date
        status = try c.decode(String.self, forKey: .status)
        method = try c.decodeIfPresent(IncrementalityStep.Method.self, forKey: .method) ?? .weighted
        geoCount = try c.decode(Int.self, forKey: .geoCount)
        holdoutCount = try c.decode(Int.self, forKey: .holdoutCount)
        controlShare = try c.decode(Double.self, forKey: .controlShare)
        geoColumn = try c.decodeIfPresent(String.self, forKey: .geoColumn) ?? "ship_geohash"
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? GeoDesign.defaultSeed
        assignment = try c.decode([Item].self, forKey: .assignment)
        excluded = try c.decodeIfPresent([String].self, forKey: .excluded)
        diagnostics = try c.decodeIfPresent(BalanceDiagnostics.self, forKey: .diagnostics)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tenantID, forKey: .tenantID)
        try c.encode(generatedAt.formatted(Self.timeFormat), forKey: .generatedAt)
        try c.encode(status, forKey: .status)
        try c.encode(method, forKey: .method)
        try c.encode(geoCount, forKey: .geoCount)
        try c.encode(holdoutCount, forKey: .holdoutCount)
        try c.encode(controlShare, forKey: .controlShare)
        try c.encode(geoColumn, forKey: .geoColumn)
        try c.encode(seed, forKey: .seed)
        try c.encode(assignment, forKey: .assignment)
        try c.encodeIfPresent(excluded, forKey: .excluded)
        try c.encodeIfPresent(diagnostics, forKey: .diagnostics)
    }
}
