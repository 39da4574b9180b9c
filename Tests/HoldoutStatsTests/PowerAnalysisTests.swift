import Testing

@testable import HoldoutStats

@Suite("Power and sample size agree with the closed form")
struct PowerAnalysisTests {
    struct Expected: Decodable { let control_size, treatment_size, total_sample_size: Int; let n_exact: Double }
    struct ProportionRow: Decodable {
        let baseline, mde: Double
        let relative: Bool
        let alpha, power, treatment_rate, variance_reduction: Double
        let expected: Expected
    }
    struct MDERow: Decodable {
        struct E: Decodable { let mde_abs: Double }
        let baseline: Double
        let total_sample_size: Double
        let alpha, power, treatment_rate, variance_reduction: Double
        let expected: E
    }
    struct MeanRow: Decodable {
        let std_dev, mde, alpha, power, treatment_rate, variance_reduction: Double
        let expected: Expected
    }
    struct SeedRow: Decodable { let baseline, mde: Double; let total_sample_size, seed_claimed: Int }
    struct Table: Decodable {
        let proportion: [ProportionRow]
        let proportion_mde: [MDERow]
        let mean: [MeanRow]
        let seed_table: [SeedRow]
    }

    let table: Table
    init() throws { table = try Fixture.load("power") }

    @Test("proportion sample sizes, unequal allocation and variance reduction")
    func proportions() throws {
        for row in table.proportion {
            let design = PowerAnalysis.Design(
                alpha: row.alpha, power: row.power, treatmentShare: row.treatment_rate, varianceReduction: row.variance_reduction)
            let plan = try PowerAnalysis.proportionSampleSize(baseline: row.baseline, mde: row.mde, relative: row.relative, design: design)
            #expect(Tolerance.isClose(plan.exactTotal, row.expected.n_exact, rel: 1e-12), "N for \(row.baseline)+\(row.mde)")
            #expect(plan.controlSize == row.expected.control_size)
            #expect(plan.treatmentSize == row.expected.treatment_size)
            #expect(plan.totalSampleSize == row.expected.total_sample_size)
        }
    }

    @Test("the seed's table is wrong; ours is the formula's")
    func seedTable() throws {
        for row in table.seed_table {
            let plan = try PowerAnalysis.proportionSampleSize(baseline: row.baseline, mde: row.mde)
            #expect(plan.totalSampleSize == row.total_sample_size)
            #expect(plan.totalSampleSize > 3 * row.seed_claimed)
        }
        // 5% → 6% at 80% power needs 16,316 units, not 3,142.
        #expect(try PowerAnalysis.proportionSampleSize(baseline: 0.05, mde: 0.01).totalSampleSize == 16_316)
    }

    @Test("MDE for a given N inverts the sample-size formula")
    func proportionMDE() throws {
        for row in table.proportion_mde {
            let design = PowerAnalysis.Design(
                alpha: row.alpha, power: row.power, treatmentShare: row.treatment_rate, varianceReduction: row.variance_reduction)
            let mde = try PowerAnalysis.proportionMDE(baseline: row.baseline, totalSampleSize: row.total_sample_size, design: design)
            #expect(Tolerance.isClose(mde, row.expected.mde_abs, rel: 1e-9), "MDE \(mde) vs \(row.expected.mde_abs)")
        }
    }

    @Test("mean sample sizes and the closed-form MDE")
    func means() throws {
        for row in table.mean {
            let design = PowerAnalysis.Design(
                alpha: row.alpha, power: row.power, treatmentShare: row.treatment_rate, varianceReduction: row.variance_reduction)
            let plan = try PowerAnalysis.meanSampleSize(standardDeviation: row.std_dev, mde: row.mde, design: design)
            #expect(Tolerance.isClose(plan.exactTotal, row.expected.n_exact, rel: 1e-12))
            #expect(plan.totalSampleSize == row.expected.total_sample_size)
            let back = try PowerAnalysis.meanMDE(standardDeviation: row.std_dev, totalSampleSize: plan.exactTotal, design: design)
            #expect(Tolerance.isClose(back, row.mde, rel: 1e-12))
        }
    }

