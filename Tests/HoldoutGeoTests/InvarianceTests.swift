import Foundation
import Testing

@testable import HoldoutGeo

/// Properties every analysis should have, whatever its reference: input order does not matter,
/// and scaling the response scales the estimate and leaves the p-value alone.
@Suite("Analyses are invariant to row and assignment order and equivariant to scale")
struct InvarianceTests {
    static func rows(scale: Double = 1) -> [GeoPanel.Row] {
        var rng = SyntheticPanel.SplitMix(77)
        let start = try! GeoDay("2026-02-01")
        var rows: [GeoPanel.Row] = []
        for g in 0..<12 {
            let size = 200 + 800 * rng.uniform()
            for d in 0..<70 {
                let treated = g % 2 == 1 && d >= 50
                let value = size * (1 + 0.1 * sin(Double(d) / 3) + 0.1 * (rng.uniform() - 0.5)) * (treated ? 1.08 : 1)
                rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: "r\(g)", response: scale * value, cost: treated ? 10 : 0))
            }
        }
        return rows
    }

    static let assignment = GeoAssignment(
        control: (0..<12).filter { $0 % 2 == 0 }.map { "r\($0)" }, treatment: (0..<12).filter { $0 % 2 == 1 }.map { "r\($0)" })

    static func periods(_ panel: GeoPanel) -> GeoPeriods {
        GeoPeriods(preStart: panel.firstDay, testStart: panel.firstDay.advanced(by: 50), testEnd: panel.firstDay.advanced(by: 63), cooldownEnd: panel.lastDay)
    }

    static func estimates(_ panel: GeoPanel, _ assignment: GeoAssignment, tails: Int) throws -> [GeoEstimate] {
        let p = periods(panel)
        return [
            try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: p, tails: tails).estimate,
            try GeoAnalysis.did(panel: panel, assignment: assignment, periods: p, tails: tails).estimate,
            try GeoAnalysis.summary(panel: panel, assignment: assignment, periods: p, tails: tails).estimate,
            try GeoAnalysis.scm(panel: panel, assignment: assignment, periods: p, tails: tails, permutations: 99).estimate,
        ]
    }

    @Test("shuffled rows and a reversed assignment give identical results", arguments: [1, 2])
    func order(tails: Int) throws {
        let base = try GeoPanel(rows: Self.rows())
        var rng = SyntheticPanel.SplitMix(3)
        var shuffled = Self.rows()
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(rng.uniform() * Double(i + 1))) }
        let other = try GeoPanel(rows: shuffled)
        let reversed = GeoAssignment(entries: Self.assignment.entries.reversed())
        #expect(try Self.estimates(base, Self.assignment, tails: tails) == Self.estimates(other, reversed, tails: tails))
    }

    @Test("×1000 on the response: estimates ×1000, p-values and lifts unchanged", arguments: [1, 2])
    func scale(tails: Int) throws {
        let a = try Self.estimates(GeoPanel(rows: Self.rows()), Self.assignment, tails: tails)
        let b = try Self.estimates(GeoPanel(rows: Self.rows(scale: 1000)), Self.assignment, tails: tails)
        for (name, (x, y)) in zip(["tbr", "did", "summary", "scm"], zip(a, b)) {
            #expect(Tolerance.isClose(y.incremental, 1000 * x.incremental, rel: 1e-9), "\(name) incremental")
            #expect(Tolerance.isClose(y.ciLow, 1000 * x.ciLow, rel: 1e-6), "\(name) ci_low \(y.ciLow) vs \(1000 * x.ciLow)")
            #expect(Tolerance.isClose(y.stdError, 1000 * x.stdError, rel: 1e-9), "\(name) se")
            #expect(Tolerance.isClose(y.pValue, x.pValue, rel: 1e-9), "\(name) p")
            #expect(Tolerance.isClose(y.lift, x.lift, rel: 1e-9), "\(name) lift")
            // Fixed cost (10 a day on treated test days), unscaled: iROAS scales too.
            #expect(Tolerance.isClose(y.iroas, x.iroas.map { 1000 * $0 }, rel: 1e-9), "\(name) iroas")
        }
    }
}
