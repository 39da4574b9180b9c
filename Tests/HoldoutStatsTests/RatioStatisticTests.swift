import Testing

@testable import HoldoutStats

/// Ratio sums that no data can produce are refused with the arm and field named, as for means;
/// sums of real data, including the boundary cases of zero spread and perfect correlation, pass.
@Suite("Ratio statistics refuse impossible sums")
struct RatioStatisticTests {
    /// A consistent arm of 10 units: centred sums C_mm = 1010 − 100²/10 = 10, C_dd = 42.5 − 20²/10 = 2.5,
    /// C_md = 202 − 100·20/10 = 2.
    static let valid = RatioStatistic(
        n: 10, sumNumerator: 100, sumNumeratorSquares: 1010, sumDenominator: 20, sumDenominatorSquares: 42.5,
        sumCrossProducts: 202)

    static func expectRefused(_ treatment: RatioStatistic, field: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let r = try RatioTest.compare(control: valid, treatment: treatment)
            Issue.record("expected \(field) to be refused, got p = \(r.pValue as Any)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .invalidInput, sourceLocation: sourceLocation)
            #expect(error.field == field, "field \(error.field ?? "nil"): \(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains("cannot come from real data"), sourceLocation: sourceLocation)
        }
    }

    @Test("Σm² below (Σm)²/n: 10 units summing to 100 need Σm² ≥ 1000")
    func numeratorSquares() {
        var t = Self.valid
        t.sumNumeratorSquares = 500
        Self.expectRefused(t, field: "treatment.sum_num_sq")
        // 1e-6 below the bound is far outside rounding (the tolerance is 1e-9 relative).
        t.sumNumeratorSquares = 1000 * (1 - 1e-6)
        Self.expectRefused(t, field: "treatment.sum_num_sq")
    }

    @Test("Σd² below (Σd)²/n: 10 units summing to 20 need Σd² ≥ 40")
    func denominatorSquares() {
        var t = Self.valid
        t.sumDenominatorSquares = 30
        Self.expectRefused(t, field: "treatment.sum_den_sq")
    }

    @Test("Σm·d outside Cauchy–Schwarz: |Σm·d − Σm·Σd/n| ≤ √(C_mm·C_dd) = 5")
    func crossProducts() {
        // C_mm = 10, C_dd = 2.5, so the centred cross product lies in [−5, 5], Σm·d in [195, 205].
        for cross in [205.01, 194.99, 300, -50] {
            var t = Self.valid
            t.sumCrossProducts = cross
            Self.expectRefused(t, field: "treatment.sum_num_den")
        }
        for cross in [205.0, 195.0, 200.0] {
            var t = Self.valid
            t.sumCrossProducts = cross
            #expect(throws: Never.self) { try t.validate(arm: "treatment") }
        }
    }

    @Test("the control arm is named too, and an empty arm must have zero sums")
    func controlAndEmpty() throws {
        var c = Self.valid
        c.sumCrossProducts = 300
        let error = #expect(throws: StatsError.self) { try RatioTest.compare(control: c, treatment: Self.valid) }
        #expect(error?.field == "control.sum_num_den")
        let empty = RatioStatistic(n: 0, sumNumerator: 5, sumNumeratorSquares: 25, sumDenominator: 1, sumDenominatorSquares: 1, sumCrossProducts: 5)
        let emptyError = #expect(throws: StatsError.self) { try empty.validate(arm: "control") }
        #expect(emptyError?.field == "control.n")
    }

    @Test("sums of real data pass at the boundaries: zero spread, perfect correlation, many merged shards")
    func realDataPasses() throws {
        // Zero spread: centred sums are 0 in exact arithmetic and a few ulps either side in doubles.
        var constant = RatioStatistic()
        for _ in 0..<100_000 { constant.add(numerator: 0.1, denominator: 0.7) }
        try constant.validate(arm: "control")
        // Perfect correlation (m = 3d + 0.1): C_md² = C_mm·C_dd exactly, up to rounding.
        var linear = RatioStatistic()
        var shards = [RatioStatistic](repeating: RatioStatistic(), count: 7)
        for i in 0..<50_000 {
            let d = 1 + Double(i % 97) * 0.013
            linear.add(numerator: 3 * d + 0.1, denominator: d)
            shards[i % 7].add(numerator: -(3 * d + 0.1), denominator: d)
        }
        try linear.validate(arm: "treatment")
        try shards.reduce(RatioStatistic(), +).validate(arm: "treatment")
        #expect(linear.varianceOfRatio >= 0 && linear.varianceOfRatio.isFinite)
    }

    @Test("the committed reference ratio cases (numpy.cov from raw data) all validate")
    func fixtureCasesValidate() throws {
        let table = try Fixture.load("comparisons", as: TwoSampleTests.Table.self)
        for row in table.ratio {
            for a in [row.control, row.treatment] {
                try RatioStatistic(
                    n: a.n, sumNumerator: a.sum_num, sumNumeratorSquares: a.sum_num_sq, sumDenominator: a.sum_den,
                    sumDenominatorSquares: a.sum_den_sq, sumCrossProducts: a.sum_num_den
                ).validate(arm: "arm")
            }
        }
    }
}
