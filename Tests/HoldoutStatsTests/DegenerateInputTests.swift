import Testing

@testable import HoldoutStats

/// Degenerate inputs return a flagged result with a reason, never NaN or infinity.
@Suite("Degenerate inputs are flagged, never NaN")
struct DegenerateInputTests {
    static func allFinite(_ c: Comparison) -> Bool {
        let values: [Double?] = [
            c.controlMean, c.treatmentMean, c.upliftAbs, c.upliftRel, c.ciLow, c.ciHigh, c.relCiLow, c.relCiHigh,
            c.pValue, c.standardError, c.relativeStandardError, c.degreesOfFreedom, c.chanceToWin, c.expectedLoss,
        ]
        return values.allSatisfy { $0?.isFinite ?? true }
    }

    @Test(
        "proportions",
        arguments: [
            (ProportionStatistic(n: 0, conversions: 0), ProportionStatistic(n: 100, conversions: 5), "control has no units"),
            (ProportionStatistic(n: 100, conversions: 0), ProportionStatistic(n: 100, conversions: 0), "no unit converted"),
            (ProportionStatistic(n: 100, conversions: 100), ProportionStatistic(n: 50, conversions: 50), "every unit converted"),
            (ProportionStatistic(n: 100, conversions: 0), ProportionStatistic(n: 100, conversions: 7), "control conversion rate is zero"),
            (ProportionStatistic(n: 100, conversions: 0), ProportionStatistic(n: 100, conversions: 100), "zero variance"),
        ])
    func proportions(control: ProportionStatistic, treatment: ProportionStatistic, reason: String) throws {
        let r = try ProportionTest.compare(control: control, treatment: treatment)
        #expect(r.insufficientData)
        #expect(r.reason?.contains(reason) == true, "reason: \(r.reason ?? "nil")")
        #expect(Self.allFinite(r))
        for method in 0..<2 {
            let s = method == 0 ? try SequentialTest.compare(control: control, treatment: treatment) : try BayesianTest.summarize(r)
            #expect(Self.allFinite(s))
        }
    }

    @Test("a zero control rate still gives the absolute lift and its test")
    func zeroBaseline() throws {
        let r = try ProportionTest.compare(control: .init(n: 1000, conversions: 0), treatment: .init(n: 1000, conversions: 12))
        #expect(r.upliftAbs == 0.012)
        #expect(r.upliftRel == nil)
        #expect(r.pValue != nil && r.ciLow != nil)
    }

    @Test(
        "means",
        arguments: [
            (MeanStatistic(n: 1, sum: 3, sumSquares: 9), MeanStatistic(n: 10, sum: 30, sumSquares: 100)),
            (MeanStatistic(n: 10, sum: 30, sumSquares: 90), MeanStatistic(n: 10, sum: 40, sumSquares: 160)),
            (MeanStatistic(n: 10, sum: 0, sumSquares: 4), MeanStatistic(n: 10, sum: 5, sumSquares: 9)),
            (MeanStatistic(), MeanStatistic()),
        ])
    func means(control: MeanStatistic, treatment: MeanStatistic) throws {
        let r = try WelchTest.compare(control: control, treatment: treatment)
        #expect(r.insufficientData)
        #expect(r.reason != nil)
        #expect(Self.allFinite(r))
        #expect(Self.allFinite(try SequentialTest.compare(control: control, treatment: treatment)))
        #expect(Self.allFinite(try BayesianTest.summarize(r)))
    }

    @Test("ratios with a zero denominator")
    func ratios() throws {
        var c = RatioStatistic()
        var t = RatioStatistic()
        for i in 0..<10 {
            c.add(numerator: Double(i), denominator: 0)
            t.add(numerator: Double(i), denominator: 1)
        }
        let r = try RatioTest.compare(control: c, treatment: t)
        #expect(r.insufficientData)
        #expect(Self.allFinite(r))
    }

    @Test("invalid counts throw with the field named")
    func invalid() {
        do {
            _ = try ProportionTest.compare(control: .init(n: 10, conversions: 11), treatment: .init(n: 10, conversions: 1))
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "control.conversions")
            #expect(error.message.contains("cannot exceed"))
        }
        #expect(throws: StatsError.self) { try ProportionTest.compare(control: .init(n: -1, conversions: 0), treatment: .init(n: 1, conversions: 0)) }
        #expect(throws: StatsError.self) {
            try ProportionTest.compare(control: .init(n: 10, conversions: 1), treatment: .init(n: 10, conversions: 1), options: .init(alpha: 1.5))
        }
        #expect(throws: StatsError.self) { try SampleRatioMismatch(observed: [10, 20], weights: [0.5, 0.6]) }
        #expect(throws: StatsError.self) { try SampleRatioMismatch(observed: [10], weights: [1]) }
        #expect(throws: StatsError.self) { try SampleRatioMismatch(observed: [10, -1], weights: [0.5, 0.5]) }
    }

    @Test("one-sided intervals leave the unbounded side empty")
    func oneSided() throws {
        let c = ProportionStatistic(n: 5000, conversions: 250)
        let t = ProportionStatistic(n: 5000, conversions: 300)
        let greater = try ProportionTest.compare(control: c, treatment: t, options: .init(alternative: .greater))
        #expect(greater.ciHigh == nil && greater.ciLow != nil)
        let less = try ProportionTest.compare(control: c, treatment: t, options: .init(alternative: .less))
        #expect(less.ciLow == nil && less.ciHigh != nil)
        let two = try ProportionTest.compare(control: c, treatment: t)
        #expect(abs(greater.pValue! - two.pValue! / 2) < 1e-15)
        #expect(abs(less.pValue! - (1 - two.pValue! / 2)) < 1e-12)
    }
}
