import Testing

@testable import HoldoutStats

@Suite("Sequential (gbstats 0.8.0) and Bayesian summaries")
struct SequentialAndBayesianTests {
    struct MeanArm: Decodable { let n: Int; let sum, sum_squares: Double }
    struct SequentialRow: Decodable {
        struct E: Decodable { let uplift_abs, ci_low, ci_high, p_value: Double }
        let control, treatment: MeanArm
        let alpha, tuning: Double
        let expected: E
    }
    struct BayesianRow: Decodable {
        struct Prior: Decodable { let mean, sd: Double }
        struct E: Decodable { let post_mean, post_sd, ci_low, ci_high, chance_to_win, expected_loss: Double }
        let estimate, std_error: Double
        let prior: Prior?
        let alpha: Double
        let expected: E
    }
    struct Table: Decodable {
        let sequential: [SequentialRow]
        let bayesian: [BayesianRow]
    }

    let table: Table
    init() throws { table = try Fixture.load("comparisons") }

    @Test("confidence sequences match GrowthBook's SequentialTwoSidedTTest to 1e-9")
    func sequential() throws {
        #expect(table.sequential.count >= 30)
        for (i, row) in table.sequential.enumerated() {
            let c = MeanStatistic(n: row.control.n, sum: row.control.sum, sumSquares: row.control.sum_squares)
            let t = MeanStatistic(n: row.treatment.n, sum: row.treatment.sum, sumSquares: row.treatment.sum_squares)
            let r = try SequentialTest.compare(control: c, treatment: t, alpha: row.alpha, tuning: row.tuning)
            let width = row.expected.ci_high - row.expected.ci_low
            #expect(Tolerance.isClose(r.ciLow, row.expected.ci_low, rel: 1e-9, floor: width), "[\(i)] ci_low \(r.ciLow!) vs \(row.expected.ci_low)")
            #expect(Tolerance.isClose(r.ciHigh, row.expected.ci_high, rel: 1e-9, floor: width), "[\(i)] ci_high")
            #expect(Tolerance.isClose(r.pValue, row.expected.p_value, rel: 1e-9, floor: 1e-300), "[\(i)] p \(r.pValue!) vs \(row.expected.p_value)")
            // Always wider than the fixed-horizon interval.
            let fixed = try WelchTest.compare(control: c, treatment: t, options: .init(alpha: row.alpha))
            #expect(r.ciHigh! - r.ciLow! > fixed.ciHigh! - fixed.ciLow!)
        }
    }

    @Test("the always-valid interval shrinks as n grows")
    func shrinks() throws {
        var previous = Double.infinity
        for n in [1_000, 10_000, 100_000, 1_000_000] {
            let c = ProportionStatistic(n: n, conversions: n / 20)
            let t = ProportionStatistic(n: n, conversions: n / 20 + n / 400)
            let r = try SequentialTest.compare(control: c, treatment: t)
            let width = r.ciHigh! - r.ciLow!
            #expect(width < previous)
            previous = width
        }
    }

    @Test("posterior, credible interval, chance to win and expected loss (scipy quad)")
    func bayesian() throws {
        for (i, row) in table.bayesian.enumerated() {
            let prior = row.prior.map { BayesianTest.Prior(mean: $0.mean, standardDeviation: $0.sd) }
            let fixed = Comparison(controlMean: 0.1, treatmentMean: 0.1 + row.estimate, upliftAbs: row.estimate, standardError: row.std_error)
            let r = try BayesianTest.summarize(fixed, alpha: row.alpha, prior: prior)
            let e = row.expected
            #expect(Tolerance.isClose(r.upliftAbs, e.post_mean, rel: 1e-12, floor: e.post_sd), "[\(i)] mean")
            #expect(Tolerance.isClose(r.standardError, e.post_sd, rel: 1e-12), "[\(i)] sd")
            #expect(Tolerance.isClose(r.ciLow, e.ci_low, rel: 1e-12, floor: e.post_sd), "[\(i)] ci_low")
            #expect(Tolerance.isClose(r.ciHigh, e.ci_high, rel: 1e-12, floor: e.post_sd), "[\(i)] ci_high")
            #expect(Tolerance.isCloseProbability(r.chanceToWin!, e.chance_to_win), "[\(i)] chance to win")
            // quad's own accuracy is about 1e-10 relative.
            #expect(
                Tolerance.isClose(r.expectedLoss, e.expected_loss, rel: 1e-8, floor: 1e-14 * e.post_sd), "[\(i)] loss \(r.expectedLoss!) vs \(e.expected_loss)")
            #expect(r.pValue == nil)
        }
    }

    @Test("Bayesian relative lift divides by |control|: control −10, posterior lift N(5, 0.032) → +50%")
    func bayesianNegativeControl() throws {
        // Flat prior: the posterior is N(5, 0.032); the relative interval is (5 ∓ z·√0.032)/|−10| with
        // scipy norm.ppf(0.975): [0.46493909837693675, 0.5350609016230632], sd √0.032/10.
        let fixed = Comparison(controlMean: -10, treatmentMean: -5, upliftAbs: 5, standardError: 0.032.squareRoot())
        let r = try BayesianTest.summarize(fixed)
        #expect(r.upliftRel == 0.5)
        #expect(Tolerance.isClose(r.relativeStandardError, 0.01788854381999832, rel: 1e-14))
        #expect(Tolerance.isClose(r.relCiLow, 0.46493909837693675, rel: 1e-12))
        #expect(Tolerance.isClose(r.relCiHigh, 0.5350609016230632, rel: 1e-12))
        #expect(r.chanceToWin! > 0.999)
    }
}
