public import Foundation
public import HoldoutGeo
public import HoldoutModel

/// Seed 000's geo holdout step, run after every orders import: read the tenant's orders →
/// revenue per geo → a design → its JSON file under the state directory → the database →
/// one telemetry line.
///
/// ```swift
/// let step = IncrementalityStep(state: GeoStateDirectory(root: "state"))
/// let result = await step.run(tenant: "tenant-1", orders: store, designs: store, at: .now)
/// result.status   // .success, .skip (no_orders, insufficient_geo) or .error
/// ```
///
/// The step never throws: an error becomes `status: "error"` with the reason (and a
/// `holdout_failed` telemetry line when the telemetry file can still be written), so it never
/// fails the import it follows. Skips (no orders; fewer than max(2·min_holdout_units, 4) geos)
/// write no design and log `holdout_skipped`.
///
/// Methods: `weighted` (seed 000's revenue-weighted draw, ``GeoDesign/weighted(revenue:tenantID:generatedAt:geoColumn:holdoutRatio:minHoldoutUnits:seed:)``);
/// `stratified` and `matched-pairs` on the tenant's daily panel, the whole order history as the
/// pre-period (``GeoDesign/stratified(panel:prePeriod:holdoutRatio:stratumSize:seed:power:)``,
/// ``GeoDesign/matchedPairs(panel:prePeriod:window:seed:power:)``).
public struct IncrementalityStep: Sendable {
    /// How the design is drawn (``GeoHoldoutDesign/Method``).
    public typealias Method = GeoHoldoutDesign.Method

    /// The step's settings (seed 000's defaults).
    public struct Options: Sendable, Hashable {
        public var geoColumn = "ship_geohash"
        public var holdoutRatio = 0.2
        public var minHoldoutUnits = 4
        public var seed: UInt64 = GeoDesign.defaultSeed
        public var method = Method.weighted
        /// The placebo power analysis whose minimum detectable lift every design carries
        /// (``DesignPower``): test duration, pre-period of each window, level and tails.
        public var powerTestDays = DesignPower.defaultTestDays
        public var powerPreDays = DesignPower.defaultPreDays
        public var powerLevel = 0.9
        public var powerTails = 2

        public init(
            geoColumn: String = "ship_geohash", holdoutRatio: Double = 0.2, minHoldoutUnits: Int = 4, seed: UInt64 = GeoDesign.defaultSeed,
            method: Method = .weighted, powerTestDays: Int = DesignPower.defaultTestDays, powerPreDays: Int = DesignPower.defaultPreDays,
            powerLevel: Double = 0.9, powerTails: Int = 2
        ) {
            self.geoColumn = geoColumn
            self.holdoutRatio = holdoutRatio
            self.minHoldoutUnits = minHoldoutUnits
            self.seed = seed
            self.method = method
            self.powerTestDays = powerTestDays
            self.powerPreDays = powerPreDays
            self.powerLevel = powerLevel
            self.powerTails = powerTails
        }

        /// The placebo plan of the design's minimum detectable lift (lifts 1%…50%).
        public var powerPlan: GeoPower.Plan { GeoPower.Plan(preDays: powerPreDays, testDays: powerTestDays, level: powerLevel, tails: powerTails) }

        /// The fewest geos a design needs: max(2·min_holdout_units, 4).
        public var minimumGeos: Int { max(2 * minHoldoutUnits, 4) }

