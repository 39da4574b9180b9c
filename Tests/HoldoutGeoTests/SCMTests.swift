import Foundation
import Testing

@testable import HoldoutGeo

@Suite("Synthetic control with a conformal test")
struct SCMTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            struct SCM: Decodable {
                struct RidgeCV: Decodable {
                    let largest_eigenvalue: Double
                    let holdout_days: Int
                    let mean_errors: [Double]
                    let bound: Double
                    let lambda: Double
                    let index: Int
                }
                let donors: [String]
                let weights: [Double]
                let objective: Double
                let ridge_cv: RidgeCV
            }
            let name, panel: String
            let assignment: [String: [String]]
            let periods: TBRTests.Reference.Case.Periods
            let scm: SCM
        }
        let cases: [Case]
    }

    /// The pre-period simplex fit against scipy's SLSQP (`Scripts/reference/geo_reference.py`):
    /// our objective is no worse than SLSQP's (1e-9 relative), and where the problem is
    /// overdetermined (100 pre days, 12 donors) the weights agree to 1e-5.
    @Test("simplex weights agree with scipy SLSQP", arguments: ["effect_cooldown", "null_variable_cost", "salesandcost"])
    func weights(caseName: String) throws {
        let reference: Reference = try Fixture.load("geo_reference")
        let c = try #require(reference.cases.first { $0.name == caseName })
        let panel = try Fixture.panel(c.panel)
        let periods = try TBRTests.periods(c.periods, cooldown: false)
        let start = panel.firstDay.distance(to: periods.preStart)
        let count = periods.preStart.distance(to: periods.testStart)
        func series(_ geo: String) throws -> [Double] {
            let g = try #require(panel.position(of: geo))
            return (start..<(start + count)).map { panel.response(geo: g, day: $0) }
        }
        var y = [Double](repeating: 0, count: count)
        for geo in c.assignment["treatment"]! { for (t, v) in try series(geo).enumerated() { y[t] += v } }
        let ym = y.reduce(0, +) / Double(count)
        let donors = try c.scm.donors.map { geo -> [Double] in
            let s = try series(geo)
            let m = s.reduce(0, +) / Double(count)
            return s.map { $0 / m }
        }
        let model = SyntheticControl(donors: donors, rows: Array(0..<count), ridge: nil)
        let target = y.map { $0 / ym }
        let w = model.weights(target: target).augmented
        #expect(w.allSatisfy { $0 >= 0 } && abs(w.reduce(0, +) - 1) < 1e-12)
        let objective = (0..<count).reduce(0) { $0 + pow(target[$1] - model.predict(w, $1), 2) }
        #expect(objective <= c.scm.objective * (1 + 1e-9) + 1e-15, "\(caseName): objective \(objective) vs SLSQP \(c.scm.objective)")
        if caseName == "effect_cooldown" {
            for (mine, theirs) in zip(w, c.scm.weights) { #expect(abs(mine - theirs) < 1e-5, "weights \(w) vs \(c.scm.weights)") }
        }
    }

    /// The ridge λ that `--augment` picks, against the same rule written with numpy/scipy
    /// (`Scripts/reference/geo_reference.py`, `ridge_cv`: SLSQP for the simplex fits, `eigvalsh`
    /// for the grid, `numpy.linalg.solve` for the augmentation) on the cases whose fits have more
    /// days than donors (where the simplex weights are unique, so two solvers must agree): the
    /// grid to 1e-9, every λ's mean held-out squared error to 1e-5 relative, the same choice.
    @Test("the cross-validated ridge λ (augsynth's rule) agrees with numpy/scipy", arguments: ["effect_cooldown", "effect_variable_cost"])
    func crossValidatedRidge(caseName: String) throws {
        let reference: Reference = try Fixture.load("geo_reference")
        let c = try #require(reference.cases.first { $0.name == caseName })
        let r = c.scm.ridge_cv
        let panel = try Fixture.panel(c.panel)
        let periods = try TBRTests.periods(c.periods, cooldown: false)
        let assignment = GeoAssignment(control: c.assignment["control"]!, treatment: c.assignment["treatment"]!)
        let cv = try GeoAnalysis.ridgeCrossValidation(panel: panel, assignment: assignment, periods: periods)
        #expect(cv.grid.count == 21 && cv.meanErrors.count == 21)
        for (k, lambda) in cv.grid.enumerated() {
            let expected = r.largest_eigenvalue * pow(10, -0.4 * Double(k))
            #expect(abs(lambda - expected) <= 1e-9 * expected, "λ[\(k)] \(lambda) vs \(expected)")
        }
        for (k, (mine, theirs)) in zip(cv.meanErrors, r.mean_errors).enumerated() {
            #expect(abs(mine - theirs) <= 1e-5 * theirs + 1e-15, "\(caseName) mean error at λ[\(k)]: \(mine) vs \(theirs)")
        }
        #expect(abs(cv.bound - r.bound) <= 1e-5 * r.bound)
        #expect(cv.chosen == r.index)
        #expect(try GeoAnalysis.crossValidatedRidge(panel: panel, assignment: assignment, periods: periods) == cv.grid[cv.chosen])
    }

    /// A treated series outside the donors' convex hull (1.5 × one donor's shape − 0.5 × another's):
    /// the simplex cannot follow it, a small ridge λ can, and cross-validation finds that.
    @Test("outside the donors' hull, cross-validation picks a small λ and augmentation fits the pre-period better")
    func augmentationOutsideTheHull() throws {
        let start = try GeoDay("2026-01-01")
        let days = 90
        var rows: [GeoPanel.Row] = []
        var shapes: [[Double]] = []
        for k in 0..<5 {
            let (period, wobble) = (Double(3 + k), 0.05 * Double(k))
            shapes.append(
                (0..<days).map { (d: Int) -> Double in
                    let t = Double(d)
                    return 1 + 0.3 * sin(t / period) + wobble * cos(t / 4)
                })
            for d in 0..<days { rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: "donor\(k)", response: 100 * Double(k + 1) * shapes[k][d])) }
        }
        for d in 0..<days {
            rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: "treated", response: 1000 * (1.5 * shapes[0][d] - 0.5 * shapes[3][d])))
        }
        let panel = try GeoPanel(rows: rows)
        let assignment = GeoAssignment(control: (0..<5).map { "donor\($0)" }, treatment: ["treated"])
        let periods = GeoPeriods(preStart: start, testStart: start.advanced(by: 70), testEnd: start.advanced(by: 89))
        let cv = try GeoAnalysis.ridgeCrossValidation(panel: panel, assignment: assignment, periods: periods)
        #expect(cv.chosen >= 5, "λ index \(cv.chosen) of \(cv.meanErrors)")
        let plain = try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: periods, permutations: 99)
        let augmented = try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: periods, ridge: cv.grid[cv.chosen], permutations: 99)
        #expect(augmented.preRMSE < plain.preRMSE / 10, "pre-period RMSE \(augmented.preRMSE) vs \(plain.preRMSE)")
        // No effect was injected: the augmented estimate is near zero, the plain one is not.
        #expect(abs(augmented.estimate.incremental) < abs(plain.estimate.incremental) / 10)
        #expect(augmented.weights.contains { $0.weight < 0 })
    }

    /// Treatment = 0.7·donor A's shape + 0.3·donor B's, scaled up, plus 40/day in the test.
    static func recoverable(effect: Double, noise: Double) throws -> (GeoPanel, GeoAssignment, GeoPeriods) {
        var rng = SyntheticPanel.SplitMix(21)
        let start = try GeoDay("2026-01-01")
        let days = 80
        var shapes: [[Double]] = []
        for k in 0..<6 {
            let phase = Double(k)
            shapes.append((0..<days).map { 1 + 0.3 * sin(Double($0) / (3 + phase)) + 0.1 * Double(k) * cos(Double($0) / 5) })
        }
        var rows: [GeoPanel.Row] = []
        for (k, shape) in shapes.enumerated() {
            for d in 0..<days {
                rows.append(
                    GeoPanel.Row(date: start.advanced(by: d), geo: "donor\(k)", response: 100 * Double(k + 1) * shape[d] * (1 + noise * (rng.uniform() - 0.5))))
            }
        }
        for d in 0..<days {
            let base = 1000 * (0.7 * shapes[0][d] + 0.3 * shapes[1][d])
            let value = base * (1 + noise * (rng.uniform() - 0.5)) + (d >= 60 ? effect : 0)
            rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: "treated", response: value))
        }
        let assignment = GeoAssignment(control: (0..<6).map { "donor\($0)" }, treatment: ["treated"])
        let periods = GeoPeriods(preStart: start, testStart: start.advanced(by: 60), testEnd: start.advanced(by: 79))
        return (try GeoPanel(rows: rows), assignment, periods)
    }

    @Test("recovers the donor mix and the injected effect")
    func recovery() throws {
        let (panel, assignment, periods) = try Self.recoverable(effect: 40, noise: 0.002)
        let result = try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: periods, permutations: 199)
        let weight = Dictionary(uniqueKeysWithValues: result.weights.map { ($0.geo, $0.weight) })
        // Donor means differ from the treated mean, so the normalized weights are the shares of
        // the treated pre-period mean each donor's shape carries.
        #expect(abs((weight["donor0"] ?? 0) + (weight["donor1"] ?? 0) - 1) < 0.02, "\(result.weights)")
        #expect(abs(result.estimate.incremental - 800) < 80, "incremental \(result.estimate.incremental)")
        #expect(result.estimate.pValue <= 0.05)
        #expect(result.estimate.ciLow > 0)
        #expect(result.weights.allSatisfy { $0.weight >= 0 } && abs(result.weights.reduce(0) { $0 + $1.weight } - 1) < 1e-9)
    }

    @Test("0 is inside the interval exactly when p > 1 − level", arguments: [0.8, 0.9, 0.95])
    func consistency(level: Double) throws {
        var inside = 0
        for (effect, noise) in [(0.0, 0.02), (40.0, 0.02), (15.0, 0.05), (100.0, 0.01)] {
            let (panel, assignment, periods) = try Self.recoverable(effect: effect, noise: noise)
            for tails in [1, 2] {
                let r = try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: periods, level: level, tails: tails, permutations: 99)
                let e = r.estimate
                let covers = e.ciLow <= 0 && 0 <= (e.ciHigh ?? .infinity)
                if covers { inside += 1 }
                #expect(covers == (e.pValue > 1 - level), "effect \(effect) tails \(tails): [\(e.ciLow), \(String(describing: e.ciHigh))] p \(e.pValue)")
                #expect(e.ciLow <= e.incremental && e.incremental <= (e.ciHigh ?? .infinity))
                // p-values are (1 + k)/(1 + B).
                let k = e.pValue * 100 - 1
                #expect(abs(k - k.rounded()) < 1e-9)
            }
        }
        #expect(inside > 0 && inside < 8, "the cases should include intervals that cover 0 and ones that do not")
    }

    @Test("seeded: same seed, same result; ridge changes the weights and may leave the simplex")
    func seededAndRidge() throws {
        let (panel, assignment, periods) = try Self.recoverable(effect: 15, noise: 0.05)
        let a = try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: periods, permutations: 99, seed: 5)
        let b = try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: periods, permutations: 99, seed: 5)
        #expect(a == b)
        let ridge = try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: periods, ridge: 1, permutations: 99, seed: 5)
        #expect(ridge.ridge == 1 && ridge.weights != a.weights)
        let data = try JSONEncoder().encode(ridge)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["incremental", "ci_low", "ci_high", "std_error", "p_value", "lift", "weights", "permutations", "seed", "ridge"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(try JSONDecoder().decode(SCMResult.self, from: data) == ridge)
        #expect(throws: GeoError.self) { try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: periods, permutations: 5) }
    }

    @Test("simplex projection and the Cholesky solve")
    func numerics() {
        #expect(SyntheticControl.projectOntoSimplex([0.2, 0.3, 0.5]) == [0.2, 0.3, 0.5])
        #expect(SyntheticControl.projectOntoSimplex([2, 0, 0]) == [1, 0, 0])
        let p = SyntheticControl.projectOntoSimplex([0.5, 0.5, -1])
        #expect(p == [0.5, 0.5, 0])
        let x = SyntheticControl.choleskySolve([4, 2, 2, 3], [2, 1], n: 2)!
        #expect(abs(x[0] - 0.5) < 1e-15 && abs(x[1]) < 1e-15)
        #expect(SyntheticControl.choleskySolve([1, 2, 2, 1], [1, 1], n: 2) == nil)
    }
}
