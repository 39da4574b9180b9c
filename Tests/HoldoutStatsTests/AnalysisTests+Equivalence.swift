import Testing

@testable import HoldoutStats

/// What the four former copies of the settings→test mapping computed (`stats compare`,
/// `holdout results`, `stats analyze`, calibration), written out once more here so that the
/// entry point is checked to give exactly — bit for bit — the same comparisons.
extension AnalysisTests {
    static let proportions: [(ProportionStatistic, ProportionStatistic)] = [
        (.init(n: 200, conversions: 8), .init(n: 800, conversions: 45)),
        (.init(n: 10_000, conversions: 500), .init(n: 10_000, conversions: 560)),
        (.init(n: 0, conversions: 0), .init(n: 100, conversions: 5)),
        (.init(n: 100, conversions: 0), .init(n: 100, conversions: 0)),
        (.init(n: 1000, conversions: 0), .init(n: 1000, conversions: 12)),
    ]
    static let means: [(MeanStatistic, MeanStatistic)] = [
        (.init(n: 1000, sum: 5000, sumSquares: 40000), .init(n: 1000, sum: 5400, sumSquares: 45000)),
        (.init(n: 1000, sum: -10_000, sumSquares: 115_984), .init(n: 1000, sum: -5_000, sumSquares: 40_984)),
        (.init(n: 1, sum: 3, sumSquares: 9), .init(n: 5, sum: 10, sumSquares: 30)),
        (.init(n: 10, sum: 0, sumSquares: 4), .init(n: 10, sum: 2, sumSquares: 6)),
    ]
    static let ratios: [(RatioStatistic, RatioStatistic)] = [
        (
            .init(n: 50, sumNumerator: 1744.55, sumNumeratorSquares: 113992.3869, sumDenominator: 65, sumDenominatorSquares: 129, sumCrossProducts: 3417.83),
            .init(n: 50, sumNumerator: 1546.88, sumNumeratorSquares: 117830.0898, sumDenominator: 52, sumDenominatorSquares: 104, sumCrossProducts: 3145.52)
        ),
        (.init(), .init()),
    ]
    static let prior = BayesianTest.Prior(mean: 0.002, standardDeviation: 0.01)

    static func entry(_ c: Analysis.Arm, _ t: Analysis.Arm, _ settings: Analysis.Settings) throws -> Comparison {
        try Analysis.compare(control: c, treatments: [t], settings: settings).treatments[0].comparison
    }

    @Test("every metric × method × alternative gives the comparison the direct call gives", arguments: [0.05, 0.1])
    func directCalls(alpha: Double) throws {
        let tuning = 2_500.0
        for alternative in Alternative.allCases {
            let options = TestOptions(alpha: alpha, alternative: alternative)
            for (c, t) in Self.proportions {
                let s = Analysis.Settings(metric: .proportion, alternative: alternative, alpha: alpha, tuning: tuning)
                #expect(try Self.entry(.init(c), .init(t), s) == ProportionTest.compare(control: c, treatment: t, options: options))
            }
            for (c, t) in Self.means {
                let s = Analysis.Settings(metric: .mean, alternative: alternative, alpha: alpha)
                #expect(try Self.entry(.init(c), .init(t), s) == WelchTest.compare(control: c, treatment: t, options: options))
            }
            for (c, t) in Self.ratios {
                let s = Analysis.Settings(metric: .ratio, alternative: alternative, alpha: alpha)
                #expect(try Self.entry(.init(c), .init(t), s) == RatioTest.compare(control: c, treatment: t, options: options))
            }
        }
        let options = TestOptions(alpha: alpha)
        for prior in [nil, Self.prior] {
            for (c, t) in Self.proportions {
                let seq = Analysis.Settings(metric: .proportion, method: .sequential, alpha: alpha, tuning: tuning)
                #expect(try Self.entry(.init(c), .init(t), seq) == SequentialTest.compare(control: c, treatment: t, alpha: alpha, tuning: tuning))
                let bayes = Analysis.Settings(metric: .proportion, method: .bayesian, alpha: alpha, prior: prior)
                let fixed = try ProportionTest.compare(control: c, treatment: t, options: options)
                #expect(try Self.entry(.init(c), .init(t), bayes) == BayesianTest.summarize(fixed, alpha: alpha, prior: prior))
            }
            for (c, t) in Self.means {
                let seq = Analysis.Settings(metric: .mean, method: .sequential, alpha: alpha, tuning: tuning)
                #expect(try Self.entry(.init(c), .init(t), seq) == SequentialTest.compare(control: c, treatment: t, alpha: alpha, tuning: tuning))
                let bayes = Analysis.Settings(metric: .mean, method: .bayesian, alpha: alpha, prior: prior)
                let fixed = try WelchTest.compare(control: c, treatment: t, options: options)
                #expect(try Self.entry(.init(c), .init(t), bayes) == BayesianTest.summarize(fixed, alpha: alpha, prior: prior))
            }
            for (c, t) in Self.ratios {
                let seq = Analysis.Settings(metric: .ratio, method: .sequential, alpha: alpha, tuning: tuning)
                #expect(try Self.entry(.init(c), .init(t), seq) == SequentialTest.compare(control: c, treatment: t, alpha: alpha, tuning: tuning))
                let bayes = Analysis.Settings(metric: .ratio, method: .bayesian, alpha: alpha, prior: prior)
                let fixed = try RatioTest.compare(control: c, treatment: t, options: options)
                #expect(try Self.entry(.init(c), .init(t), bayes) == BayesianTest.summarize(fixed, alpha: alpha, prior: prior))
            }
        }
    }

    @Test("CUPED alongside the metric's test, one-sided too, as `stats analyze` and `holdout results` computed it")
    func cupedDirect() throws {
        var control = RegressionStatistic(covariateCount: 2)
        var treatment = RegressionStatistic(covariateCount: 2)
        var g = SystemRandomNumberGenerator()
        for i in 0..<400 {
            let x = [Double.random(in: 0...10, using: &g), Double.random(in: -1...1, using: &g)]
            let y = 0.8 * x[0] - 0.3 * x[1] + Double.random(in: -2...2, using: &g) + (i.isMultiple(of: 2) ? 0.4 : 0)
            if i.isMultiple(of: 2) { treatment.add(y: y, x: x) } else { control.add(y: y, x: x) }
        }
        for alternative in Alternative.allCases {
            let options = TestOptions(alpha: 0.05, alternative: alternative)
            let settings = Analysis.Settings(metric: .mean, alternative: alternative, isCUPED: true, covariateNames: ["a", "b"])
            let result = try Analysis.compare(
                control: .init(control.outcome, regression: control), treatments: [.init(treatment.outcome, regression: treatment)], settings: settings)
            #expect(result.treatments[0].comparison == (try WelchTest.compare(control: control.outcome, treatment: treatment.outcome, options: options)))
            #expect(
                result.treatments[0].cuped
                    == (try RegressionAdjustment.compare(control: control, treatment: treatment, options: options, covariateNames: ["a", "b"])))
        }
        // A constant covariate is named in the error, as before.
        var flat = RegressionStatistic(covariateCount: 1)
        for y in [1.0, 2, 3, 4] { flat.add(y: y, x: [5]) }
        #expect {
            try Analysis.compare(
                control: .init(flat.outcome, regression: flat), treatments: [.init(flat.outcome, regression: flat)],
                settings: .init(metric: .mean, isCUPED: true, covariateNames: ["pre_revenue"]))
        } throws: { error in
            (error as? StatsError)?.code == .singularCovariates && (error as? StatsError)?.message.contains("pre_revenue") == true
        }
    }
}
