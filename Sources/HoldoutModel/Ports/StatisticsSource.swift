/// One question for a ``StatisticsSource``: the per-variant sufficient statistics of an
/// experiment's cohort in one analysis mode.
///
/// The conversion window is the experiment's own (`conversion_window_days`), read by the source
/// with the experiment; the value metric is the outcomes' value, winsorized by `cap`.
public struct StatisticsRequest: Sendable, Hashable {
    public var experimentID: Int64
    public var mode: AnalysisMode
    /// Pre-experiment covariates (names in `unit_covariates`) whose CUPED sums to add.
    public var covariates: [String]
    /// Winsorizes per-unit values before summing.
    public var cap: ValueCap?
    /// A unit property to break the statistics down by (one row per variant and value).
    public var segmentBy: String?
    /// The outcome metric: `""` is the experiment's default (its outcomes without a metric name
    /// and the events named by its `conversion_key`); another name reads the outcomes recorded
    /// under it (`visit`, `conversion` of a Criteo import).
    public var metric: String

    public init(
        experimentID: Int64, mode: AnalysisMode, covariates: [String] = [], cap: ValueCap? = nil, segmentBy: String? = nil, metric: String = ""
    ) {
        self.experimentID = experimentID
        self.mode = mode
        self.covariates = covariates
        self.cap = cap
        self.segmentBy = segmentBy
        self.metric = metric
    }
}

/// Cumulative daily counts' raw material: per variant and day (days since 1970-01-01 UTC), how
/// many units were assigned and how many first converted within their window.
public struct DailyCounts: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var variant: String
        public var day: Int64
        public var count: Int
        public init(variant: String, day: Int64, count: Int) {
            self.variant = variant
            self.day = day
            self.count = count
        }
    }
    public var assigned: [Row]
    public var converted: [Row]
    public init(assigned: [Row], converted: [Row]) {
        self.assigned = assigned
        self.converted = converted
    }
}

/// Where results come from: an engine that reduces an experiment's events to per-variant
/// sufficient statistics (the contract between data and statistics). The store implements it
/// on SQLite and PostgreSQL; another engine (Spark SQL, DuckDB) implements this and nothing
/// else to serve results, time series and the nightly report.
public protocol StatisticsSource: Sendable {
    /// The pre-experiment covariates recorded for the experiment's units, sorted.
    func covariateNames(experimentID: Int64) async throws(HoldoutError) -> [String]
    /// Per-variant (and per-segment) sufficient statistics for the request; variants without
    /// units may be missing.
    func variantStatistics(_ request: StatisticsRequest) async throws(HoldoutError) -> [VariantStatistics]
    /// The outcome rows of `metric` (and, in exposure mode, exposure rows) the mode leaves out,
    /// by reason. May be called concurrently with ``variantStatistics(_:)``.
    func notCounted(experimentID: Int64, mode: AnalysisMode, metric: String) async throws(HoldoutError) -> NotCounted
    /// Per-day exposure validation counts (the daily quality model).
    func dailyQuality(experimentID: Int64) async throws(HoldoutError) -> [QualityDay]
    /// Assignments per variant and day, and first conversions within the window per variant and
    /// day (ITT), for the cumulative time series.
    func dailyCounts(experiment: Experiment, metric: String) async throws(HoldoutError) -> DailyCounts
}

extension StatisticsSource {
    /// The daily counts of the experiment's default metric.
    public func dailyCounts(experiment: Experiment) async throws(HoldoutError) -> DailyCounts {
        try await dailyCounts(experiment: experiment, metric: "")
    }

    /// What the mode leaves out of the experiment's default metric.
    public func notCounted(experimentID: Int64, mode: AnalysisMode) async throws(HoldoutError) -> NotCounted {
        try await notCounted(experimentID: experimentID, mode: mode, metric: "")
    }
}
