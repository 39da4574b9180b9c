import Foundation
import HoldoutSimulation
import HoldoutStats
import Testing

@Suite("Simulator: chunks, truth, observation, CSV")
struct SimulatorTests {
    /// Runs a config and returns the observed and truth CSV bytes and the merged truth sums.
    static func run(_ config: SimulationConfig, visitors: Int, seed: UInt64, parallelism: Int) throws -> ([UInt8], [UInt8], Truth.Sums) {
        let encoding = CSVEncoding(config: config)
        var observed: [UInt8] = []
        var truth: [UInt8] = []
        var sums = Truth.Sums(levels: config.mode.levels, hurdle: config.mode.metric == .revenuePerVisitor)
        try Simulator(config).run(visitors: visitors, seed: seed, parallelism: parallelism) { chunk in
            var o: [UInt8] = []
            var t: [UInt8] = []
            encoding.appendObserved(chunk, to: &o)
            encoding.appendTruth(chunk, to: &t)
            return (o, t, chunk.truth.sums)
        } consume: { piece in
            observed += piece.0
            truth += piece.1
            sums = sums + piece.2
        }
        return (observed, truth, sums)
    }

    @Test("the same seed gives the same bytes whatever the number of threads; another seed differs")
    func reproducible() throws {
        let config = try Scenario.config("criteo-like")
        let n = 2 * Simulator.chunkSize + 123
        let one = try Self.run(config, visitors: n, seed: 42, parallelism: 1)
        let two = try Self.run(config, visitors: n, seed: 42, parallelism: 2)
        #expect(one.0 == two.0 && one.1 == two.1 && one.2 == two.2)
        let other = try Self.run(config, visitors: 1000, seed: 43, parallelism: 2)
        #expect(Array(other.0.prefix(5000)) != Array(one.0.prefix(5000)))
        // One row per visitor, ids v0…v(n−1) in order.
        let lines = String(decoding: one.0, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == n)
        #expect(lines[n - 1].hasPrefix("v\(n - 1),criteo-like,"))
        // Chunk c is the seed's stream jumped c times.
        var g = Xoshiro256StarStar(seed: 42)
        let streams = Simulator.streams(seed: 42, chunks: 3)
        #expect(streams[0] == g)
        g.jump()
        #expect(streams[1] == g)
    }

    @Test("criteo-like: base rate near Criteo's 4.7%, control near 3.8%, an effect that hurts about one visitor in four")
    func criteoLike() throws {
        let config = try Scenario.config("criteo-like")
        var g = Xoshiro256StarStar(seed: 8)
        let chunk = try Simulator(config).generate(offset: 0, count: Simulator.chunkSize, using: &g)
        let n = Double(chunk.count)
        let p0 = chunk.truth.conversion[0].reduce(0, +) / n
        let p1 = chunk.truth.conversion[1].reduce(0, +) / n
        let overall = 0.15 * p0 + 0.85 * p1
        #expect(abs(overall - 0.047) < 0.003, "overall expected rate \(overall)")
        #expect(abs(p0 - 0.038) < 0.003, "control rate \(p0)")
        let hurt = Double(chunk.truth.cate.filter { $0 < 0 }.count) / n
        #expect(hurt > 0.1 && hurt < 0.35, "share hurt \(hurt)")
        // The observed treated share is 85% within 4 binomial standard errors.
        let treated = Double(chunk.observation.counts[1]) / n
        #expect(abs(treated - 0.85) < 4 * (0.85 * 0.15 / n).squareRoot())
        // The observed difference in rates estimates the truth within 4 standard errors.
        let arms = (0..<2).map { level in
            ProportionStatistic(
                n: chunk.observation.counts[level],
                conversions: chunk.observation.level.indices.filter { chunk.observation.level[$0] == level && chunk.observation.converted[$0] }.count)
        }
        let comparison = try ProportionTest.compare(control: arms[0], treatment: arms[1])
        let se = try #require(comparison.standardError)
        #expect(abs(comparison.upliftAbs! - chunk.truth.effect) < 4 * se)
    }

    @Test("null: every visitor's effect is exactly 0")
    func null() throws {
        let (_, _, sums) = try Self.run(try Scenario.config("null"), visitors: 5000, seed: 1, parallelism: 2)
        #expect(sums.effect == 0 && sums.components == ["conv_effect": 0])
    }

    @Test("revenue hurdle: truth = conversion part + AOV part; observed revenue per visitor estimates p·m in each arm")
    func hurdle() throws {
        let config = try Scenario.config("revenue-hurdle")
        var g = Xoshiro256StarStar(seed: 21)
        let chunk = try Simulator(config).generate(offset: 0, count: Simulator.chunkSize, using: &g)
        let components = chunk.truth.components
        #expect(abs(chunk.truth.effect - (components["conv_effect"]! + components["aov_effect"]!)) < 1e-12)
        for level in 0..<2 {
            var stat = MeanStatistic()
            var expected = 0.0
            for i in 0..<chunk.count where chunk.observation.level[i] == level {
                stat.add(chunk.observation.revenue[i])
                expected += chunk.truth.conversion[level][i] * chunk.truth.revenueMean![level][i]
            }
            expected /= Double(stat.n)
            let se = (stat.variance / Double(stat.n)).squareRoot()
            #expect(abs(stat.mean - expected) < 4 * se, "level \(level): \(stat.mean) vs \(expected)")
        }
    }

