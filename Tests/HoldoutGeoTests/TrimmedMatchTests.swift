import Foundation
import Testing

@testable import HoldoutGeo

/// Trimmed match against google/trimmed_match's own tests: `trimmed_match/estimator_test.py`
/// (three decimals, as `assertAlmostEqual(places=3)`), `trimmed_match/core/estimator_test.cc`
/// (1e-6 absolute, as its `CompareReports`) and `core/geox_data_util_test.cc` (1e-3).
@Suite("Trimmed match reproduces the trimmed_match package's tests")
struct TrimmedMatchTests {
    static let response1 = [1.0, 10.0, 3.0, 8.0]
    static let cost1 = [1.0, 5.0, 2.0, 5.0]
    static let response2: [Double] = [
        552, -710, -961, -1218, -1293, -1824, 1816, 2073, -2416, -2559, 2603, 3073, 3288, 3137, 4016, 3905,
        4032, -4649, 5397, -6054, 6451, 7735, 8507, -9186, 9700, 9987, -11255, -13828, -14950, 20957, -38666, 43407,
    ]
    static let cost2: [Double] = [
        89143, -111084, -163240, -201668, -213271, -311807, 313531, 350041, -425882, -439139, 431609, 509310, 554237, 548335, 677060, 654552,
        686768, -812570, 940149, -1019919, 1086827, 1333913, 1458086, -1550027, 1676807, 1692128, -1927924, -2341819, -2533673, 3570161,
        -6614810, 7440206,
    ]

    static func near(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool { abs(a - b) <= tolerance }

    @Test("estimator_test.py: no trim, trim 0.2 and the chosen trim rate, confidence 0.9")
    func pythonExample() throws {
        let tm = try TrimmedMatch(deltaResponse: Self.response1, deltaCost: Self.cost1, maxTrimRate: 0.25)
        let iroas0 = 22.0 / 13
        let iroas1 = 11.0 / 7
        let noTrim = try tm.report(confidence: 0.9, trimRate: 0)
        #expect(Self.near(noTrim.estimate, iroas0, 1e-3) && Self.near(noTrim.stdError, 0.138, 1e-3) && noTrim.trimRate == 0)
        #expect(Self.near(noTrim.ciLow, 1.250, 1e-3) && Self.near(noTrim.ciHigh, 1.905, 1e-3), "\(noTrim)")
        #expect(noTrim.trimmedPairs.isEmpty && noTrim.candidates.count == 1)

        let trim = try tm.report(confidence: 0.9, trimRate: 0.2)
        #expect(Self.near(trim.estimate, iroas1, 1e-3) && Self.near(trim.stdError, 0.041, 1e-3) && trim.trimRate == 0.2)
        #expect(Self.near(trim.ciLow, -29.374, 1e-3) && Self.near(trim.ciHigh, 1.619, 1e-3), "\(trim)")
        #expect(trim.trimmedPairs == [0, 1])

        let auto = try tm.report(confidence: 0.9)
        #expect(Self.near(auto.estimate, iroas1, 1e-3) && Self.near(auto.stdError, 0.041, 1e-3) && auto.trimRate == 0.25)
        #expect(Self.near(auto.ciLow, -29.374, 1e-3) && Self.near(auto.ciHigh, 1.619, 1e-3))
        #expect(auto.trimmedPairs == [0, 1])
        #expect(auto.candidates.count == 2)
        #expect(Self.near(auto.candidates[0].iroas, 1.692, 1e-3) && Self.near(auto.candidates[0].stdError, 0.138, 1e-3))
        #expect(Self.near(auto.candidates[1].iroas, 1.571, 1e-3) && Self.near(auto.candidates[1].stdError, 0.041, 1e-3))
    }

    @Test("estimator_test.py: ties in spend and in θ_ij, and no spend")
    func ties() throws {
        #expect(Self.near(try TrimmedMatch(deltaResponse: [1, 2, 3, 4, 5], deltaCost: [1, 1, 1, 1, 1]).report().estimate, 3, 1e-7))
        #expect(Self.near(try TrimmedMatch(deltaResponse: [1, 2, 3, 4, 5], deltaCost: [1, 2, 3, 4, 5]).report().estimate, 1, 1e-7))
        #expect(Self.near(try TrimmedMatch(deltaResponse: [1, 1, 1, 1, 1], deltaCost: [1, 1, 1, 1, 1]).report().estimate, 1, 1e-7))
        #expect(throws: GeoError.self) { try TrimmedMatch(deltaResponse: [1, 2, 3, 4, 5], deltaCost: [0, 0, 0, 0, 1e-15]) }
        #expect(throws: GeoError.self) { try TrimmedMatch(deltaResponse: Self.response1, deltaCost: Self.cost1, maxTrimRate: -0.1) }
        #expect(throws: GeoError.self) { try TrimmedMatch(deltaResponse: Self.response1, deltaCost: Self.cost1 + [1]) }
        let tm = try TrimmedMatch(deltaResponse: Self.response1, deltaCost: Self.cost1)
        #expect(throws: GeoError.self) { try tm.report(confidence: -0.5, trimRate: 0) }
        #expect(throws: GeoError.self) { try tm.report(confidence: 0.8, trimRate: 0.5) }
    }

    @Test("estimator_test.cc: TrimmedMatch1 with trim 0 and 0.25 (1e-3)")
    func core1() throws {
        let tm = try TrimmedMatch(deltaResponse: Self.response1, deltaCost: Self.cost1)
        let a = try tm.report(confidence: 0.9, trimRate: 0)
        #expect(Self.near(a.estimate, 1.692, 1e-3) && Self.near(a.stdError, 0.138, 1e-3) && Self.near(a.ciLow, 1.250, 1e-3) && Self.near(a.ciHigh, 1.905, 1e-3))
        let b = try tm.report(confidence: 0.9, trimRate: 0.25)
        #expect(
            Self.near(b.estimate, 1.571, 1e-3) && Self.near(b.stdError, 0.041, 1e-3) && Self.near(b.ciLow, -29.375, 1e-3) && Self.near(b.ciHigh, 1.619, 1e-3))
    }