        /// Checks the settings; the error names the option.
        public func validate() throws(HoldoutError) {
            guard holdoutRatio.isFinite, holdoutRatio > 0, holdoutRatio < 1 else {
                throw HoldoutError(.invalidInput, "holdout_ratio must be in (0, 1), got \(holdoutRatio)", field: "holdout_ratio")
            }
            guard minHoldoutUnits >= 1, minHoldoutUnits <= 1_000_000 else {
                throw HoldoutError(.invalidInput, "min_holdout_units must be in 1…1000000, got \(minHoldoutUnits)", field: "min_holdout_units")
            }
            guard !geoColumn.isEmpty, geoColumn.utf8.count <= 256 else {
                throw HoldoutError(.invalidInput, "geo_column must be a column name of 1–256 bytes", field: "geo_column")
            }
            guard powerTestDays >= 1, powerTestDays <= 3660 else {
                throw HoldoutError(.invalidInput, "power_test_days must be in 1…3660, got \(powerTestDays)", field: "power_test_days")
            }
            guard powerPreDays >= 3, powerPreDays <= 3660 else {
                throw HoldoutError(.invalidInput, "power_pre_days must be in 3…3660, got \(powerPreDays)", field: "power_pre_days")
            }
            guard powerLevel.isFinite, powerLevel > 0, powerLevel < 1 else {
                throw HoldoutError(.invalidInput, "power_level must be in (0, 1), got \(powerLevel)", field: "power_level")
            }
            guard powerTails == 1 || powerTails == 2 else {
                throw HoldoutError(.invalidInput, "power_tails must be 1 or 2, got \(powerTails)", field: "power_tails")
            }
        }
    }

    public var options: Options
    public var state: GeoStateDirectory

    public init(options: Options = Options(), state: GeoStateDirectory) {
        self.options = options
        self.state = state
    }

    /// Runs the step for one tenant at `now` (the design's `generated_at`, the file name's stamp
    /// and the telemetry `timestamp`).
    ///
    /// - Parameters:
    ///   - orders: where the tenant's orders are read.
    ///   - designs: where the design is also stored (nil: files only).
    public func run(tenant: String, orders: some OrdersSource, designs: (any GeoHoldoutRepository)?, at now: Date) async -> IncrementalityResult {
        do {
            try options.validate()
            let revenue = try await orders.revenueByGeo(tenant: tenant)
            if revenue.isEmpty { return skip(tenant: tenant, reason: .noOrders, geoCount: 0, at: now) }
            if revenue.count < options.minimumGeos { return skip(tenant: tenant, reason: .insufficientGeo, geoCount: revenue.count, at: now) }
            let design = try await self.design(tenant: tenant, revenue: revenue, orders: orders, at: now)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            let document = try encoder.encode(design)
            let path = try state.writeDesign(document, tenant: tenant, at: now)
            var designID: Int64?
            if let designs {
                let record = try await designs.saveGeoHoldout(
                    GeoHoldoutRecord(
                        id: 0, tenant: tenant, createdAt: Timestamp(now), method: (design.method ?? .weighted).rawValue, geoCount: design.geoCount,
                        holdoutCount: design.holdoutCount, controlShare: design.controlShare, assignmentPath: path,
                        designJSON: String(decoding: document, as: UTF8.self)))
                designID = record.id
            }
            try log(
                TelemetryEvent(
                    tenantID: tenant, timestamp: now, event: "holdout_assigned", geoCount: design.geoCount, holdoutCount: design.holdoutCount,
                    controlShare: design.controlShare, assignmentPath: path, method: (design.method ?? .weighted).rawValue))
            return IncrementalityResult(status: .success, tenantID: tenant, design: design, assignmentPath: path, designID: designID)
        } catch {
            let reason = Self.describe(error)
            try? log(TelemetryEvent(tenantID: tenant, timestamp: now, event: "holdout_failed", reason: reason))
            var result = IncrementalityResult(status: .error, tenantID: tenant, reason: reason)
            result.isInputError = (error as? GeoError) != nil || (error as? HoldoutError)?.code == .invalidInput
            return result
        }
    }

