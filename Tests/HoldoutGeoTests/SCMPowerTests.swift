import Foundation
import Testing

@testable import HoldoutGeo

@Suite("Placebo power of synthetic control")
struct SCMPowerTests {
    /// 8 control geos with their own shapes (weekly and slower cycles, sizes 100–800) and 2
    /// treatment geos that are fixed positive combinations of them (weights summing to 1.6 and
    /// 0.9) times (1 + `noise`·U(−½, ½)), iid per geo and day: SCM's model holds up to that noise.
    /// `zeroTreatmentDays` leading days have no treatment response.
    static func combination(days: Int, noise: Double, seed: UInt64, zeroTreatmentDays: Int = 0) throws -> (GeoPanel, GeoAssignment) {
        var rng = SyntheticPanel.SplitMix(seed)
        let start = try GeoDay("2026-01-01")
        let controls = 8
        let shapes = (0..<controls).map { k in
            (0..<days).map { d in
                let t = Double(d)
                return 1 + 0.2 * sin(2 * Double.pi * t / 7 + Double(k)) + 0.15 * sin(t / (4 + Double(k))) + 0.05 * Double(k % 3) * cos(t / 9)
            }
        }
        var rows: [GeoPanel.Row] = []
        var series: [[Double]] = []
        for k in 0..<controls {
            let values = shapes[k].map { 100 * Double(k + 1) * $0 * (1 + 0.01 * (rng.uniform() - 0.5)) }
            series.append(values)
            for d in 0..<days { rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: "c\(k)", response: values[d])) }
        }
        let mixes: [[Double]] = [[0.5, 0, 0.3, 0, 0.6, 0, 0.2, 0], [0, 0.4, 0, 0.1, 0, 0.4, 0, 0]]
        for (i, mix) in mixes.enumerated() {
            for d in 0..<days {
                let base = zip(mix, series).reduce(0) { $0 + $1.0 * $1.1[d] }
                let value = d < zeroTreatmentDays ? 0 : base * (1 + noise * (rng.uniform() - 0.5))
                rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: "t\(i)", response: value))
            }
        }
        return (try GeoPanel(rows: rows), GeoAssignment(control: (0..<controls).map { "c\($0)" }, treatment: ["t0", "t1"]))
    }

    /// The conformal test's size holds where SCM's model does. Windows of one history overlap
    /// (they share their days, and the weights are fitted on all of them), so one history's
    /// false-positive rate is not a binomial proportion: on one 120-day panel it came out 0.22,
    /// on a 150-day one 0.04. So the size is checked over 150 independent panels of exactly one
    /// window each (21 pre + 7 test days): the rejections at lift 0 are then Binomial(150, ≤ α)
    /// with α = 0.1 (p-values on a grid of 1/100: P(p < 0.1) ≤ 0.09 under exchangeable
    /// residuals), and the tolerance is 3 standard errors, 3·√(0.1·0.9/150) = 0.074.
    @Test("false-positive rate ≤ 1 − level + 0.074 over independent panels where the treatment is a combination of controls; power reaches 1")
    func sizeAndPower() throws {
        let plan = GeoPower.Plan(preDays: 21, testDays: 7, level: 0.9, tails: 2, lifts: [0.2])
        let panels = 150
        var falsePositives = 0
        var detected = 0
        for seed in 0..<panels {
            let (panel, assignment) = try Self.combination(days: 28, noise: 0.02, seed: UInt64(1000 + seed))
            let result = try GeoPower.placeboSCM(
                panel: panel, assignment: assignment, history: panel.firstDay...panel.lastDay, plan: plan, permutations: 99, seed: UInt64(seed))
            #expect(result.windows == 1 && result.plan == plan && result.points.map(\.lift) == plan.lifts)
            falsePositives += Int(result.falsePositiveRate)
            detected += Int(result.points[0].power)
        }
        let rate = Double(falsePositives) / Double(panels)
        #expect(rate <= 0.1 + 3 * (0.1 * 0.9 / Double(panels)).squareRoot(), "false-positive rate \(rate) over \(panels) panels")
        #expect(detected == panels, "a 20% lift detected in \(detected) of \(panels) panels")
    }

    @Test("on one long history: power does not fall as the lift grows and reaches 1; the MDE is interpolated on the grid")
    func powerCurve() throws {
        let (panel, assignment) = try Self.combination(days: 90, noise: 0.02, seed: 11)
        let plan = GeoPower.Plan(preDays: 28, testDays: 14, level: 0.9, tails: 2, lifts: [0.02, 0.05, 0.2])
        let result = try GeoPower.placeboSCM(panel: panel, assignment: assignment, history: panel.firstDay...panel.lastDay, plan: plan, permutations: 99)
        #expect(result.windows == 90 - 42 + 1)
        #expect(result.points.last?.power == 1, "\(result.points)")
        #expect(result.points.map(\.power) == result.points.map(\.power).sorted(), "\(result.points)")
        let mde = try #require(result.minimumDetectableLift)
        let k = try #require(result.points.firstIndex { $0.power >= GeoPower.targetPower })
        if k == 0 {
            #expect(mde == result.points[0].lift)
        } else {
            let (a, b) = (result.points[k - 1], result.points[k])
            #expect(Tolerance.isClose(mde, a.lift + (0.8 - a.power) / (b.power - a.power) * (b.lift - a.lift), rel: 1e-12))
        }
    }

    /// An independent recount through the public API: slice each window out of the panel as its
    /// own panel, multiply the treatment geos' test days by (1 + lift), run `GeoAnalysis.scm` on
    /// it and count p_value < 1 − level. The counts must be equal, not close: placeboSCM computes
    /// the same p(0), only without the interval search. The first 22 days carry no treatment
    /// response, so the windows whose 20 pre days fall inside them cannot run SCM and are skipped.
    @Test("power per lift = share of windows where GeoAnalysis.scm on the sliced, injected panel has p < alpha", arguments: [(2, nil), (1, 0.5)])
    func recount(tails: Int, ridge: Double?) throws {
        let days = 45
        let (panel, assignment) = try Self.combination(days: days, noise: 0.05, seed: 3, zeroTreatmentDays: 22)
        let plan = GeoPower.Plan(preDays: 20, testDays: 7, level: 0.9, tails: tails, lifts: [0.02, 0.05, 0.15])
        let (permutations, seed): (Int, UInt64) = (39, 7)
        let history = panel.firstDay...panel.lastDay
        let result = try GeoPower.placeboSCM(
            panel: panel, assignment: assignment, history: history, plan: plan, permutations: permutations, seed: seed, ridge: ridge)

        let treated: Set = ["t0", "t1"]
        var windows = 0
        var rejections = [Int](repeating: 0, count: plan.lifts.count + 1)
        for start in 0...(days - 27) {
            var ran = false
            for (k, lift) in ([0] + plan.lifts).enumerated() {
                var rows: [GeoPanel.Row] = []
                for (g, geo) in panel.geos.enumerated() {
                    for d in start..<(start + 27) {
                        let value = panel.response(geo: g, day: d)
                        let injected = treated.contains(geo) && d >= start + 20 ? value * (1 + lift) : value
                        rows.append(GeoPanel.Row(date: panel.firstDay.advanced(by: d), geo: geo, response: injected))
                    }
                }
                let window = try GeoPanel(rows: rows)
                let periods = GeoPeriods(
                    preStart: window.firstDay, testStart: window.firstDay.advanced(by: 20), testEnd: window.firstDay.advanced(by: 26))
                let direct = Result { () throws(GeoError) in
                    try GeoAnalysis.scm(
                        panel: window, assignment: assignment, periods: periods, level: plan.level, tails: tails, ridge: ridge, permutations: permutations,
                        seed: seed)
                }
                if case .failure(let error) = direct, error.message.contains("no pre-period response") {
                    #expect(start + 20 <= 22, "window \(start) should run")
                    break
                }
                let p = try direct.get().estimate.pValue
                ran = true
                if p < 1 - plan.level { rejections[k] += 1 }
            }
            if ran { windows += 1 }
        }
        #expect(windows == days - 27 + 1 - 3, "windows starting at 0, 1, 2 have no treatment response before their test")
        #expect(result.windows == windows)
        #expect(result.falsePositiveRate == Double(rejections[0]) / Double(windows))
        for (k, point) in result.points.enumerated() {
            #expect(point.power == Double(rejections[k + 1]) / Double(windows), "lift \(point.lift): \(point.power) vs \(rejections[k + 1]) of \(windows)")
        }
        #expect(rejections.last! > rejections.first!, "the largest lift should be detected more often than none: \(rejections)")
    }

    @Test("errors: too few donors, a history shorter than a window, bad permutations or ridge, no window that can run")
    func errors() throws {
        let (panel, assignment) = try Self.combination(days: 60, noise: 0.02, seed: 5)
        let history = panel.firstDay...panel.lastDay
        let plan = GeoPower.Plan(preDays: 28, testDays: 7, lifts: [0.05, 0.1])
        func code(_ body: () throws(GeoError) -> GeoPower.Result) -> (GeoError.Code, String)? {
            do {
                _ = try body()
                return nil
            } catch {
                return (error.code, error.message)
            }
        }
        let oneDonor = GeoAssignment(control: ["c0"], treatment: ["t0", "t1"])
        let tooFew = code { () throws(GeoError) in try GeoPower.placeboSCM(panel: panel, assignment: oneDonor, history: history, plan: plan) }
        #expect(tooFew?.0 == .insufficientData && tooFew?.1.contains("at least 2 control geos") == true, "\(String(describing: tooFew))")
        let long = code { () throws(GeoError) in
            try GeoPower.placeboSCM(panel: panel, assignment: assignment, history: history, plan: GeoPower.Plan(preDays: 50, testDays: 14))
        }
        #expect(long?.0 == .insufficientData && long?.1.contains("fewer than one window of 50 + 14") == true, "\(String(describing: long))")
        for bad in [0, 18, GeoPower.maxPermutations + 1] {
            let refused = code { () throws(GeoError) in
                try GeoPower.placeboSCM(panel: panel, assignment: assignment, history: history, plan: plan, permutations: bad)
            }
            #expect(refused?.0 == .invalidInput && refused?.1.contains("permutations") == true && refused?.1.contains("\(bad)") == true)
        }
        let memory = code { () throws(GeoError) in
            try GeoPower.placeboSCM(
                panel: panel, assignment: assignment, history: history, plan: GeoPower.Plan(preDays: 3, testDays: 1001, lifts: [0.1]), permutations: 10_000)
        }
        #expect(memory?.0 == .invalidInput && memory?.1.contains("permutations × test days") == true, "\(String(describing: memory))")
        let ridge = code { () throws(GeoError) in
            try GeoPower.placeboSCM(panel: panel, assignment: assignment, history: history, plan: plan, ridge: -1)
        }
        #expect(ridge?.0 == .invalidInput && ridge?.1.contains("ridge") == true)
        let badLifts = code { () throws(GeoError) in
            try GeoPower.placeboSCM(panel: panel, assignment: assignment, history: history, plan: GeoPower.Plan(preDays: 28, testDays: 7, lifts: [0.1, 0.05]))
        }
        #expect(badLifts?.0 == .invalidInput)
        // Two controls, one of them always 0: no window has 2 donors.
        var rows: [GeoPanel.Row] = []
        for d in 0..<40 {
            let day = panel.firstDay.advanced(by: d)
            rows += [
                GeoPanel.Row(date: day, geo: "a", response: 10 + Double(d % 7)), GeoPanel.Row(date: day, geo: "zero", response: 0),
                GeoPanel.Row(date: day, geo: "t", response: 20 + Double(d % 5)),
            ]
        }
        let sparse = try GeoPanel(rows: rows)
        let none = code { () throws(GeoError) in
            try GeoPower.placeboSCM(
                panel: sparse, assignment: GeoAssignment(control: ["a", "zero"], treatment: ["t"]), history: sparse.firstDay...sparse.lastDay, plan: plan)
        }
        #expect(none?.0 == .insufficientData && none?.1.contains("no placebo window could run SCM") == true, "\(String(describing: none))")
    }
}