    @Test("cart revenue is wired in: truth uses the analytic cart expectation and observed revenue matches it")
    func cart() throws {
        let config = try Scenario.config("cart-revenue")
        let model = try #require(config.revenueModel)
        var g = Xoshiro256StarStar(seed: 5)
        let chunk = try Simulator(config).generate(offset: 0, count: Simulator.chunkSize, using: &g)
        let effective = try #require(chunk.truth.effectiveRevenueMean)
        let m = try #require(chunk.truth.revenueMean)
        for i in [0, 1, 500] {
            #expect(effective[0][i] == model.expectedRevenue(severityDelta: 0))
            #expect(abs(effective[1][i] - model.expectedRevenue(severityDelta: m[1][i] - m[0][i])) < 1e-12)
            let p = chunk.truth.conversion
            #expect(abs(chunk.truth.cate[i] - (p[1][i] * effective[1][i] - p[0][i] * effective[0][i])) < 1e-12)
        }
        // Revenue of converters averages the analytic expectation, per arm, within 4 SE.
        for level in 0..<2 {
            var stat = MeanStatistic()
            var expected = 0.0
            for i in 0..<chunk.count where chunk.observation.level[i] == level && chunk.observation.converted[i] {
                stat.add(chunk.observation.revenue[i])
                expected += effective[level][i]
            }
            expected /= Double(stat.n)
            #expect(abs(stat.mean - expected) < 4 * (stat.variance / Double(stat.n)).squareRoot(), "level \(level)")
        }
    }

    @Test("three arms: one contrast per treatment, the headline effect is the largest (seed 004)")
    func threeArms() throws {
        let (observed, truth, sums) = try Self.run(try Scenario.config("three-arm"), visitors: 30_000, seed: 2, parallelism: 2)
        #expect(sums.components.keys.sorted() == ["treatment_1_effect", "treatment_2_effect"])
        #expect(sums.effect == max(sums.components["treatment_1_effect"]!, sums.components["treatment_2_effect"]!))
        let text = String(decoding: observed, as: UTF8.self)
        #expect(text.contains(",treatment_1,") && text.contains(",treatment_2,") && text.contains(",control,"))
        #expect(String(decoding: truth.prefix(200), as: UTF8.self).hasPrefix("v0,"))
        #expect(CSVEncoding(config: try Scenario.config("three-arm")).truthHeader == "visitor_id,cate_1,cate_2,p0,p1,p2\n")
    }

    @Test("an external assignment is followed exactly and validated")
    func external() throws {
        let base = try Scenario.config("three-arm")
        let levels = (0..<300).map { $0 % 3 }
        var config = base
        config.assignment = .external(levels)
        config.visitors = 300
        var g = Xoshiro256StarStar(seed: 1)
        let chunk = try Simulator(config).generate(offset: 0, count: 300, using: &g)
        #expect(chunk.observation.level == levels)
        #expect(chunk.observation.counts == [100, 100, 100])
        let truth = chunk.truth
        var g2 = Xoshiro256StarStar(seed: 1)
        #expect(throws: SimulationError.self) { try Observation(truth: truth, assignment: .external([0, 1]), using: &g2) }
        #expect(throws: SimulationError.self) { try Observation(truth: truth, assignment: .external(levels.map { $0 + 1 }), using: &g2) }
        #expect(throws: SimulationError.self) { try Observation(truth: truth, assignment: .allocation(0.5), using: &g2) }
    }

    @Test("surface outputs are validated with the surface and the visitor named")
    func surfaceValidation() throws {
        let yaml = ConfigTests.base.replacingOccurrences(of: "p1: sigmoid(-2.8 + 0.4*f0 - 0.3*f1 + 0.2*mobile)", with: "p1: 0.5 + f0")
        let config = try SimulationConfig(yaml: yaml)
        var g = Xoshiro256StarStar(seed: 1)
        do {
            _ = try Simulator(config).generate(offset: 1000, count: 500, using: &g)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("surface 'p1': all values must be in [0, 1], visitor 10"), "\(error.message)")
        }
        let logOfNegative = ConfigTests.base.replacingOccurrences(of: "p1: sigmoid(-2.8 + 0.4*f0 - 0.3*f1 + 0.2*mobile)", with: "p1: log(f0 - 100)")
        var g2 = Xoshiro256StarStar(seed: 1)
        do {
            _ = try Simulator(try SimulationConfig(yaml: logOfNegative)).generate(offset: 0, count: 500, using: &g2)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("surface 'p1' is not finite"), "\(error.message)")
        }
    }

    @Test(
        "fixed-point numbers are printf's %.6f (without negative zero)",
        arguments: [0.0, 1.0, -1.0, 0.5, 1e-7, -4e-7, 123.4567891, -0.000001, 2.5e-6, 9_000_000.25, -37.000001, 1e20])
    func fixedPoint(x: Double) {
        var out: [UInt8] = []
        CSVEncoding.appendFixed(x, decimals: 6, to: &out)
        let text = String(decoding: out, as: UTF8.self)
        if abs(x) >= 9e12 {
            #expect(Double(text) == x)
        } else {
            let printf = String(format: "%.6f", x)
            #expect(text == (printf == "-0.000000" ? "0.000000" : printf), "\(x) → \(text) vs \(printf)")
        }
        var twelve: [UInt8] = []
        CSVEncoding.appendFixed(0.012785451418643875, decimals: 12, to: &twelve)
        #expect(String(decoding: twelve, as: UTF8.self) == "0.012785451419")
    }
}