    /// The design alone (no files, no database), from revenue per geo; panel methods read the
    /// daily panel from `orders`. Every design carries its placebo power (``DesignPower``).
    func design(tenant: String, revenue: [GeoRevenue], orders: some OrdersSource, at now: Date) async throws -> GeoHoldoutDesign {
        let total = revenue.reduce(0) { $0 + $1.revenue }
        var weight: [OpaqueID: Double] = [:]
        for row in revenue { weight[OpaqueID(row.geo)] = total > 0 ? row.revenue / total : 0 }
        var design: GeoHoldoutDesign
        switch options.method {
        case .weighted:
            design = try GeoDesign.weighted(
                revenue: revenue.map { GeoDesign.Revenue(geo: $0.geo, revenue: $0.revenue) }, tenantID: tenant, generatedAt: now,
                geoColumn: options.geoColumn, holdoutRatio: options.holdoutRatio, minHoldoutUnits: options.minHoldoutUnits, seed: options.seed)
            design.method = .weighted
        case .stratified, .matchedPairs:
            let panel = try await OrdersPanel.panel(tenant: tenant, source: orders)
            let pre = panel.firstDay...panel.lastDay
            let made =
                options.method == .stratified
                ? try GeoDesign.stratified(panel: panel, prePeriod: pre, holdoutRatio: options.holdoutRatio, seed: options.seed)
                : try GeoDesign.matchedPairs(panel: panel, prePeriod: pre, seed: options.seed)
            let items = made.assignment.entries.map {
                GeoHoldoutDesign.Item(geo: $0.geo, group: $0.group, weight: weight[OpaqueID($0.geo)] ?? 0, pair: $0.pair)
            }
            design = GeoHoldoutDesign(
                tenantID: tenant, generatedAt: now, method: options.method, geoCount: revenue.count,
                holdoutCount: items.filter { $0.group == .control }.count, controlShare: made.diagnostics.controlShare, geoColumn: options.geoColumn,
                seed: options.seed, assignment: items, excluded: made.excluded, diagnostics: made.diagnostics)
        }
        let power = try await self.power(of: design, tenant: tenant, orders: orders)
        design.power = power
        design.diagnostics?.power = power.placebo
        return design
    }

    /// The placebo power of a design over the tenant's whole order history (first to last order
    /// day), on the two groups' daily revenue summed by the store.
    func power(of design: GeoHoldoutDesign, tenant: String, orders: some OrdersSource) async throws -> DesignPower {
        let control = design.assignment.filter { $0.group == .control }.map(\.geo)
        let treatment = design.assignment.filter { $0.group == .treatment }.map(\.geo)
        let all = try await orders.dailyTotals(tenant: tenant, geos: nil)
        guard let first = all.first?.day, let last = all.last?.day else {
            return DesignPower(control: [], treatment: [], plan: options.powerPlan)
        }
        func series(_ totals: [DailyRevenue]) -> [Double] {
            var values = [Double](repeating: 0, count: last - first + 1)
            for cell in totals where cell.day >= first && cell.day <= last { values[cell.day - first] += cell.revenue }
            return values
        }
        let x = series(try await orders.dailyTotals(tenant: tenant, geos: control))
        var y: [Double]
        if treatment.count <= control.count {
            y = series(try await orders.dailyTotals(tenant: tenant, geos: treatment))
        } else {
            // Treatment = all − control − geos in neither group (fewer geos to send to the store).
            let others = Set(control.map { OpaqueID($0) }).union(treatment.map { OpaqueID($0) })
            let revenueGeos = try await orders.revenueByGeo(tenant: tenant).map(\.geo).filter { !others.contains(OpaqueID($0)) }
            let rest = revenueGeos.isEmpty ? [Double](repeating: 0, count: x.count) : series(try await orders.dailyTotals(tenant: tenant, geos: revenueGeos))
            y = series(all)
            for d in y.indices { y[d] -= x[d] + rest[d] }
        }
        return DesignPower(control: x, treatment: y, plan: options.powerPlan)
    }

    private func skip(tenant: String, reason: IncrementalityResult.SkipReason, geoCount: Int, at now: Date) -> IncrementalityResult {
        do {
            try log(TelemetryEvent(tenantID: tenant, timestamp: now, event: "holdout_skipped", geoCount: geoCount, reason: reason.rawValue))
        } catch {
            return IncrementalityResult(status: .error, tenantID: tenant, reason: Self.describe(error))
        }
        return IncrementalityResult(status: .skip, tenantID: tenant, reason: reason.rawValue, geoCount: geoCount)
    }

    private func log(_ event: TelemetryEvent) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try state.appendTelemetry(try encoder.encode(event))
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HoldoutError: error.message
        case let error as GeoError: error.message
        case let error as GeoStateError: error.message
        default: String(describing: error)
        }
    }
}

