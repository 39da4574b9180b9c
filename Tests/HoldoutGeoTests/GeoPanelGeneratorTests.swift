import Foundation
import Testing

@testable import HoldoutGeo

@Suite("Geo panel generator")
struct GeoPanelGeneratorTests {
    /// Every cell of a panel, geo-major, with cost.
    static func cells(_ panel: GeoPanel) -> [Double] {
        var out: [Double] = []
        for g in panel.geos.indices {
            for d in 0..<panel.dayCount { out += [panel.response(geo: g, day: d), panel.cost(geo: g, day: d) ?? -1] }
        }
        return out
    }

    @Test("the same seed gives the same panel, assignment and truth; another seed does not", arguments: GeoScenario.names)
    func reproducible(name: String) throws {
        var scenario = try GeoScenario.named(name)
        scenario.geos = 12
        let generator = try GeoPanelGenerator(scenario)
        let a = try generator.experiment(seed: 11)
        let b = try generator.experiment(seed: 11)
        let c = try generator.experiment(seed: 12)
        #expect(Self.cells(a.panel) == Self.cells(b.panel))
        #expect(a.assignment == b.assignment && a.truth == b.truth && a.periods == b.periods)
        #expect(Self.cells(a.panel) != Self.cells(c.panel))
        #expect(a.panel.geos.count == 12 && a.panel.dayCount == scenario.preDays + scenario.testDays)
        #expect(a.panel.firstDay.description == "2026-01-05" && a.panel.hasCost == scenario.hasSpend)
    }

    /// Same seed, lift 0 and lift 0.05: the pre-period, the assignment and control are
    /// untouched and every treatment geo-day of the test is y0 × 1.05 exactly (to rounding).
    @Test("injects the stated lift in treatment geos on test days only")
    func injectsLift() throws {
        var scenario = try GeoScenario.named("geo-basic")
        scenario.lift = 0
        let null = try GeoPanelGenerator(scenario).experiment(seed: 5)
        scenario.lift = 0.05
        let run = try GeoPanelGenerator(scenario).experiment(seed: 5)
        #expect(null.assignment == run.assignment)
        #expect(null.truth.incremental == 0 && null.truth.cost == 0)
        let treated = Set(run.assignment.entries.filter { $0.group == .treatment }.map(\.geo))
        #expect(treated.count == 20)
        var counterfactual = 0.0
        var injected = 0.0
        for (g, geo) in run.panel.geos.enumerated() {
            for d in 0..<run.panel.dayCount {
                let y0 = null.panel.response(geo: g, day: d)
                let y = run.panel.response(geo: g, day: d)
                if treated.contains(geo) && d >= scenario.preDays {
                    #expect(abs(y - 1.05 * y0) <= 1e-12 * y)
                    counterfactual += y0
                    injected += y - y0
                } else {
                    #expect(y == y0)
                }
            }
        }
        #expect(abs(run.truth.counterfactual - counterfactual) <= 1e-12 * counterfactual)
        #expect(abs(run.truth.incremental - 0.05 * counterfactual) <= 1e-12 * counterfactual)
        #expect(abs(run.truth.incremental - injected) <= 1e-9 * injected)
        #expect(abs(run.truth.lift - 0.05) < 1e-12)
    }

