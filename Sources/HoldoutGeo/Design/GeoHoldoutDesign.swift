public import Foundation

/// A geo holdout design as seed 000 persists it under `state/analytics/experiments/geo_holdouts/`,
/// whatever made it: ``GeoDesign/weighted(revenue:tenantID:generatedAt:geoColumn:holdoutRatio:minHoldoutUnits:seed:)``
/// (the pure design) or the incrementality step after an orders import (any method). One type,
/// so the step's file and the pure design cannot drift apart.
///
/// Encoded with seed 000's keys: `tenant_id, generated_at, status, geo_count, holdout_count,
/// control_share, geo_column, assignment[{geo, group, weight}]`; plus `reason` when skipped,
/// `method` when the step made it, `seed`, `pair` on matched-pairs entries, `excluded` geos, the
/// balance `diagnostics` and the placebo `power` (with the minimum detectable lift) when known.
/// Keys that are absent stay absent, so a design from before a key was added encodes as it did.
public struct GeoHoldoutDesign: Sendable, Hashable, Codable {
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

    /// How the design was drawn.
    public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
        case weighted
        case stratified
        case matchedPairs = "matched-pairs"
    }

    /// One geo of the design.
    public struct Item: Sendable, Hashable, Codable {
        public var geo: String
        public var group: GeoAssignment.Group
        /// The geo's share of total revenue.
        public var weight: Double
        /// The pair id (matched pairs); absent otherwise.
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
    public var status: Status
    public var reason: SkipReason?
    /// The method, when the step made the design (absent from the pure weighted design's JSON).
    public var method: Method?
    public var geoCount: Int
    public var holdoutCount: Int
    /// The control geos' share of revenue.
    public var controlShare: Double
    public var geoColumn: String
    public var seed: UInt64
    /// Geos ordered by the UTF-8 bytes of their ids.
    public var assignment: [Item]
    /// Geos left out of the design (matched pairs with an odd count).
    public var excluded: [String]?
    /// Balance diagnostics, when the design was made from a panel (not part of seed 000's file).
    public var diagnostics: BalanceDiagnostics?
    /// The placebo power and minimum detectable lift (``DesignPower``), when computed.
    public var power: DesignPower?

    public init(
        tenantID: String, generatedAt: Date, status: Status = .ready, reason: SkipReason? = nil, method: Method? = nil, geoCount: Int,
        holdoutCount: Int, controlShare: Double, geoColumn: String, seed: UInt64, assignment: [Item], excluded: [String]? = nil,
        diagnostics: BalanceDiagnostics? = nil, power: DesignPower? = nil
    ) {
        self.tenantID = tenantID
        self.generatedAt = generatedAt
        self.status = status
        self.reason = reason
        self.method = method
        self.geoCount = geoCount
        self.holdoutCount = holdoutCount
        self.controlShare = controlShare
        self.geoColumn = geoColumn
        self.seed = seed
        self.assignment = assignment
        self.excluded = excluded
        self.diagnostics = diagnostics
        self.power = power
    }

    /// The assignment as analyses take it.
    public var geoAssignment: GeoAssignment {
        GeoAssignment(entries: assignment.map { GeoAssignment.Entry(geo: $0.geo, group: $0.group, pair: $0.pair) })
    }

    /// `generated_at` on the wire: ISO 8601 in UTC with milliseconds, e.g. `2025-10-21T21:00:00.123Z`
    /// (seed 000 wrote Python's local `isoformat()` without a zone; see docs/geo.md).
    public static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenant_id"
        case generatedAt = "generated_at"
        case status, reason, method
        case geoCount = "geo_count"
        case holdoutCount = "holdout_count"
        case controlShare = "control_share"
        case geoColumn = "geo_column"
        case seed, assignment, excluded, diagnostics, power
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
        method = try c.decodeIfPresent(Method.self, forKey: .method)
        geoCount = try c.decode(Int.self, forKey: .geoCount)
        holdoutCount = try c.decode(Int.self, forKey: .holdoutCount)
        controlShare = try c.decode(Double.self, forKey: .controlShare)
        geoColumn = try c.decodeIfPresent(String.self, forKey: .geoColumn) ?? "ship_geohash"
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? GeoDesign.defaultSeed
        assignment = try c.decode([Item].self, forKey: .assignment)
        excluded = try c.decodeIfPresent([String].self, forKey: .excluded)
        diagnostics = try c.decodeIfPresent(BalanceDiagnostics.self, forKey: .diagnostics)
        power = try c.decodeIfPresent(DesignPower.self, forKey: .power)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tenantID, forKey: .tenantID)
        try c.encode(generatedAt.formatted(Self.timeFormat), forKey: .generatedAt)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(method, forKey: .method)
        try c.encode(geoCount, forKey: .geoCount)
        try c.encode(holdoutCount, forKey: .holdoutCount)
        try c.encode(controlShare, forKey: .controlShare)
        try c.encode(geoColumn, forKey: .geoColumn)
        try c.encode(seed, forKey: .seed)
        try c.encode(assignment, forKey: .assignment)
        try c.encodeIfPresent(excluded, forKey: .excluded)
        try c.encodeIfPresent(diagnostics, forKey: .diagnostics)
        try c.encodeIfPresent(power, forKey: .power)
    }
}
