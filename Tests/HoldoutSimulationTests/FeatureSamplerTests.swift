import HoldoutSimulation
import Testing

@Suite("Feature samplers (seed 004)")
struct FeatureSamplerTests {
    let features = [
        FeatureSpec(name: "f0", kind: .continuous), FeatureSpec(name: "f1", kind: .continuous),
        FeatureSpec(name: "segment", kind: .categorical), FeatureSpec(name: "mobile", kind: .binary),
    ]
    let correlation: [[Double]] = [[1, 0.5, 0.2, 0], [0.5, 1, 0, 0.3], [0.2, 0, 1, 0], [0, 0.3, 0, 1]]

    @Test("copula marginals: standard normal, four equal bins, fair binary; correlation kept")
    func copula() throws {
        let sampler = try CopulaSampler(features: features, correlation: correlation)
        var g = Xoshiro256StarStar(seed: 5)
        let n = 100_000
        let table = sampler.sample(n, using: &g)
        #expect(table.count == n && table.clusters == nil)
        guard case .continuous(let f0) = table.columns[0], case .continuous(let f1) = table.columns[1],
            case .categorical(let labels, let codes) = table.columns[2], case .binary(let mobile) = table.columns[3]
        else {
            Issue.record("wrong column kinds")
            return
        }
        let m0 = f0.reduce(0, +) / Double(n)
        let v0 = f0.reduce(0) { $0 + ($1 - m0) * ($1 - m0) } / Double(n - 1)
        #expect(abs(m0) < 4 / Double(n).squareRoot() && abs(v0 - 1) < 0.02)
        let m1 = f1.reduce(0, +) / Double(n)
        let r = zip(f0, f1).reduce(0) { $0 + ($1.0 - m0) * ($1.1 - m1) } / Double(n - 1)
        #expect(abs(r - 0.5) < 0.015, "correlation \(r)")
        #expect(labels == ["cat_0", "cat_1", "cat_2", "cat_3"])
        for bin in 0..<4 {
            let share = Double(codes.filter { $0 == bin }.count) / Double(n)
            #expect(abs(share - 0.25) < 4 * (0.25 * 0.75 / Double(n)).squareRoot(), "bin \(bin): \(share)")
        }
        let ones = Double(mobile.filter { $0 }.count) / Double(n)
        #expect(abs(ones - 0.5) < 4 * (0.25 / Double(n)).squareRoot())
    }

    @Test(
        "bad correlation matrices are refused with the reason",
        arguments: [
            ([[1.0, 0.5], [0.5, 1.0], [0, 0]], "2×2"),
            ([[1.0, 0.5], [0.4, 1.0]], "symmetric"),
            ([[2.0, 0.0], [0.0, 1.0]], "diagonal"),
            ([[1.0, 1.5], [1.5, 1.0]], "positive semi-definite"),
        ])
    func invalidCorrelation(matrix: [[Double]], reason: String) {
        do {
            _ = try CopulaSampler(features: Array(features.prefix(2)), correlation: matrix)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test("mixture: clusters follow their weights and their parameters")
    func mixture() throws {
        let sampler = try MixtureSampler(
            features: [FeatureSpec(name: "spend", kind: .continuous), FeatureSpec(name: "plan", kind: .categorical), FeatureSpec(name: "app", kind: .binary)],
            weights: [3, 1],
            clusters: [
                ["spend": .continuous(mean: 10, standardDeviation: 1), "plan": .categorical([("free", 1)]), "app": .binary(probability: 0.1)],
                ["spend": .continuous(mean: 50, standardDeviation: 5), "plan": .categorical([("free", 1), ("pro", 3)]), "app": .binary(probability: 0.9)],
            ])
        var g = Xoshiro256StarStar(seed: 8)
        let n = 80_000
        let table = sampler.sample(n, using: &g)
        let clusters = try #require(table.clusters)
        let share = Double(clusters.filter { $0 == 1 }.count) / Double(n)
        #expect(abs(share - 0.25) < 4 * (0.25 * 0.75 / Double(n)).squareRoot())
        guard case .continuous(let spend) = table.columns[0], case .categorical(let labels, let codes) = table.columns[1] else {
            Issue.record("wrong kinds")
            return
        }
        #expect(labels == ["free", "pro"])
        let big = zip(spend, clusters).filter { $0.1 == 1 }.map(\.0)
        #expect(abs(big.reduce(0, +) / Double(big.count) - 50) < 0.2)
        let proInSmall = zip(codes, clusters).filter { $0.1 == 0 && $0.0 == 1 }.count
        #expect(proInSmall == 0)
    }

    @Test("mixture validation names the problem")
    func invalidMixture() {
        let features = [FeatureSpec(name: "x", kind: .continuous)]
        #expect(throws: SimulationError.self) {
            try MixtureSampler(
                features: features, weights: [1, 0],
                clusters: [["x": .continuous(mean: 0, standardDeviation: 1)], ["x": .continuous(mean: 0, standardDeviation: 1)]])
        }
        #expect(throws: SimulationError.self) { try MixtureSampler(features: features, weights: [1], clusters: [[:]]) }
        #expect(throws: SimulationError.self) { try MixtureSampler(features: features, weights: [1], clusters: [["x": .binary(probability: 0.5)]]) }
        #expect(throws: SimulationError.self) {
            try MixtureSampler(features: features, weights: [1, 1], clusters: [["x": .continuous(mean: 0, standardDeviation: 1)]])
        }
    }

    @Test("the same seed gives the same table")
    func reproducible() throws {
        let sampler = try CopulaSampler(features: features, correlation: correlation)
        var a = Xoshiro256StarStar(seed: 1)
        var b = Xoshiro256StarStar(seed: 1)
        #expect(sampler.sample(500, using: &a) == sampler.sample(500, using: &b))
    }
}
