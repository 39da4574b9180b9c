import Foundation
import HoldoutSimulation
import Testing

@Suite("Potential outcomes, truth and observation")
struct TruthTests {
    static func features(_ n: Int, seed: UInt64 = 4) throws -> FeatureTable {
        let sampler = try CopulaSampler(
            features: [FeatureSpec(name: "f0", kind: .continuous), FeatureSpec(name: "f1", kind: .continuous)],
            correlation: [[1, 0.3], [0.3, 1]])
        var g = Xoshiro256StarStar(seed: seed)
        return sampler.sample(n, using: &g)
    }

    @Test("conversion: CATE = p1 − p0 per visitor; the observed difference estimates the effect")
    func conversion() throws {
        let table = try Self.features(200_000)
        let mode = try MetricMode.paired(
            .conversionRate, p0: try Surface.parse("sigmoid(-3 + 0.4*f0)"), p1: try Surface.parse("sigmoid(-2.7 + 0.4*f0 - 0.6*f1)"))
        let truth = try Truth(mode: mode, features: table)
        guard case .continuous(let f0) = table.columns[0], case .continuous(let f1) = table.columns[1] else { return }
        for i in [0, 17, 99_999] {
            let expected = 1 / (1 + exp(-(-2.7 + 0.4 * f0[i] - 0.6 * f1[i]))) - 1 / (1 + exp(-(-3 + 0.4 * f0[i])))
            #expect(abs(truth.cate[i] - expected) < 1e-15)
        }
        #expect(truth.cate.contains { $0 < 0 } && truth.cate.contains { $0 > 0 })  // some visitors are hurt
        #expect(truth.components == ["conv_effect": truth.effect])
        var g = Xoshiro256StarStar(seed: 9)
        let observed = try Observation(truth: truth, allocation: [0.5, 0.5], using: &g)
        var n = [0.0, 0.0]
        var c = [0.0, 0.0]
        for i in observed.level.indices {
            n[observed.level[i]] += 1
            c[observed.level[i]] += observed.converted[i] ? 1 : 0
        }
        let (r0, r1) = (c[0] / n[0], c[1] / n[1])
        let se = (r0 * (1 - r0) / n[0] + r1 * (1 - r1) / n[1]).squareRoot()
        #expect(abs((r1 - r0) - truth.effect) < 4 * se, "observed \(r1 - r0), truth \(truth.effect)")
        #expect(abs(n[1] / Double(observed.level.count) - 0.5) < 0.01)
    }

    @Test("revenue hurdle: CATE = p1·m1 − p0·m0 = conversion part + AOV part; observed revenue estimates it")
    func hurdle() throws {
        let table = try Self.features(200_000, seed: 6)
        let mode = try MetricMode.paired(
            .revenuePerVisitor, p0: .constant(0.05), p1: try Surface.parse("sigmoid(-2.9 + 0.2*f0)"), m0: .constant(40),
            m1: try Surface.parse("40 + 5*(f1 > 0)"), sigma0: .constant(0.8), sigma1: .constant(0.8))
        let truth = try Truth(mode: mode, features: table)
        let conv = try #require(truth.components["conv_effect"])
        let aov = try #require(truth.components["aov_effect"])
        #expect(abs(truth.effect - (conv + aov)) < 1e-12)
        #expect(aov > 0)
        var g = Xoshiro256StarStar(seed: 10)
        let observed = try Observation(truth: truth, allocation: [0.5, 0.5], using: &g)
        var sums = [0.0, 0.0]
        var squares = [0.0, 0.0]
        var counts = [0.0, 0.0]
        for i in observed.level.indices {
            let l = observed.level[i]
            counts[l] += 1
            sums[l] += observed.revenue[i]
            squares[l] += observed.revenue[i] * observed.revenue[i]
        }
        let means = (0..<2).map { sums[$0] / counts[$0] }
        let variances = (0..<2).map { (squares[$0] - sums[$0] * sums[$0] / counts[$0]) / (counts[$0] - 1) }
        let se = (variances[0] / counts[0] + variances[1] / counts[1]).squareRoot()
        #expect(abs((means[1] - means[0]) - truth.effect) < 4 * se, "observed \(means[1] - means[0]), truth \(truth.effect)")
        #expect(observed.revenue.indices.allSatisfy { observed.converted[$0] || observed.revenue[$0] == 0 })
    }

    @Test("K ≥ 3: one effect per contrast; variants named treatment_k")
    func multi() throws {
        let table = try Self.features(1_000)
        let mode = try MetricMode.multi(.conversionRate, p: [.constant(0.1), .constant(0.12), .constant(0.09)])
        let truth = try Truth(mode: mode, features: table)
        #expect(abs(truth.components["treatment_1_effect"]! - 0.02) < 1e-15)
        #expect(abs(truth.components["treatment_2_effect"]! + 0.01) < 1e-15)
        #expect(Observation.variantName(level: 2, levels: 3) == "treatment_2")
        #expect(Observation.variantName(level: 1, levels: 2) == "treatment")
    }

    @Test("fail-closed validations name the surface or the rule")
    func validations() throws {
        let table = try Self.features(100)
        let tooHigh = try MetricMode.paired(.conversionRate, p0: .constant(0.1), p1: try Surface.parse("0.5 + f0"))
        do {
            _ = try Truth(mode: tooHigh, features: table)
            Issue.record("expected an out-of-bounds error")
        } catch {
            #expect(error.message.contains("surface 'p1'"))
        }
        #expect(throws: SimulationError.self) { try MetricMode.paired(.conversionRate, p0: .constant(0.1), p1: .constant(0.2), m0: .constant(1)) }
        #expect(throws: SimulationError.self) { try MetricMode.paired(.revenuePerVisitor, p0: .constant(0.1), p1: .constant(0.2)) }
        #expect(throws: SimulationError.self) { try MetricMode.multi(.conversionRate, p: [.constant(0.1), .constant(0.2)]) }
        let negativeMean = try MetricMode.paired(
            .revenuePerVisitor, p0: .constant(0.1), p1: .constant(0.1), m0: .constant(10), m1: .constant(-1), sigma0: .constant(1), sigma1: .constant(1))
        do {
            _ = try Truth(mode: negativeMean, features: table)
            Issue.record("expected an m > 0 error")
        } catch {
            #expect(error.message.contains("surface 'm1'"))
        }
        let truth = try Truth(mode: try MetricMode.paired(.conversionRate, p0: .constant(0.1), p1: .constant(0.2)), features: table)
        var g = Xoshiro256StarStar(seed: 1)
        #expect(throws: SimulationError.self) { try Observation(truth: truth, allocation: [0.5, 0.6], using: &g) }
    }
}