    /// With every random factor switched off the panel is the closed form
    /// y0[g, d] = median·(1 + A·cos(2πd/7))·(1 + trend·d), and a treatment geo's spend is
    /// spend_share × that, so the truth's iROAS is the scenario's.
    @Test("noiseless panels are the closed form, and spend carries the stated iROAS")
    func closedForm() throws {
        let scenario = GeoScenario(
            name: "noiseless", summary: "", geos: 8, preDays: 14, testDays: 7, sizeMedian: 500, sizeLogSD: 0, weeklyAmplitude: 0.2, trendPerDay: 0.01,
            marketSD: 0, noiseSD: 0, lift: 0.1, spendShare: 0.04, iroas: 3, design: .matchedPairs)
        let run = try GeoPanelGenerator(scenario).experiment(seed: 99)
        let treated = Set(run.assignment.entries.filter { $0.group == .treatment }.map(\.geo))
        #expect(treated.count == 4 && run.assignment.entries.allSatisfy { $0.pair != nil })
        var incremental = 0.0
        var cost = 0.0
        for (g, geo) in run.panel.geos.enumerated() {
            for d in 0..<21 {
                let y0 = 500 * (1 + 0.2 * cos(2 * Double.pi * Double(d) / 7)) * (1 + 0.01 * Double(d))
                let isTreated = treated.contains(geo) && d >= 14
                let spend = isTreated ? 0.04 * y0 : 0
                let expected = isTreated ? y0 * 1.1 + 3 * spend : y0
                #expect(abs(run.panel.response(geo: g, day: d) - expected) <= 1e-12 * expected)
                #expect(abs((run.panel.cost(geo: g, day: d) ?? -1) - spend) <= 1e-12 * max(spend, 1))
                if isTreated {
                    incremental += expected - y0
                    cost += spend
                }
            }
        }
        #expect(abs(run.truth.incremental - incremental) <= 1e-12 * incremental)
        #expect(abs(run.truth.cost - cost) <= 1e-12 * cost)
        // 0.1·y0 + 3·0.04·y0 = 0.22·y0 per treated day: iROAS = 0.22 / 0.04 = 5.5, lift 0.22.
        #expect(abs((run.truth.iroas ?? 0) - 5.5) < 1e-12 && abs(run.truth.lift - 0.22) < 1e-12)
    }

    /// The generator's sizes are log-normal with the stated median and log-sd, and its noise
    /// factors have mean 1: over 4,000 geos the sample log-mean and log-sd of the sizes are within
    /// 4 standard errors, and the mean relative noise of a geo-day is 1 within 4 standard errors.
    @Test("sizes are log-normal and the noise has mean 1")
    func distributions() throws {
        let scenario = GeoScenario(
            name: "wide", summary: "", geos: 4_000, preDays: 7, testDays: 1, sizeLogSD: 1, weeklyAmplitude: 0, marketSD: 0, noiseSD: 0.3, lift: 0)
        let base = try GeoPanelGenerator(scenario).baseline(seed: 3)
        let logs = base.sizes.map { log($0 / 1000) }
        let n = Double(logs.count)
        let mean = logs.reduce(0, +) / n
        let sd = (logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        #expect(abs(mean) < 4 / n.squareRoot(), "log-mean \(mean)")
        #expect(abs(sd - 1) < 4 * (1 / (2 * n)).squareRoot(), "log-sd \(sd)")
        let ratios = base.response.indices.map { base.response[$0] / base.expected[$0] }
        let m = ratios.reduce(0, +) / Double(ratios.count)
        let v = ratios.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(ratios.count - 1)
        #expect(abs(m - 1) < 4 * (v / Double(ratios.count)).squareRoot(), "noise mean \(m)")
        #expect(abs(v - (exp(0.09) - 1)) < 0.01, "noise variance \(v), log-normal gives \(exp(0.09) - 1)")
    }

    @Test("bad settings are refused naming the setting")
    func validation() throws {
        var scenario = try GeoScenario.named("geo-basic")
        scenario.geos = 2
        #expect(throws: GeoError.self) { try GeoPanelGenerator(scenario) }
        scenario = try GeoScenario.named("geo-basic")
        scenario.noiseSD = -1
        do {
            _ = try GeoPanelGenerator(scenario)
            Issue.record("accepted noise_sd -1")
        } catch {
            #expect(error.message.contains("noise_sd"))
        }
        #expect(throws: GeoError.self) { try GeoScenario.named("geo-nope") }
        #expect(throws: GeoError.self) {
            try GeoCalibration(scenario: try GeoScenario.named("geo-basic"), estimators: [.trimmedMatch], settings: .init(runs: 10, seed: 1))
        }
    }
}
