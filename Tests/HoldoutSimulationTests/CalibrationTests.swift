import HoldoutSimulation
import Testing

/// Modest Monte-Carlo calibrations with fixed seeds: each assertion is against the nominal level
/// with a tolerance of 3 Monte-Carlo standard errors (false alarm rate ≈ 0.3% per check, and
/// the seeds are fixed, so the outcome is deterministic).
@Suite("Calibration of the estimators")
struct CalibrationTests {
    static func rows(
        _ scenario: String, _ estimators: [Estimator], runs: Int, n: Int, looks: Int = 1, seed: UInt64 = 20_260_101
    ) throws -> [String: Calibration.Row] {
        let calibration = try Calibration(
            config: try Scenario.config(scenario), estimators: estimators, settings: .init(runs: runs, visitorsPerRun: n, seed: seed, looks: looks))
        return Dictionary(uniqueKeysWithValues: try calibration.run().map { ($0.estimator, $0) })
    }

    @Test("ztest, welch and cuped cover the true effect 95% of the time (within 3 MC standard errors), with heterogeneous effects")
    func coverage() throws {
        for scenario in ["email-holdout", "null"] {
            let rows = try Self.rows(scenario, [.ztest, .welch, .cuped], runs: 600, n: 4000)
            for estimator in ["ztest", "welch", "cuped"] {
                let row = try #require(rows[estimator])
                #expect(row.analysed == 600)
                #expect(abs(row.coverage - 0.95) <= 3 * (0.95 * 0.05 / 600).squareRoot(), "\(scenario)/\(estimator): coverage \(row.coverage)")
                // Six correlated bias checks: 4 SE keeps the family-wise false-alarm rate below 0.05%.
                #expect(abs(row.bias) <= 4 * row.biasSE + 1e-12, "\(scenario)/\(estimator): bias \(row.bias) ± \(row.biasSE)")
            }
            // CUPED uses pre-treatment features: it is never worse than Welch in RMSE by more than noise.
            #expect(rows["cuped"]!.rmse <= rows["welch"]!.rmse * 1.02)
        }
    }

    @Test("revenue: welch and cuped cover the hurdle metric's true effect")
    func revenueCoverage() throws {
        let rows = try Self.rows("revenue-hurdle", [.welch, .cuped], runs: 400, n: 4000)
        for estimator in ["welch", "cuped"] {
            let row = try #require(rows[estimator])
            #expect(abs(row.coverage - 0.95) <= 3 * (0.95 * 0.05 / 400).squareRoot(), "\(estimator): coverage \(row.coverage)")
        }
        #expect(!rows["welch"]!.isNull)
    }

    @Test("20 looks on null: the sequential test keeps Type I ≤ 5% + 3 SE; the naive z-test exceeds 10%")
    func peeking() throws {
        let rows = try Self.rows("null", [.ztest, .sequential], runs: 600, n: 4000, looks: 20)
        let sequential = try #require(rows["sequential"])
        let naive = try #require(rows["ztest"])
        #expect(sequential.isNull && naive.isNull)
        #expect(sequential.rejectionRate <= 0.05 + 3 * (0.05 * 0.95 / 600).squareRoot(), "sequential Type I \(sequential.rejectionRate)")
        #expect(naive.rejectionRate > 0.10, "naive z-test Type I with 20 looks \(naive.rejectionRate)")
        // One look: the z-test is at its nominal level.
        let single = try #require(try Self.rows("null", [.ztest], runs: 600, n: 4000)["ztest"])
        #expect(abs(single.rejectionRate - 0.05) <= 3 * (0.05 * 0.95 / 600).squareRoot(), "one look Type I \(single.rejectionRate)")
    }

    @Test("three arms: one row per contrast; settings and estimators are validated")
    func validation() throws {
        let calibration = try Calibration(
            config: try Scenario.config("three-arm"), estimators: [.welch], settings: .init(runs: 20, visitorsPerRun: 600, seed: 1))
        #expect(try calibration.run().map(\.contrast) == ["treatment_1", "treatment_2"])
        let hurdle = try Scenario.config("revenue-hurdle")
        #expect(throws: SimulationError.self) { try Calibration(config: hurdle, estimators: [.ztest], settings: .init(runs: 10, visitorsPerRun: 100, seed: 1)) }
        #expect(throws: SimulationError.self) { try Calibration(config: hurdle, estimators: [.welch], settings: .init(runs: 1, visitorsPerRun: 100, seed: 1)) }
        #expect(throws: SimulationError.self) {
            try Calibration(config: hurdle, estimators: [.welch], settings: .init(runs: 10, visitorsPerRun: 100, seed: 1, looks: 101))
        }
        #expect(throws: SimulationError.self) {
            try Calibration(config: hurdle, estimators: [.welch], settings: .init(runs: 10, visitorsPerRun: 100, seed: 1, alpha: 1))
        }
    }

    @Test("runs are reproducible: the same seed gives the same rows")
    func reproducible() throws {
        let a = try Self.rows("null", [.welch], runs: 30, n: 500, seed: 9)
        let b = try Self.rows("null", [.welch], runs: 30, n: 500, seed: 9)
        #expect(a == b)
        #expect(Calibration.runSeed(9, run: 0) != Calibration.runSeed(9, run: 1))
    }
}
