/// The settings of a simulated geo experiment: the panel's shape, how geos differ, the noise,
/// the design, and the effect injected in treatment geos during the test.
///
/// Geo g has a size s_g = `sizeMedian`·exp(`sizeLogSD`·z_g), z_g ~ N(0, 1) (log-normal sizes).
/// Its response on day d (0 = the first pre-period day) without the campaign is
///
///     y0[g, d] = s_g · (1 + A·cos(2πd/7)) · (1 + trend·d) · exp(κ·z_g·d) · exp(σ_m·u_d − σ_m²/2)
///                · exp(z_g·b_d − (z_g·σ_b)²/2) · exp(σ·e[g, d] − σ²/2)
///
/// with A = `weeklyAmplitude`, trend = `trendPerDay`, κ = `sizeTrendPerDay` (a growth rate
/// that differs with the geo's size: big geos grow faster than small ones when κ > 0), a
/// market-wide daily shock u_d ~ N(0, 1)
/// scaled by σ_m = `marketSD`, a daily shock b_d ~ N(0, σ_b²) (σ_b = `sizeFactorSD`) that
/// loads on the geo's standardized log size z_g (big and small geos move differently: what a
/// design balanced on size protects against), and independent noise e[g, d] ~ N(0, 1) scaled by
/// σ = `noiseSD`. Every random factor has mean 1, so E[y0] = s_g·(1 + A·cos)·(1 + trend·d)·exp(κ·z_g·d).
///
/// In treatment geos on test days the campaign's response is
///
///     y1[g, d] = y0[g, d]·(1 + `lift`) + `iroas`·c[g, d],   c[g, d] = `spendShare`·E[y0[g, d]]
///
/// where c is the campaign's spend (the cost column, present when `spendShare` > 0; zero in
/// the pre-period and in control geos: matched_markets' fixed-cost scenario). The truth of a
/// run is therefore known exactly: incremental = Σ (y1 − y0) over treatment geos and test days.
public struct GeoScenario: Sendable, Hashable, Codable {
    /// How the generator assigns geos to control and treatment (from the pre-period only).
    public enum Design: String, Sendable, Hashable, Codable, CaseIterable {
        /// Complete randomization: ⌊G/2⌋ control geos by a seeded shuffle.
        case random
        /// ``GeoDesign/stratified(panel:prePeriod:holdoutRatio:stratumSize:seed:power:)`` with its defaults.
        case stratified
        /// ``GeoDesign/matchedPairs(panel:prePeriod:window:seed:power:)`` with its defaults (pairs for trimmed match).
        case matchedPairs = "matched-pairs"
        /// Seed 000's ``GeoDesign/weighted(panel:prePeriod:tenantID:generatedAt:geoColumn:holdoutRatio:minHoldoutUnits:seed:power:)``
        /// with its defaults (20% of geos in control, drawn proportionally to revenue).
        case weighted
    }

    public var name: String
    /// One line: what the scenario is for.
    public var summary: String
    public var geos: Int
    public var preDays: Int
    public var testDays: Int
    public var sizeMedian: Double
    public var sizeLogSD: Double
    public var weeklyAmplitude: Double
    public var trendPerDay: Double
    public var sizeTrendPerDay: Double
    public var marketSD: Double
    public var sizeFactorSD: Double
    public var noiseSD: Double
    /// Relative lift of the response in treatment geos during the test.
    public var lift: Double
    /// Daily spend in a treatment geo during the test, as a share of its expected response; 0 = no cost column.
    public var spendShare: Double
    /// Incremental response per unit of spend.
    public var iroas: Double
    public var design: Design

    public init(
        name: String, summary: String, geos: Int = 40, preDays: Int = 56, testDays: Int = 28, sizeMedian: Double = 1000, sizeLogSD: Double = 1,
        weeklyAmplitude: Double = 0.15, trendPerDay: Double = 0, sizeTrendPerDay: Double = 0, marketSD: Double = 0.05, sizeFactorSD: Double = 0,
        noiseSD: Double = 0.1,
        lift: Double = 0.05, spendShare: Double = 0, iroas: Double = 0, design: Design = .random
    ) {
        self.name = name
        self.summary = summary
        self.geos = geos
        self.preDays = preDays
        self.testDays = testDays
        self.sizeMedian = sizeMedian
        self.sizeLogSD = sizeLogSD
        self.weeklyAmplitude = weeklyAmplitude
        self.trendPerDay = trendPerDay
        self.sizeTrendPerDay = sizeTrendPerDay
        self.marketSD = marketSD
        self.sizeFactorSD = sizeFactorSD
        self.noiseSD = noiseSD
        self.lift = lift
        self.spendShare = spendShare
        self.iroas = iroas
        self.design = design
    }