/// What the step did, as seed 000 returns it: `{"status":"success","design":{…},
/// "assignment_path":…,"tenant_id":…}`, `{"status":"skip","reason":"no_orders"|"insufficient_geo",
/// "tenant_id":…}` or `{"status":"error","reason":…,"tenant_id":…}`. A success also carries
/// `design_id` (the database row) when the design was stored; a skip its `geo_count`.
public struct IncrementalityResult: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case success, skip, error
    }

    public enum SkipReason: String, Sendable, Hashable, Codable {
        case noOrders = "no_orders"
        case insufficientGeo = "insufficient_geo"
    }

    public var status: Status
    public var tenantID: String
    public var design: GeoHoldoutDesign?
    public var assignmentPath: String?
    public var designID: Int64?
    public var reason: String?
    public var geoCount: Int?
    /// For an error: whether the settings or the data made the design impossible (a stratified
    /// design whose strata put every geo in control, say) rather than the files or the database
    /// failing. Not part of the JSON.
    public var isInputError = false

    public init(
        status: Status, tenantID: String, design: GeoHoldoutDesign? = nil, assignmentPath: String? = nil, designID: Int64? = nil, reason: String? = nil,
        geoCount: Int? = nil
    ) {
        self.status = status
        self.tenantID = tenantID
        self.design = design
        self.assignmentPath = assignmentPath
        self.designID = designID
        self.reason = reason
        self.geoCount = geoCount
    }

    enum CodingKeys: String, CodingKey {
        case status
        case tenantID = "tenant_id"
        case design
        case assignmentPath = "assignment_path"
        case designID = "design_id"
        case reason
        case geoCount = "geo_count"
    }
}

/// One line of `geo_holdout_runs.jsonl`: `tenant_id, timestamp, event` (`holdout_assigned`,
/// `holdout_skipped`, `holdout_failed`) and what the event has of `geo_count, holdout_count,
/// control_share, assignment_path, method, reason`.
public struct TelemetryEvent: Sendable, Hashable, Codable {
    public var tenantID: String
    public var timestamp: Date
    public var event: String
    public var geoCount: Int?
    public var holdoutCount: Int?
    public var controlShare: Double?
    public var assignmentPath: String?
    public var method: String?
    public var reason: String?

    public init(
        tenantID: String, timestamp: Date, event: String, geoCount: Int? = nil, holdoutCount: Int? = nil, controlShare: Double? = nil,
        assignmentPath: String? = nil, method: String? = nil, reason: String? = nil
    ) {
        self.tenantID = tenantID
        self.timestamp = timestamp
        self.event = event
        self.geoCount = geoCount
        self.holdoutCount = holdoutCount
        self.controlShare = controlShare
        self.assignmentPath = assignmentPath
        self.method = method
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenant_id"
        case timestamp, event
        case geoCount = "geo_count"
        case holdoutCount = "holdout_count"
        case controlShare = "control_share"
        case assignmentPath = "assignment_path"
        case method, reason
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenantID = try c.decode(String.self, forKey: .tenantID)
        let stamp = try c.decode(String.self, forKey: .timestamp)
        guard let date = try? Date(stamp, strategy: GeoHoldoutDesign.timeFormat) else {
            throw DecodingError.dataCorruptedError(forKey: .timestamp, in: c, debugDescription: "timestamp '\(stamp)' is not an ISO 8601 time")
        }
        timestamp = date
        event = try c.decode(String.self, forKey: .event)
        geoCount = try c.decodeIfPresent(Int.self, forKey: .geoCount)
        holdoutCount = try c.decodeIfPresent(Int.self, forKey: .holdoutCount)
        controlShare = try c.decodeIfPresent(Double.self, forKey: .controlShare)
        assignmentPath = try c.decodeIfPresent(String.self, forKey: .assignmentPath)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tenantID, forKey: .tenantID)
        try c.encode(timestamp.formatted(GeoHoldoutDesign.timeFormat), forKey: .timestamp)
        try c.encode(event, forKey: .event)
        try c.encodeIfPresent(geoCount, forKey: .geoCount)
        try c.encodeIfPresent(holdoutCount, forKey: .holdoutCount)
        try c.encodeIfPresent(controlShare, forKey: .controlShare)
        try c.encodeIfPresent(assignmentPath, forKey: .assignmentPath)
        try c.encodeIfPresent(method, forKey: .method)
        try c.encodeIfPresent(reason, forKey: .reason)
    }
}