    @Test("estimator_test.cc: TrimmedMatch2 (32 pairs, max trim 0.3) with trim 0, 1/32 and the chosen rate (1e-6)")
    func core2() throws {
        let tm = try TrimmedMatch(deltaResponse: Self.response2, deltaCost: Self.cost2, maxTrimRate: 0.30)
        let a = try tm.report(confidence: 0.9, trimRate: 0)
        #expect(Self.near(a.estimate, 0.005811, 1e-6) && Self.near(a.stdError, 0.000117, 1e-6), "\(a)")
        #expect(Self.near(a.ciLow, 0.005233, 1e-6) && Self.near(a.ciHigh, 0.006389, 1e-6), "\(a)")
        let b = try tm.report(confidence: 0.9, trimRate: 1.0 / 32)
        #expect(Self.near(b.estimate, 0.005815, 1e-6) && Self.near(b.stdError, 0.000134, 1e-6), "\(b)")
        #expect(Self.near(b.ciLow, 0.005155, 1e-6) && Self.near(b.ciHigh, 0.006475, 1e-6), "\(b)")
        let c = try tm.report(confidence: 0.9)
        #expect(Self.near(c.estimate, 0.005833, 1e-6) && Self.near(c.stdError, 0.00003, 1e-6) && Self.near(c.trimRate, 0.1875, 1e-6), "\(c)")
        #expect(Self.near(c.ciLow, 0.005684, 1e-6) && Self.near(c.ciHigh, 0.005982, 1e-6), "\(c)")
        let expected = [0.00581123, 0.005815, 0.00582772, 0.00583428, 0.00583461, 0.00583399, 0.00583305, 0.00583258, 0.005832, 0.00585823]
        #expect(c.candidates.count == expected.count)
        for (candidate, iroas) in zip(c.candidates, expected) {
            #expect(Self.near(candidate.iroas, iroas, 1e-6), "trim \(candidate.trimRate): \(candidate.iroas) vs \(iroas)")
        }
    }

    static let geox: [(Double, Double)] = [(3, 2), (8, 5), (10, 10)]
    static let geox2: [(Double, Double)] = [
        (1.5391406, -1.7904224), (1.3765249, -1.3941344), (-1.0470811, -0.9608362), (0.4050382, -0.1808448), (-1.1829934, 0.2950698),
        (-0.1920367, 0.3012471), (-2.1449249, 0.5700090), (0.2685824, 0.7528970), (1.0362271, 0.7777585), (-0.2633370, 1.1244019),
    ]

    static func data(_ pairs: [(Double, Double)]) -> PairData { PairData(response: pairs.map(\.0), cost: pairs.map(\.1)) }

