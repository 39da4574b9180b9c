import Foundation
import Testing

@testable import HoldoutGeo

@Suite("Stratified and matched-pairs designs, balance diagnostics and placebo power")
struct PanelDesignTests {
    static let panel = try! SyntheticPanel.make(geos: 41, days: 120, seed: 5)
    static var pre: ClosedRange<GeoDay> { panel.firstDay...panel.firstDay.advanced(by: 89) }

    static func preTotal(_ geo: String) -> Double {
        let g = panel.position(of: geo)!
        return (0..<90).reduce(0) { $0 + panel.response(geo: g, day: $1) }
    }

    @Test("stratified: 2 of every 4 geos in pre-period order go to control; reproducible by seed")
    func stratified() throws {
        let design = try GeoDesign.stratified(panel: Self.panel, prePeriod: Self.pre, seed: 3)
        #expect(design.method == "stratified" && design.assignment.entries.count == 41)
        let order = Self.panel.geos.sorted { Self.preTotal($0) > Self.preTotal($1) }
        let group = Dictionary(uniqueKeysWithValues: design.assignment.entries.map { ($0.geo, $0.group) })
        for start in stride(from: 0, to: 40, by: 4) {
            let controls = order[start..<(start + 4)].filter { group[$0] == .control }.count
            #expect(controls == 2, "stratum at \(start)")
        }
        #expect(try GeoDesign.stratified(panel: Self.panel, prePeriod: Self.pre, seed: 3) == design)
        #expect(try GeoDesign.stratified(panel: Self.panel, prePeriod: Self.pre, seed: 4).assignment != design.assignment)
        #expect(abs(design.diagnostics.controlShare + design.diagnostics.treatmentShare - 1) < 1e-12)
    }

    @Test("matched pairs: neighbours in size, one of each pair in control, the smallest geo out when odd")
    func matchedPairs() throws {
        let design = try GeoDesign.matchedPairs(panel: Self.panel, prePeriod: Self.pre, seed: 3)
        let smallest = Self.panel.geos.min { Self.preTotal($0) < Self.preTotal($1) }!
        #expect(design.excluded == [smallest])
        #expect(design.assignment.entries.count == 40)
        let pairs = Dictionary(grouping: design.assignment.entries) { $0.pair! }
        #expect(pairs.count == 20)
        for (_, members) in pairs {
            #expect(members.count == 2 && Set(members.map(\.group)) == [.control, .treatment])
            let a = Self.preTotal(members[0].geo)
            let b = Self.preTotal(members[1].geo)
            #expect(abs(a - b) / (a + b) < 0.2, "pair \(members.map(\.geo)) totals \(a), \(b)")
        }
        #expect(try GeoDesign.matchedPairs(panel: Self.panel, prePeriod: Self.pre, seed: 3) == design)
        // Usable by the paired analysis as it stands (the synthetic panel has no cost: that error, not a pairing one).
        let periods = GeoPeriods(preStart: Self.panel.firstDay, testStart: Self.panel.firstDay.advanced(by: 90), testEnd: Self.panel.lastDay)
        do {
            _ = try GeoAnalysis.trimmedMatch(panel: Self.panel, assignment: design.assignment, periods: periods)
        } catch {
            #expect(error.message.contains("cost"))
        }
    }

