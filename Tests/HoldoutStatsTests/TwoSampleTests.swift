import Testing

@testable import HoldoutStats

struct ExpectedComparison: Decodable {
    let uplift_abs: Double
    let uplift_rel: Double?
    let ci_low: Double?
    let ci_high: Double?
    let rel_ci_low: Double?
    let rel_ci_high: Double?
    let p_value: Double
    let df: Double?
}

/// Checks every field of a comparison with relative tolerance `rel`, using the interval's
/// width as the floor for bounds near zero.
func expectMatches(_ r: Comparison, _ e: ExpectedComparison, rel: Double, _ label: String) {
    let width = max(abs((e.ci_high ?? e.uplift_abs) - (e.ci_low ?? e.uplift_abs)), abs(e.uplift_abs), 1e-300)
    #expect(Tolerance.isClose(r.upliftAbs, e.uplift_abs, rel: rel, floor: width), "\(label) uplift_abs \(r.upliftAbs as Any) vs \(e.uplift_abs)")
    #expect(Tolerance.isClose(r.ciLow, e.ci_low, rel: rel, floor: width), "\(label) ci_low \(r.ciLow as Any) vs \(e.ci_low as Any)")
    #expect(Tolerance.isClose(r.ciHigh, e.ci_high, rel: rel, floor: width), "\(label) ci_high \(r.ciHigh as Any) vs \(e.ci_high as Any)")
    #expect(Tolerance.isClose(r.pValue, e.p_value, rel: rel, floor: 1e-300), "\(label) p \(r.pValue as Any) vs \(e.p_value)")
    if let rel0 = e.uplift_rel {
        let relWidth = max(abs((e.rel_ci_high ?? rel0) - (e.rel_ci_low ?? rel0)), abs(rel0))
        #expect(Tolerance.isClose(r.upliftRel, rel0, rel: rel, floor: relWidth), "\(label) uplift_rel")
        if e.rel_ci_low != nil || e.rel_ci_high != nil {
            #expect(
                Tolerance.isClose(r.relCiLow, e.rel_ci_low, rel: rel, floor: relWidth), "\(label) rel_ci_low \(r.relCiLow as Any) vs \(e.rel_ci_low as Any)")
            #expect(
                Tolerance.isClose(r.relCiHigh, e.rel_ci_high, rel: rel, floor: relWidth),
                "\(label) rel_ci_high \(r.relCiHigh as Any) vs \(e.rel_ci_high as Any)")
        }
    }
    if let df = e.df {
        #expect(Tolerance.isClose(r.degreesOfFreedom, df, rel: rel), "\(label) df")
    }
}

@Suite("Two-sample comparisons agree with statsmodels and scipy")
struct TwoSampleTests {
    struct Arms<Arm: Decodable>: Decodable {
        let control: Arm
        let treatment: Arm
        let alpha: Double
        let alternative: String?
        let expected: ExpectedComparison
    }
    struct ProportionArm: Decodable { let n, conversions: Int }
    struct MeanArm: Decodable { let n: Int; let sum, sum_squares: Double }
    struct RatioArm: Decodable { let n: Int; let sum_num, sum_num_sq, sum_den, sum_den_sq, sum_num_den: Double }
    struct MultipleRow: Decodable { let p_values, holm, bh: [Double] }
    struct SRMRow: Decodable { let observed: [Int]; let weights: [Double]; let chi2, p_value: Double }
    struct NegativeControlRow: Decodable {
        struct Sequential: Decodable { let tuning, uplift_rel, rel_ci_low, rel_ci_high: Double }
        let control, treatment: MeanArm
        let alpha: Double
        let alternative: String
        let expected: ExpectedComparison
        let sequential: Sequential?
    }
    struct Table: Decodable {
        let proportion: [Arms<ProportionArm>]
        let mean: [Arms<MeanArm>]
        let ratio: [Arms<RatioArm>]
        let multiple_testing: [MultipleRow]
        let srm: [SRMRow]
        let negative_control: [NegativeControlRow]
    }

    let table: Table
    init() throws { table = try Fixture.load("comparisons") }