    @Test("invalid designs are rejected with the field named")
    func invalid() {
        #expect(throws: StatsError.self) { try PowerAnalysis.proportionSampleSize(baseline: 1.2, mde: 0.01) }
        #expect(throws: StatsError.self) { try PowerAnalysis.proportionSampleSize(baseline: 0.95, mde: 0.1) }
        #expect(throws: StatsError.self) {
            try PowerAnalysis.proportionSampleSize(baseline: 0.05, mde: 0.01, design: .init(treatmentShare: 1))
        }
        do {
            _ = try PowerAnalysis.proportionSampleSize(baseline: 0.05, mde: 0.01, design: .init(varianceReduction: 1))
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "variance_reduction")
        }
    }

    @Test(
        "power at or below α/2 is refused, naming power (α = 0.05: 0.025 gave 0 units, 0.01 more than 0.02)",
        arguments: [(0.05, 0.025), (0.05, 0.02), (0.05, 0.01), (0.05, 1e-9), (0.1, 0.05), (0.01, 0.004)])
    func powerAtMostHalfAlpha(alpha: Double, power: Double) {
        let design = PowerAnalysis.Design(alpha: alpha, power: power)
        let calls: [(String, () throws -> Void)] = [
            ("proportionSampleSize", { _ = try PowerAnalysis.proportionSampleSize(baseline: 0.05, mde: 0.01, design: design) }),
            ("proportionMDE", { _ = try PowerAnalysis.proportionMDE(baseline: 0.05, totalSampleSize: 20_000, design: design) }),
            ("meanSampleSize", { _ = try PowerAnalysis.meanSampleSize(standardDeviation: 40, mde: 2, design: design) }),
            ("meanMDE", { _ = try PowerAnalysis.meanMDE(standardDeviation: 40, totalSampleSize: 20_000, design: design) }),
        ]
        for (name, call) in calls {
            let error = #expect(throws: StatsError.self, "\(name) at power \(power), α = \(alpha)") { try call() }
            #expect(error?.code == .invalidInput)
            #expect(error?.field == "power")
            #expect(error?.message.hasPrefix("power must be greater than alpha/2") == true, "\(error?.message ?? "")")
        }
    }

    @Test("power just above α/2 still plans, by the closed form (scipy z_0.975 and z_0.03)")
    func powerJustAboveHalfAlpha() throws {
        // scipy.stats.norm.ppf(0.975) = 1.959963984540054, norm.ppf(0.03) = -1.880793608151251:
        // N = (z_α/2 + z_power)²·σ²·4/δ² = 2.5071793990178923 for σ = 1, δ = 0.1; the MDE with
        // 1,000 units is (z_α/2 + z_power)·√(4/1000) = 0.005007174252028675.
        let design = PowerAnalysis.Design(alpha: 0.05, power: 0.03)
        let plan = try PowerAnalysis.meanSampleSize(standardDeviation: 1, mde: 0.1, design: design)
        #expect(Tolerance.isClose(plan.exactTotal, 2.5071793990178923, rel: 1e-12), "\(plan.exactTotal)")
        let mde = try PowerAnalysis.meanMDE(standardDeviation: 1, totalSampleSize: 1000, design: design)
        #expect(Tolerance.isClose(mde, 0.005007174252028675, rel: 1e-12), "\(mde)")
    }

    @Test("a sample size beyond 1e15 units is a no_solution error, not an integer overflow")
    func hugePlans() {
        for (mde, share) in [(1e-10, 0.5), (0.01, 0.9999999999999999), (1e-200, 0.5)] {
            #expect(throws: StatsError.self) {
                try PowerAnalysis.proportionSampleSize(baseline: 0.5, mde: mde, design: .init(treatmentShare: share))
            }
            #expect(throws: StatsError.self) {
                try PowerAnalysis.meanSampleSize(standardDeviation: 1, mde: mde, design: .init(treatmentShare: share))
            }
        }
    }
}
