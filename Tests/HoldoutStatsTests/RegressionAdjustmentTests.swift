import Testing

@testable import HoldoutStats

@Suite("CUPED equals the OLS treatment coefficient (statsmodels)")
struct RegressionAdjustmentTests {
    struct Arm: Decodable {
        let n: Int
        let sum_y, sum_yy: Double
        let sum_x, sum_xy: [Double]
        let sum_xx: [[Double]]
        func statistic() throws -> RegressionStatistic {
            try RegressionStatistic(n: n, sumY: sum_y, sumYY: sum_yy, sumX: sum_x, sumXY: sum_xy, sumXX: sum_xx)
        }
    }
    struct Expected: Decodable {
        let ols_treatment_coef: Double
        let theta: [Double]
        let adjusted_control_mean, adjusted_treatment_mean, std_error, variance_reduction: Double
        let ci_low, ci_high, p_value: Double
        let uplift_rel, rel_ci_low, rel_ci_high: Double
    }
    struct Case: Decodable { let control, treatment: Arm; let alpha: Double; let expected: Expected }

    @Test("point estimate, θ, standard error, interval and variance reduction for k = 1…12")
    func cases() throws {
        let cases: [Case] = try Fixture.load("cuped")
        #expect(cases.contains { $0.expected.theta.count == 12 })
        // Negative adjusted control means with a rise and with a fall: the relative lift keeps the sign.
        #expect(cases.contains { $0.expected.adjusted_control_mean < 0 && $0.expected.uplift_rel > 0 })
        #expect(cases.contains { $0.expected.adjusted_control_mean < 0 && $0.expected.uplift_rel < 0 })
        for (i, c) in cases.enumerated() {
            let r = try RegressionAdjustment.compare(control: c.control.statistic(), treatment: c.treatment.statistic(), options: .init(alpha: c.alpha))
            let e = c.expected
            let width = e.ci_high - e.ci_low
            #expect(
                Tolerance.isClose(r.comparison.upliftAbs, e.ols_treatment_coef, rel: 1e-9, floor: width * 1e-3),
                "case \(i) estimate \(r.comparison.upliftAbs!) vs OLS \(e.ols_treatment_coef)")
            for j in e.theta.indices {
                #expect(Tolerance.isClose(r.theta[j], e.theta[j], rel: 1e-8, floor: 1e-6), "case \(i) θ[\(j)]")
            }
            #expect(Tolerance.isClose(r.comparison.controlMean, e.adjusted_control_mean, rel: 1e-9, floor: width))
            #expect(Tolerance.isClose(r.comparison.treatmentMean, e.adjusted_treatment_mean, rel: 1e-9, floor: width))
            #expect(Tolerance.isClose(r.comparison.standardError, e.std_error, rel: 1e-9), "case \(i) se")
            #expect(Tolerance.isClose(r.varianceReduction, e.variance_reduction, rel: 1e-8), "case \(i) reduction")
            #expect(Tolerance.isClose(r.comparison.ciLow, e.ci_low, rel: 1e-9, floor: width), "case \(i) ci_low")
            #expect(Tolerance.isClose(r.comparison.ciHigh, e.ci_high, rel: 1e-9, floor: width), "case \(i) ci_high")
            #expect(Tolerance.isClose(r.comparison.pValue, e.p_value, rel: 1e-8, floor: 1e-300), "case \(i) p \(r.comparison.pValue!) vs \(e.p_value)")
            // Relative lift (adjusted t − adjusted c)/|adjusted c|, delta method on the adjusted means.
            let relWidth = e.rel_ci_high - e.rel_ci_low
            #expect(
                Tolerance.isClose(r.comparison.upliftRel, e.uplift_rel, rel: 1e-9, floor: relWidth),
                "case \(i) uplift_rel \(r.comparison.upliftRel!) vs \(e.uplift_rel)")
            #expect(Tolerance.isClose(r.comparison.relCiLow, e.rel_ci_low, rel: 1e-9, floor: relWidth), "case \(i) rel_ci_low")
            #expect(Tolerance.isClose(r.comparison.relCiHigh, e.rel_ci_high, rel: 1e-9, floor: relWidth), "case \(i) rel_ci_high")
        }
    }

    @Test("a constant covariate and a collinear pair are named in the error")
    func singular() {
        var control = RegressionStatistic(covariateCount: 2)
        var treatment = RegressionStatistic(covariateCount: 2)
        for i in 0..<100 {
            let x = Double(i % 7)
            control.add(y: x + Double(i % 3), x: [x, 2 * x])
            treatment.add(y: x + Double(i % 5), x: [x, 2 * x])
        }
        do {
            _ = try RegressionAdjustment.compare(control: control, treatment: treatment, covariateNames: ["visits", "visits_x2"])
            Issue.record("expected a singular-covariates error")
        } catch {
            #expect(error.code == .singularCovariates)
            #expect(error.message.contains("visits_x2"))
            #expect(error.message.contains("collinear"))
        }
        var c1 = RegressionStatistic(covariateCount: 1)
        var t1 = RegressionStatistic(covariateCount: 1)
        for i in 0..<50 {
            c1.add(y: Double(i), x: [3])
            t1.add(y: Double(i + 1), x: [3])
        }
        #expect(throws: StatsError.self) { try RegressionAdjustment.compare(control: c1, treatment: t1) }
    }
}