    enum CodingKeys: String, CodingKey {
        case name, summary, geos, lift, iroas, design
        case preDays = "pre_days"
        case testDays = "test_days"
        case sizeMedian = "size_median"
        case sizeLogSD = "size_log_sd"
        case weeklyAmplitude = "weekly_amplitude"
        case trendPerDay = "trend_per_day"
        case sizeTrendPerDay = "size_trend_per_day"
        case marketSD = "market_sd"
        case sizeFactorSD = "size_factor_sd"
        case noiseSD = "noise_sd"
        case spendShare = "spend_share"
    }

    /// Whether the panel carries a cost column.
    public var hasSpend: Bool { spendShare > 0 }

    /// Whether the scenario's response has no campaign effect at all.
    public var isNull: Bool { lift == 0 && (spendShare == 0 || iroas == 0) }

    /// - Throws: ``GeoError`` `invalid_input` naming the setting.
    public func validate() throws(GeoError) {
        func check(_ ok: Bool, _ message: String) throws(GeoError) {
            if !ok { throw GeoError(.invalidInput, "geo scenario '\(name)': \(message)") }
        }
        try check((4...10_000).contains(geos), "geos must be in 4…10,000, got \(geos)")
        try check((7...3_650).contains(preDays), "pre_days must be in 7…3,650, got \(preDays)")
        try check((1...3_650).contains(testDays), "test_days must be in 1…3,650, got \(testDays)")
        try check(geos * (preDays + testDays) <= 20_000_000, "geos × days must be at most 20,000,000")
        try check(sizeMedian.isFinite && sizeMedian > 0, "size_median must be positive")
        for (key, value, limit) in [
            ("size_log_sd", sizeLogSD, 5.0), ("market_sd", marketSD, 2), ("size_factor_sd", sizeFactorSD, 2), ("noise_sd", noiseSD, 2),
            ("spend_share", spendShare, 10), ("iroas", iroas, 1_000),
        ] {
            try check(value.isFinite && value >= 0 && value <= limit, "\(key) must be in [0, \(limit)], got \(value)")
        }
        try check(weeklyAmplitude.isFinite && weeklyAmplitude >= 0 && weeklyAmplitude < 1, "weekly_amplitude must be in [0, 1), got \(weeklyAmplitude)")
        try check(lift.isFinite && lift > -1 && lift <= 100, "lift must be in (−1, 100], got \(lift)")
        let days = Double(preDays + testDays - 1)
        try check(sizeTrendPerDay.isFinite && abs(sizeTrendPerDay) <= 0.1, "size_trend_per_day must be in [−0.1, 0.1], got \(sizeTrendPerDay)")
        try check(trendPerDay.isFinite && 1 + trendPerDay * days > 0 && abs(trendPerDay) <= 1, "trend_per_day must keep 1 + trend·d positive over the panel")
    }
}

extension GeoScenario {
    /// The built-in scenarios (`holdout calibrate --scenario NAME`). Each is 40 geos with
    /// log-normal sizes (median 1,000 a day, log-sd 1), 56 pre-period days (8 weeks) and 28 test
    /// days (4 weeks), weekly seasonality ±15%, a 5% market-wide daily shock and 10% geo-day noise,
    /// unless it says otherwise.
    public static let builtIn: [GeoScenario] = [
        GeoScenario(
            name: "geo-basic",
            summary: "5% lift in a random half of 40 geos; TBR's and SCM's assumptions hold (DiD sees seasonality scaled by the groups' sizes)"),
        GeoScenario(name: "geo-null", summary: "geo-basic without an effect: rejections are Type I errors", lift: 0),
        GeoScenario(
            name: "geo-stationary", summary: "no seasonality or trend, only independent daily shocks: every method's assumptions hold, DiD's included",
            weeklyAmplitude: 0),
        GeoScenario(
            name: "geo-trend",
            summary: "geo-basic with a common growth of 0.5% of the first day's level per day: breaks DiD's parallel trends (groups differ in size)",
            trendPerDay: 0.005),
        GeoScenario(
            name: "geo-spend",
            summary:
                "matched pairs; treatment geos spend 5% of their expected revenue a day with iROAS 2 (≈10% lift); the truth for trimmed match is the iROAS",
            lift: 0, spendShare: 0.05, iroas: 2, design: .matchedPairs),
        GeoScenario(
            name: "geo-heterogeneous",
            summary:
                "geo-basic where big and small geos drift apart (growth 0.05%/day per sd of log size) and a 5% daily shock loads on size: TBR holds only if the groups are alike in size; the designs comparison's scenario",
            sizeTrendPerDay: 0.0005, sizeFactorSD: 0.05),
    ]

    /// Names of the built-in scenarios.
    public static var names: [String] { builtIn.map(\.name) }

    /// The built-in scenario called `name`.
    /// - Throws: ``GeoError`` `invalid_input` listing the known names.
    public static func named(_ name: String) throws(GeoError) -> GeoScenario {
        guard let scenario = builtIn.first(where: { $0.name == name }) else {
            throw GeoError(.invalidInput, "unknown geo scenario '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return scenario
    }
}