    func options(_ alpha: Double, _ alternative: String?) throws -> TestOptions {
        TestOptions(alpha: alpha, alternative: try #require(Alternative(rawValue: alternative ?? "two-sided")))
    }

    @Test("proportions: pooled z p-value (statsmodels proportions_ztest), Wald and delta-method intervals")
    func proportions() throws {
        #expect(table.proportion.count >= 100)
        for (i, row) in table.proportion.enumerated() {
            let r = try ProportionTest.compare(
                control: .init(n: row.control.n, conversions: row.control.conversions),
                treatment: .init(n: row.treatment.n, conversions: row.treatment.conversions),
                options: options(row.alpha, row.alternative))
            #expect(!r.insufficientData)
            expectMatches(r, row.expected, rel: 1e-9, "proportion[\(i)]")
        }
    }

    @Test("seed 001's example: 8/200 vs 45/800")
    func seedExample() throws {
        let r = try ProportionTest.compare(control: .init(n: 200, conversions: 8), treatment: .init(n: 800, conversions: 45))
        #expect(r.upliftAbs == 0.01625)
        #expect(abs(r.upliftRel! - 0.40625) < 1e-15)
        // The seed's example claims p = 0.032 and CI [0.002, 0.031]; the correct values are:
        #expect(abs(r.pValue! - 0.3588869344279092) < 1e-12)
        #expect(abs(r.ciLow! - -0.015253482302017216) < 1e-12)
    }

    @Test("means: Welch's t-test (scipy ttest_ind, equal_var=False)")
    func means() throws {
        for (i, row) in table.mean.enumerated() {
            let r = try WelchTest.compare(
                control: .init(n: row.control.n, sum: row.control.sum, sumSquares: row.control.sum_squares),
                treatment: .init(n: row.treatment.n, sum: row.treatment.sum, sumSquares: row.treatment.sum_squares),
                options: options(row.alpha, row.alternative))
            // Sums of squares lose digits for data with mean ≫ sd; those cases get 5e-9.
            let cv = row.control.sum / Double(row.control.n)
            let large = abs(cv) > 100
            expectMatches(r, row.expected, rel: large ? 5e-9 : 1e-9, "mean[\(i)]")
        }
    }

    @Test("ratio metrics by the delta method")
    func ratios() throws {
        for (i, row) in table.ratio.enumerated() {
            let c = row.control
            let t = row.treatment
            let r = try RatioTest.compare(
                control: .init(
                    n: c.n, sumNumerator: c.sum_num, sumNumeratorSquares: c.sum_num_sq, sumDenominator: c.sum_den, sumDenominatorSquares: c.sum_den_sq,
                    sumCrossProducts: c.sum_num_den),
                treatment: .init(
                    n: t.n, sumNumerator: t.sum_num, sumNumeratorSquares: t.sum_num_sq, sumDenominator: t.sum_den, sumDenominatorSquares: t.sum_den_sq,
                    sumCrossProducts: t.sum_num_den),
                options: options(row.alpha, nil))
            expectMatches(r, row.expected, rel: 1e-9, "ratio[\(i)]")
        }
    }

    @Test("negative control mean: the relative lift divides by |control| (scipy; gbstats PR #6658), fixed and always-valid")
    func negativeControl() throws {
        #expect(table.negative_control.count == 15)
        for (i, row) in table.negative_control.enumerated() {
            let c = MeanStatistic(n: row.control.n, sum: row.control.sum, sumSquares: row.control.sum_squares)
            let t = MeanStatistic(n: row.treatment.n, sum: row.treatment.sum, sumSquares: row.treatment.sum_squares)
            let r = try WelchTest.compare(control: c, treatment: t, options: options(row.alpha, row.alternative))
            #expect(c.mean < 0)
            #expect((r.upliftRel ?? 0).sign == (r.upliftAbs ?? 0).sign, "[\(i)] sign")
            expectMatches(r, row.expected, rel: 1e-9, "negative_control[\(i)]")
            guard let e = row.sequential else { continue }
            let s = try SequentialTest.compare(control: c, treatment: t, alpha: row.alpha, tuning: e.tuning)
            let width = e.rel_ci_high - e.rel_ci_low
            #expect(Tolerance.isClose(s.upliftRel, e.uplift_rel, rel: 1e-9, floor: width), "[\(i)] sequential uplift_rel")
            #expect(Tolerance.isClose(s.relCiLow, e.rel_ci_low, rel: 1e-9, floor: width), "[\(i)] sequential rel_ci_low \(s.relCiLow!) vs \(e.rel_ci_low)")
            #expect(Tolerance.isClose(s.relCiHigh, e.rel_ci_high, rel: 1e-9, floor: width), "[\(i)] sequential rel_ci_high")
        }
    }

    @Test("control −10, treatment −5 is +50%, and negating the data negates the relative lift and its interval")
    func negativeControlExample() throws {
        // n = 1000 per arm, variance exactly 16 in each: relative se = √(16/1000/10² + 5²·16/1000/10⁴)
        // = √0.0002; Welch df = 1998, scipy t.ppf(0.975, 1998) = 1.9611520148367054, so the interval is
        // 0.5 ± 1.9611520148367054·0.01414213562373095 = [0.4722651222274261, 0.5277348777725739].
        let c = MeanStatistic(n: 1000, sum: -10_000, sumSquares: 115_984)
        let t = MeanStatistic(n: 1000, sum: -5_000, sumSquares: 40_984)
        let r = try WelchTest.compare(control: c, treatment: t)
        #expect(r.upliftAbs == 5)
        #expect(r.upliftRel == 0.5)
        #expect(Tolerance.isClose(r.relativeStandardError, 0.01414213562373095, rel: 1e-14))
        #expect(Tolerance.isClose(r.relCiLow, 0.4722651222274261, rel: 1e-12))
        #expect(Tolerance.isClose(r.relCiHigh, 0.5277348777725739, rel: 1e-12))
        let negated = try WelchTest.compare(
            control: .init(n: 1000, sum: 10_000, sumSquares: 115_984), treatment: .init(n: 1000, sum: 5_000, sumSquares: 40_984))
        #expect(negated.upliftRel == -0.5)
        #expect(negated.relativeStandardError == r.relativeStandardError)
        #expect(negated.relCiLow == -r.relCiHigh! && negated.relCiHigh == -r.relCiLow!)
        // A ratio metric with the same means per unit (denominator 1) gives the same relative lift.
        let ratio = try RatioTest.compare(
            control: .init(
                n: 1000, sumNumerator: -10_000, sumNumeratorSquares: 115_984, sumDenominator: 1000, sumDenominatorSquares: 1000, sumCrossProducts: -10_000),
            treatment: .init(
                n: 1000, sumNumerator: -5_000, sumNumeratorSquares: 40_984, sumDenominator: 1000, sumDenominatorSquares: 1000, sumCrossProducts: -5_000))
        #expect(ratio.upliftRel == 0.5)
        #expect(Tolerance.isClose(ratio.relativeStandardError, 0.01414213562373095, rel: 1e-12))  // d constant: Var(R) = s²_m/n
    }

    @Test("Holm and Benjamini–Hochberg match statsmodels multipletests")
    func multipleTesting() {
        for row in table.multiple_testing {
            let holm = MultipleTesting.holm(row.p_values)
            let bh = MultipleTesting.benjaminiHochberg(row.p_values)
            for i in row.p_values.indices {
                #expect(abs(holm[i] - row.holm[i]) <= 1e-15, "holm \(row.p_values)")
                #expect(abs(bh[i] - row.bh[i]) <= 1e-15, "bh \(row.p_values)")
            }
        }
    }

    @Test("SRM chi-squared matches scipy.stats.chisquare")
    func srm() throws {
        for row in table.srm {
            let r = try SampleRatioMismatch(observed: row.observed, weights: row.weights)
            #expect(Tolerance.isClose(r.chi2, row.chi2, rel: 1e-10, floor: 1e-12), "chi2 \(row.observed)")
            #expect(Tolerance.isCloseProbability(r.pValue, row.p_value), "p \(row.observed): \(r.pValue) vs \(row.p_value)")
            #expect(r.isDetected == (row.p_value < 0.001))
        }
    }

    @Test("K arms: every treatment against control, adjusted p-values aligned")
    func multiArm() throws {
        let control = ProportionStatistic(n: 10_000, conversions: 500)
        let arms = [
            ProportionStatistic(n: 10_000, conversions: 540), ProportionStatistic(n: 10_000, conversions: 610),
            ProportionStatistic(n: 10_000, conversions: 505),
        ]
        let all = try MultiArmComparison(control: control, treatments: arms) { (c, t) throws(StatsError) in
            try ProportionTest.compare(control: c, treatment: t)
        }
        let raw = all.comparisons.map { $0.pValue! }
        #expect(all.holm.map { $0! } == MultipleTesting.holm(raw))
        #expect(all.benjaminiHochberg.map { $0! } == MultipleTesting.benjaminiHochberg(raw))
        #expect(all.holm[1]! == min(1, 3 * raw[1]))  // the smallest p is multiplied by m
    }
}
