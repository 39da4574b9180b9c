public import HoldoutStats

/// The validation status of one assigned unit (seed 003's `int_experiment_exposure_validation`),
/// decided in this order of precedence:
///
/// 1. `no_exposure` — assigned, never exposed.
/// 2. `multi_variation_exposure` — exposures logged with more than one variant.
/// 3. `variant_mismatch` — the logged variant differs from the assigned one.
/// 4. `pre_assignment_exposure` — the first exposure precedes the assignment.
/// 5. `exposure_outside_window` — the first exposure is before the experiment's start or after its end.
/// 6. `valid`.
public enum ValidationStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case valid
    case noExposure = "no_exposure"
    case preAssignmentExposure = "pre_assignment_exposure"
    case variantMismatch = "variant_mismatch"
    case multiVariationExposure = "multi_variation_exposure"
    case exposureOutsideWindow = "exposure_outside_window"
}

/// How units enter an analysis; the caller must choose.
public enum AnalysisMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Intent to treat: every assigned unit; outcomes counted from assignment.
    case itt
    /// Exposure-based: only units with a valid exposure; outcomes counted from first exposure.
    case exposure
}

/// One unit's validation.
public struct UnitValidation: Sendable, Hashable, Codable {
    public var profileID: String
    public var variant: String
    public var assignedAt: Timestamp
    public var firstExposureAt: Timestamp?
    public var status: ValidationStatus

    public init(profileID: String, variant: String, assignedAt: Timestamp, firstExposureAt: Timestamp?, status: ValidationStatus) {
        self.profileID = profileID
        self.variant = variant
        self.assignedAt = assignedAt
        self.firstExposureAt = firstExposureAt
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case profileID = "profile_id"
        case variant = "assigned_variant"
        case assignedAt = "assigned_at"
        case firstExposureAt = "first_exposure_at"
        case status = "validation_status"
    }
}

/// A day of exposure health (seed 003's `fct_experiment_exposure_quality_daily`), for the units
/// assigned that day (UTC).
public struct QualityDay: Sendable, Hashable, Codable {
    public var date: String
    public var assigned: Int
    public var exposed: Int
    /// exposed / assigned.
    public var exposureRate: Double
    /// valid / assigned.
    public var validExposureRate: Double
    /// (variant_mismatch + multi_variation_exposure) / exposed, 0 when nobody was exposed.
    public var mismatchRate: Double
    /// Units per validation status.
    public var statusCounts: [String: Int]

    public init(date: String, assigned: Int, exposed: Int, exposureRate: Double, validExposureRate: Double, mismatchRate: Double, statusCounts: [String: Int]) {
        self.date = date
        self.assigned = assigned
        self.exposed = exposed
        self.exposureRate = exposureRate
        self.validExposureRate = validExposureRate
        self.mismatchRate = mismatchRate
        self.statusCounts = statusCounts
    }

    enum CodingKeys: String, CodingKey {
        case date, assigned, exposed
        case exposureRate = "exposure_rate"
        case validExposureRate = "valid_exposure_rate"
        case mismatchRate = "mismatch_rate"
        case statusCounts = "status_counts"
    }
}

/// Per-variant sufficient statistics of the conversion and value metrics, as HoldoutStats
/// consumes them.
public struct VariantStatistics: Sendable, Hashable, Codable {
    public var variant: String
    /// The unit dimension's value when broken down by segment (`(none)` for units without it).
    public var segment: String?
    /// Units in the cohort.
    public var units: Int
    /// Units that converted within the window.
    public var converters: Int
    /// Σ value per unit (within the window, capped when asked).
    public var sumValue: Double
    /// Σ (value per unit)².
    public var sumValueSquares: Double
    /// Covariate sums for CUPED (absent without covariates): Σx_j, Σx_j·value, Σx_i·x_j.
    public var sumX: [Double]
    public var sumXY: [Double]
    public var sumXX: [[Double]]

    public init(
        variant: String, segment: String?, units: Int, converters: Int, sumValue: Double, sumValueSquares: Double, sumX: [Double], sumXY: [Double],
        sumXX: [[Double]]
    ) {
        self.variant = variant
        self.segment = segment
        self.units = units
        self.converters = converters
        self.sumValue = sumValue
        self.sumValueSquares = sumValueSquares
        self.sumX = sumX
        self.sumXY = sumXY
        self.sumXX = sumXX
    }

    /// The conversion metric as HoldoutStats takes it.
    public var proportion: ProportionStatistic { ProportionStatistic(n: units, conversions: converters) }
    /// The value metric (per unit) as HoldoutStats takes it.
    public var mean: MeanStatistic { MeanStatistic(n: units, sum: sumValue, sumSquares: sumValueSquares) }
    /// The value metric with its covariates, for CUPED.
    public func regression() throws(StatsError) -> RegressionStatistic {
        try RegressionStatistic(n: units, sumY: sumValue, sumYY: sumValueSquares, sumX: sumX, sumXY: sumXY, sumXX: sumXX)
    }

    enum CodingKeys: String, CodingKey {
        case variant, segment, units, converters
        case sumValue = "sum_value"
        case sumValueSquares = "sum_value_sq"
        case sumX = "sum_x"
        case sumXY = "sum_xy"
        case sumXX = "sum_xx"
    }
}

/// A cap on per-unit values (winsorizing) before summing.
public enum ValueCap: Sendable, Hashable {
    /// Values above this are set to it.
    case absolute(Double)
    /// Values above this quantile of all units' values (nearest rank, 0 < q < 1) are set to it.
    case percentile(Double)
}

/// The event that records an exposure in the general `events` stream: `event_name`
/// `experiment_exposure` with properties `{"experiment_id": KEY, "variant": NAME}` (variant
/// optional). Such events count as exposures of that experiment, with the ones recorded directly.
public enum ExposureEvent {
    public static let name = "experiment_exposure"
}
