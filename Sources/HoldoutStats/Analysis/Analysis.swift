/// The one entry point from analysis settings and per-arm sufficient statistics to results.
///
/// Every analysis in Holdout — `holdout stats compare`, `holdout stats analyze`, an
/// experiment's results, the calibration of the estimators — chooses its test here, from
/// ``Settings``, so a new caller (an API, a pipeline, an assistant) cannot pick a test another
/// caller would not. Requests and results are `Codable` with the wire's snake_case keys
/// (``Request``, ``Result``) and validate when decoded.
///
/// ```swift
/// let settings = Analysis.Settings(metric: .proportion, method: .sequential)
/// let result = try Analysis.compare(
///     control: .init(ProportionStatistic(n: 10_000, conversions: 500)),
///     treatments: [.init(ProportionStatistic(n: 10_000, conversions: 560))], settings: settings)
/// result.treatments[0].comparison.ciLow  // the always-valid lower bound
/// ```
///
/// GrowthBook's gbstats keeps the same single mapping (`gbstats.gbstats.analyze_metric_df`
/// choosing a test from `AnalysisSettingsForStatsEngine`).
public enum Analysis {
    /// Compares each treatment arm with control using the test the settings select.
    ///
    /// For each treatment, in order: the metric's test (``Settings``' table) at α, then CUPED
    /// when ``Settings/isCUPED``. The p-values that exist are then adjusted across the
    /// treatments by Holm and Benjamini–Hochberg (``MultipleTesting``); with one treatment both
    /// equal its p-value. Degenerate data does not throw: the comparison is flagged
    /// ``Comparison/insufficientData`` with a reason, as by each test.
    ///
    /// - Parameters:
    ///   - control: control's statistics.
    ///   - treatments: K ≥ 1 treatment arms, each of the settings' metric (and with
    ///     ``Arm/regression`` statistics for CUPED).
    ///   - settings: the test and its parameters.
    /// - Returns: one ``Result/Treatment`` per treatment arm.
    /// - Throws: ``StatsError`` naming the field: invalid settings (``Settings/validate()``),
    ///   no treatments, an arm whose statistic is not the settings' metric or lacks regression
    ///   sums for CUPED, sums no data can produce (the tests' own validation, which names the
    ///   arms `control` and `treatment`), or covariates CUPED cannot use
    ///   (``StatsError/Code/singularCovariates``).
    /// - Complexity: O(K) tests, plus O(K·k³) for CUPED with k covariates and O(K log K) for
    ///   the adjustments.
    public static func compare(control: Arm, treatments: [Arm], settings: Settings) throws(StatsError) -> Result {
        try settings.validate()
        guard !treatments.isEmpty else {
            throw StatsError(.invalidInput, "treatments: needs at least one arm", field: "treatments")
        }
        try check(control, name: "control", settings: settings)
        for (index, treatment) in treatments.enumerated() {
            try check(treatment, name: treatments.count == 1 ? "treatment" : "treatments[\(index)]", settings: settings)
        }
        var results: [Result.Treatment] = []
        results.reserveCapacity(treatments.count)
        for treatment in treatments {
            let comparison = try test(control: control.statistic, treatment: treatment.statistic, settings: settings)
            var cuped: RegressionAdjustment.Result?
            if settings.isCUPED, let c = control.regression, let t = treatment.regression {
                cuped = try RegressionAdjustment.compare(
                    control: c, treatment: t, options: settings.options, covariateNames: settings.covariateNames)
            }
            results.append(Result.Treatment(comparison: comparison, cuped: cuped))
        }
        let adjusted = MultiArmComparison(comparisons: results.map(\.comparison))
        for index in results.indices {
            results[index].pValueHolm = adjusted.holm[index]
            results[index].pValueBH = adjusted.benjaminiHochberg[index]
            results[index].pValueAdjusted =
                switch settings.correction {
                case .none: results[index].comparison.pValue
                case .holm: adjusted.holm[index]
                case .benjaminiHochberg: adjusted.benjaminiHochberg[index]
                }
        }
        return Result(settings: settings, treatments: results)
    }

    /// The settings' test on one pair of arms: the table in ``Settings``.
    static func test(control: Arm.Statistic, treatment: Arm.Statistic, settings: Settings) throws(StatsError) -> Comparison {
        let options = settings.options
        if settings.method == .sequential {
            switch (control, treatment) {
            case (.proportion(let c), .proportion(let t)):
                return try SequentialTest.compare(control: c, treatment: t, alpha: settings.alpha, tuning: settings.tuning)
            case (.mean(let c), .mean(let t)):
                return try SequentialTest.compare(control: c, treatment: t, alpha: settings.alpha, tuning: settings.tuning)
            case (.ratio(let c), .ratio(let t)):
                return try SequentialTest.compare(control: c, treatment: t, alpha: settings.alpha, tuning: settings.tuning)
            default:
                throw mismatch()
            }
        }
        let fixed: Comparison
        switch (control, treatment) {
        case (.proportion(let c), .proportion(let t)): fixed = try ProportionTest.compare(control: c, treatment: t, options: options)
        case (.mean(let c), .mean(let t)): fixed = try WelchTest.compare(control: c, treatment: t, options: options)
        case (.ratio(let c), .ratio(let t)): fixed = try RatioTest.compare(control: c, treatment: t, options: options)
        default: throw mismatch()
        }
        guard settings.method == .bayesian else { return fixed }
        return try BayesianTest.summarize(fixed, alpha: settings.alpha, prior: settings.prior)
    }

    private static func mismatch() -> StatsError {
        StatsError(.invalidInput, "control and treatment hold different kinds of statistics", field: "metric")
    }

    /// Checks an arm against the settings: the metric's statistic, regression sums for CUPED.
    private static func check(_ arm: Arm, name: String, settings: Settings) throws(StatsError) {
        guard arm.statistic.metric == settings.metric else {
            throw StatsError(
                .invalidInput, "\(name) holds \(arm.statistic.metric.rawValue) statistics but the metric is \(settings.metric.rawValue)",
                field: name)
        }
        guard settings.isCUPED else { return }
        guard let regression = arm.regression else {
            throw StatsError(.invalidInput, "\(name): cuped needs regression statistics (sum_x, sum_xy, sum_xx)", field: "\(name).sum_x")
        }
        guard regression.n == arm.statistic.n else {
            throw StatsError(
                .invalidInput, "\(name): the regression statistics have n = \(regression.n), the metric's n = \(arm.statistic.n)",
                field: "\(name).n")
        }
    }
}