    @Test("geox_data_util_test.cc: roots of the trimmed-mean equation and studentized ranges (1e-3)")
    func internals() {
        #expect(Self.data([(1, -10), (2, -1), (3, 1), (4, 10)]).zerosOfTrimmedMean(trimRate: 0.25).isEmpty)
        #expect(Self.data(Self.geox).zerosOfTrimmedMean(trimRate: 0.1) == [3.0 / 2])
        let roots = Self.data(Self.geox2).zerosOfTrimmedMean(trimRate: 0.1)
        #expect(roots.count == 3)
        for (root, expected) in zip(roots, [-9.187, -0.488, 0.560]) { #expect(Self.near(root, expected, 1e-3), "\(roots)") }

        let noTrim = Self.data(Self.geox).rangeFromStudentizedTrimmedMean(trimRate: 0, threshold: 1.645)
        #expect(Self.near(noTrim.0, 0.985, 1e-3) && Self.near(noTrim.1, 2.180, 1e-3), "\(noTrim)")
        let unbounded = Self.data(Self.geox2).rangeFromStudentizedTrimmedMean(trimRate: 0, threshold: 1.645)
        #expect(Self.near(unbounded.0, -1e10, 1e-3) && Self.near(unbounded.1, 1e10, 1e-3))
        let trim1 = Self.data(Self.geox + [(0, 0), (20, 20)]).rangeFromStudentizedTrimmedMean(trimRate: 0.1, threshold: 1.645)
        #expect(Self.near(trim1.0, 0.978, 1e-3) && Self.near(trim1.1, 9.400, 1e-3), "\(trim1)")
        let trim2 = Self.data(Self.geox2).rangeFromStudentizedTrimmedMean(trimRate: 0.1, threshold: 0.05)
        #expect(Self.near(trim2.0, -76.312, 1e-3) && Self.near(trim2.1, 0.898, 1e-3), "\(trim2)")
    }

    @Test("math_util_test.cc: trimmed symmetric norm and studentized trimmed mean")
    func mathUtil() {
        let residuals = [6.0, 0.0, -3.0]
        #expect(PairData.trimmedSymmetricNorm(residuals, trimRate: 0) == 2)
        #expect(PairData.trimmedSymmetricNorm(residuals, trimRate: 0.1) == 0)
        #expect(Self.near(PairData.studentizedTrimmedMean(residuals, trimRate: 0), 0.378, 1e-3))
        #expect(Self.near(PairData.studentizedTrimmedMean(residuals + [10, 20], trimRate: 0.1), 1.301, 1e-3))
    }

    @Test("math_util_test.cc: the quadratic inequality solver")
    func quadratic() {
        // a·x² − 2b·x + c ≥ 0 on [minX, maxX].
        #expect(QuadraticInequality(a: 1, b: 1, c: 1).value(at: 0) == 1)
        #expect(QuadraticInequality(a: 1, b: 1, c: 1).value(at: 1) == 0)
        #expect(QuadraticInequality(a: 1, b: 1, c: 1).value(at: 2) == 1)
        func same(_ r: (Double, Double), _ e: (Double, Double)) -> Bool { r.0 == e.0 && r.1 == e.1 }
        func empty(_ r: (Double, Double)) -> Bool { r.0.isNaN && r.1.isNaN }
        #expect(empty(QuadraticInequality(a: 0, b: 0, c: -1).solve(0, 1)))
        #expect(same(QuadraticInequality(a: 0, b: 0, c: 1).solve(0, 1), (0, 1)))
        let linear = QuadraticInequality(a: 0, b: -1, c: -3)  // 2x − 3
        #expect(empty(linear.solve(0, 1)))
        #expect(same(linear.solve(-1, 1.5), (1.5, 1.5)))
        #expect(same(linear.solve(2, 3), (2, 3)))
        #expect(same(linear.solve(-2, 2), (1.5, 2)))
        let quadratic = QuadraticInequality(a: 1, b: 1, c: -3)  // x² − 2x − 3
        #expect(empty(quadratic.solve(0, 1)))
        #expect(same(quadratic.solve(-1, 2), (-1, -1)))
        #expect(same(quadratic.solve(10, 20), (10, 20)))
        #expect(same(quadratic.solve(-2, 2), (-2, -1)))
    }
}

@Suite("Trimmed match on a paired panel")
struct TrimmedMatchPanelTests {
    /// 20 geos in 10 pairs; treatment geos spend during the test and earn 2× their spend, with noise.
    static func panel(roas: Double = 2, noise: Double = 0.2) throws -> (GeoPanel, GeoAssignment, GeoPeriods) {
        var rng = SyntheticPanel.SplitMix(9)
        let start = try GeoDay("2026-01-01")
        var rows: [GeoPanel.Row] = []
        var entries: [GeoAssignment.Entry] = []
        for pair in 0..<10 {
            let size = 100 + 50 * Double(pair)
            for member in 0..<2 {
                let geo = "p\(pair)m\(member)"
                let treated = (pair + member) % 2 == 0
                entries.append(GeoAssignment.Entry(geo: geo, group: treated ? .treatment : .control, pair: pair))
                for d in 0..<28 {
                    let spend = treated && d >= 14 ? 0.2 * size * (1 + rng.uniform()) : 0
                    let response = size * (1 + noise * (rng.uniform() - 0.5)) + roas * spend
                    rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: geo, response: response, cost: spend))
                }
            }
        }
        let periods = GeoPeriods(preStart: start, testStart: start.advanced(by: 14), testEnd: start.advanced(by: 27))
        return (try GeoPanel(rows: rows), GeoAssignment(entries: entries), periods)
    }

    @Test("the panel analysis is the estimator on each pair's test-period differences, with ids for trimmed pairs")
    func matchesEstimator() throws {
        let (panel, assignment, periods) = try Self.panel()
        let result = try GeoAnalysis.trimmedMatch(panel: panel, assignment: assignment, periods: periods, level: 0.8)
        var dr: [Double] = []
        var dc: [Double] = []
        for pair in 0..<10 {
            let treated = pair % 2 == 0 ? "p\(pair)m0" : "p\(pair)m1"
            let control = pair % 2 == 0 ? "p\(pair)m1" : "p\(pair)m0"
            let t = try #require(panel.position(of: treated))
            let c = try #require(panel.position(of: control))
            dr.append((14..<28).reduce(0) { $0 + panel.response(geo: t, day: $1) - panel.response(geo: c, day: $1) })
            dc.append((14..<28).reduce(0) { $0 + (panel.cost(geo: t, day: $1) ?? 0) - (panel.cost(geo: c, day: $1) ?? 0) })
        }
        let report = try TrimmedMatch(deltaResponse: dr, deltaCost: dc).report(confidence: 0.8)
        // Sums in another order: 1e-9 relative.
        #expect(Tolerance.isClose(result.iroas, report.estimate, rel: 1e-9) && Tolerance.isClose(result.stdError, report.stdError, rel: 1e-9))
        #expect(Tolerance.isClose(result.ciLow, report.ciLow, rel: 1e-9) && Tolerance.isClose(result.ciHigh, report.ciHigh, rel: 1e-9))
        #expect(result.trimRate == report.trimRate && result.pairs == 10)
        #expect(result.trimmedPairs == report.trimmedPairs.sorted())  // pair ids equal indices here
        #expect(abs(result.iroas - 2) < 0.5, "iROAS \(result.iroas)")
        #expect(result.ciLow <= result.iroas && result.iroas <= (result.ciHigh ?? .infinity))
    }

    @Test("p-value and interval agree: 0 is inside exactly when p ≥ 1 − level", arguments: [0.6, 0.8, 0.9, 0.95, 0.99])
    func consistency(level: Double) throws {
        var covered = 0
        for (roas, noise) in [(2.0, 0.2), (0.0, 0.2), (0.3, 1.0), (0.1, 2.0)] {
            let (panel, assignment, periods) = try Self.panel(roas: roas, noise: noise)
            for tails in [1, 2] {
                let r = try GeoAnalysis.trimmedMatch(panel: panel, assignment: assignment, periods: periods, level: level, tails: tails, trimRate: 0.1)
                let covers = r.ciLow <= 0 && 0 <= (r.ciHigh ?? .infinity)
                if covers { covered += 1 }
                #expect(covers == (r.pValue >= 1 - level), "level \(level) tails \(tails): [\(r.ciLow), \(String(describing: r.ciHigh))] p \(r.pValue)")
            }
        }
        #expect(covered > 0 && covered < 8, "the cases should include intervals that cover 0 and ones that do not")
    }

    @Test("paired analysis needs pairs and cost")
    func errors() throws {
        let (panel, assignment, periods) = try Self.panel()
        let unpaired = GeoAssignment(entries: assignment.entries.map { GeoAssignment.Entry(geo: $0.geo, group: $0.group) })
        #expect(throws: GeoError.self) { try GeoAnalysis.trimmedMatch(panel: panel, assignment: unpaired, periods: periods) }
        var clash = assignment
        clash.entries[1].group = clash.entries[0].group
        #expect(throws: GeoError.self) { try GeoAnalysis.trimmedMatch(panel: panel, assignment: clash, periods: periods) }
        let noCost = try SyntheticPanel.make(geos: 4, days: 10)
        let pairs = GeoAssignment(entries: [
            .init(geo: "geo0000", group: .control, pair: 1), .init(geo: "geo0001", group: .treatment, pair: 1),
            .init(geo: "geo0002", group: .control, pair: 2), .init(geo: "geo0003", group: .treatment, pair: 2),
        ])
        let p = GeoPeriods(preStart: noCost.firstDay, testStart: noCost.firstDay.advanced(by: 5), testEnd: noCost.lastDay)
        #expect(throws: GeoError.self) { try GeoAnalysis.trimmedMatch(panel: noCost, assignment: pairs, periods: p) }
    }
}
