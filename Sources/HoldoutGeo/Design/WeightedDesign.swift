public import Foundation

/// Seed 000's geo holdout design, as persisted under `state/analytics/experiments/geo_holdouts/`.
///
/// Encoded with seed 000's keys: `tenant_id, generated_at, status, geo_count, holdout_count,
/// control_share, geo_column, assignment[{geo, group, weight}]`, plus `reason` when skipped
/// and `seed`.
public struct WeightedDesign: Sendable, Hashable, Codable {
    /// `ready`, or `skip` with a ``reason``.
    public enum Status: String, Sendable, Hashable, Codable {
        case ready
        case skip
    }

    /// Why a design was skipped.
    public enum SkipReason: String, Sendable, Hashable, Codable {
        /// No order rows.
        case noOrders = "no_orders"
        /// Fewer than max(2·min_holdout_units, 4) geos.
        case insufficientGeo = "insufficient_geo"
    }

    /// One geo of the design.
    public struct Item: Sendable, Hashable, Codable {
        public var geo: String
        public var group: GeoAssignment.Group
        /// The geo's share of total revenue.
        public var weight: Double

        public init(geo: String, group: GeoAssignment.Group, weight: Double) {
            self.geo = geo
            self.group = group
            self.weight = weight
        }
    }

    public var tenantID: String
    public var generatedAt: Date
    public var status: Status
    public var reason: SkipReason?
    public var geoCount: Int
    public var holdoutCount: Int
    /// The control geos' share of revenue.
    public var controlShare: Double
    public var geoColumn: String
    public var seed: UInt64
    /// Geos ordered by the UTF-8 bytes of their ids.
    public var assignment: [Item]
    /// Balance diagnostics, when the design was made from a panel (not part of seed 000's file).
    public var diagnostics: BalanceDiagnostics?

    public init(
        tenantID: String, generatedAt: Date, status: Status, reason: SkipReason?, geoCount: Int, holdoutCount: Int, controlShare: Double,
        geoColumn: String, seed: UInt64, assignment: [Item], diagnostics: BalanceDiagnostics? = nil
    ) {
        self.tenantID = tenantID
        self.generatedAt = generatedAt
        self.status = status
        self.reason = reason
        self.geoCount = geoCount
        self.holdoutCount = holdoutCount
        self.controlShare = controlShare
        self.geoColumn = geoColumn
        self.seed = seed
        self.assignment = assignment
        self.diagnostics = diagnostics
    }

    /// The assignment as analyses take it.
    public var geoAssignment: GeoAssignment {
        GeoAssignment(entries: assignment.map { GeoAssignment.Entry(geo: $0.geo, group: $0.group) })
    }

    /// `generated_at` on the wire: ISO 8601 in UTC with milliseconds, e.g. `2025-10-21T21:00:00.123Z`
    /// (seed 000 wrote Python's local `isoformat()` without a zone; see docs/geo.md).
    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenant_id"
        case generatedAt = "generated_at"
        case status, reason
        case geoCount = "geo_count"
        case holdoutCount = "holdout_count"
        case controlShare = "control_share"
        case geoColumn = "geo_column"
        case seed, assignment, diagnostics
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenantID = try c.decode(String.self, forKey: .tenantID)
        let stamp = try c.decode(String.self, forKey: .generatedAt)
        guard let date = (try? Date(stamp, strategy: Self.timeFormat)) ?? (try? Date(stamp, strategy: .iso8601)) else {
            throw DecodingError.dataCorruptedError(forKey: .generatedAt, in: c, debugDescription: "generated_at '\(stamp)' is not an ISO 8601 time")
        }
        generatedAt = date
        status = try c.decode(Status.self, forKey: .status)
        reason = try c.decodeIfPresent(SkipReason.self, forKey: .reason)
        geoCount = try c.decode(Int.self, forKey: .geoCount)
        holdoutCount = try c.decode(Int.self, forKey: .holdoutCount)
        controlShare = try c.decode(Double.self, forKey: .controlShare)
        geoColumn = try c.decode(String.self, forKey: .geoColumn)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? GeoDesign.defaultSeed
        assignment = try c.decode([Item].self, forKey: .assignment)
        diagnostics = try c.decodeIfPresent(BalanceDiagnostics.self, forKey: .diagnostics)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tenantID, forKey: .tenantID)
        try c.encode(generatedAt.formatted(Self.timeFormat), forKey: .generatedAt)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encode(geoCount, forKey: .geoCount)
        try c.encode(holdoutCount, forKey: .holdoutCount)
        try c.encode(controlShare, forKey: .controlShare)
        try c.encode(geoColumn, forKey: .geoColumn)
        try c.encode(seed, forKey: .seed)
        try c.encode(assignment, forKey: .assignment)
        try c.encodeIfPresent(diagnostics, forKey: .diagnostics)
    }
}