    @Test("diagnostics: shares, correlation and SMD by hand")
    func diagnostics() throws {
        let control = (0..<20).map(SyntheticPanel.name)
        let treatment = (20..<41).map(SyntheticPanel.name)
        let assignment = GeoAssignment(control: control, treatment: treatment)
        let d = try GeoDesign.diagnostics(panel: Self.panel, assignment: assignment, prePeriod: Self.pre)
        let c = control.map(Self.preTotal)
        let t = treatment.map(Self.preTotal)
        let total = c.reduce(0, +) + t.reduce(0, +)
        #expect(abs(d.controlShare - c.reduce(0, +) / total) < 1e-12)
        func mv(_ v: [Double]) -> (Double, Double) {
            let m = v.reduce(0, +) / Double(v.count)
            return (m, v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1))
        }
        let (mc, vc) = mv(c)
        let (mt, vt) = mv(t)
        #expect(Tolerance.isClose(d.standardizedMeanDifference, (mt - mc) / ((vc + vt) / 2).squareRoot(), rel: 1e-9))
        // Both groups share the weekly pattern, so their daily sums are strongly correlated.
        #expect((d.correlation ?? 0) > 0.9)
        #expect(d.power == nil && d.minimumDetectableLift == nil)
        #expect(BalanceDiagnostics.correlation([1, 2, 3], [2, 4, 6.5])! > 0.99)
        #expect(BalanceDiagnostics.correlation([1, 1, 1], [2, 4, 6]) == nil)
    }

    @Test("placebo power rises with the lift, has a false-positive rate near 1 − level, and an MDE")
    func power() throws {
        let design = try GeoDesign.stratified(
            panel: Self.panel, prePeriod: Self.pre, seed: 1, power: GeoPower.Plan(preDays: 42, testDays: 14, lifts: [0.01, 0.02, 0.05, 0.1, 0.2]))
        let power = try #require(design.diagnostics.power)
        #expect(power.windows == 90 - 56 + 1)
        #expect(zip(power.points, power.points.dropFirst()).allSatisfy { $0.power <= $1.power })
        #expect(power.points.last!.power == 1)
        #expect(power.falsePositiveRate <= 0.3, "false positives \(power.falsePositiveRate)")
        let mde = try #require(design.diagnostics.minimumDetectableLift)
        #expect(mde > 0 && mde <= 0.2)
        let data = try JSONEncoder().encode(design)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let diagnostics = try #require(object["diagnostics"] as? [String: Any])
        for key in ["control_share", "treatment_share", "correlation", "standardized_mean_difference", "minimum_detectable_lift", "power"] {
            #expect(diagnostics[key] != nil, "missing \(key)")
        }
        #expect(try JSONDecoder().decode(PanelDesign.self, from: data) == design)
    }

    @Test("power refuses windows longer than the history and bad grids")
    func powerErrors() {
        let assignment = GeoAssignment(control: ["geo0000", "geo0001"], treatment: ["geo0002", "geo0003"])
        #expect(throws: GeoError.self) {
            try GeoPower.placebo(panel: Self.panel, assignment: assignment, history: Self.pre, plan: GeoPower.Plan(preDays: 80, testDays: 20))
        }
        #expect(throws: GeoError.self) {
            try GeoPower.placebo(
                panel: Self.panel, assignment: assignment, history: Self.pre, plan: GeoPower.Plan(preDays: 30, testDays: 10, lifts: [0.2, 0.1]))
        }
    }
}

@Suite("Seed 000's weighted design from a panel")
struct WeightedPanelDesignTests {
    @Test("revenue is the pre-period total; diagnostics come with the design")
    func fromPanel() throws {
        let panel = PanelDesignTests.panel
        let design = try GeoDesign.weighted(panel: panel, prePeriod: PanelDesignTests.pre, tenantID: "t", generatedAt: Date(timeIntervalSince1970: 0))
        let revenue = panel.geos.map { GeoDesign.Revenue(geo: $0, revenue: PanelDesignTests.preTotal($0)) }
        let direct = try GeoDesign.weighted(revenue: revenue, tenantID: "t", generatedAt: Date(timeIntervalSince1970: 0))
        #expect(design.assignment.map(\.group) == direct.assignment.map(\.group))
        #expect(design.holdoutCount == 8)
        let diagnostics = try #require(design.diagnostics)
        #expect(Tolerance.isClose(diagnostics.controlShare, design.controlShare, rel: 1e-12))
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(design)) as? [String: Any])
        #expect(object["diagnostics"] != nil)
        let plain = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(direct)) as? [String: Any])
        #expect(plain["diagnostics"] == nil)
    }
}
