import Foundation
import HoldoutSimulation
import HoldoutStats
import Testing

@Suite("Seeded randomness")
struct RandomTests {
    struct Vectors: Decodable {
        struct V: Decodable {
            let seed: String
            let next: [String]
            let uniform: [Double]
            let normal: [Double]
        }
        let vectors: [V]
    }

    @Test("xoshiro256**, uniforms and normals match an independent Python implementation bit for bit")
    func vectors() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("spec/random-vectors.json")
        let file = try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
        #expect(file.vectors.count == 5)
        for v in file.vectors {
            let seed = try #require(UInt64(v.seed))
            var g = Xoshiro256StarStar(seed: seed)
            #expect(v.next.map { UInt64($0)! } == (0..<8).map { _ in g.next() }, "seed \(seed)")
            g = Xoshiro256StarStar(seed: seed)
            #expect(v.uniform == (0..<4).map { _ in g.nextUniform() })
            g = Xoshiro256StarStar(seed: seed)
            let normals = (0..<6).map { _ in g.nextNormal() }
            for (a, b) in zip(normals, v.normal) { #expect(abs(a - b) <= 1e-15 * max(1, abs(b)), "normal \(a) vs \(b)") }
        }
    }

    @Test("normal draws pass a Kolmogorov–Smirnov test against Φ")
    func normalDistribution() {
        var g = Xoshiro256StarStar(seed: 7)
        let n = 200_000
        let sample = (0..<n).map { _ in g.nextNormal() }.sorted()
        let d = kolmogorovSmirnovNormal(sorted: sample)
        // The 0.1% critical value of the KS statistic is about 1.95/√n.
        #expect(d < 1.95 / Double(n).squareRoot(), "KS D = \(d)")
        let mean = sample.reduce(0, +) / Double(n)
        #expect(abs(mean) < 4 / Double(n).squareRoot())
    }

    @Test("lognormal with mean m and dispersion σ has mean m; categorical follows its weights")
    func lognormalAndCategorical() {
        var g = Xoshiro256StarStar(seed: 11)
        let n = 400_000
        let m = 40.0
        let sigma = 0.8
        let draws = (0..<n).map { _ in g.nextLognormal(mean: m, sigma: sigma) }
        let mean = draws.reduce(0, +) / Double(n)
        let sd = m * (Foundation.exp(sigma * sigma) - 1).squareRoot()  // lognormal standard deviation
        #expect(abs(mean - m) < 4 * sd / Double(n).squareRoot(), "mean \(mean)")
        var counts = [0, 0, 0]
        for _ in 0..<n { counts[g.nextCategorical(weights: [0.2, 0.5, 0.3])] += 1 }
        for (c, p) in zip(counts, [0.2, 0.5, 0.3]) {
            let se = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(Double(c) / Double(n) - p) < 4 * se)
        }
    }

    @Test("multivariate normal reproduces its covariance; bad matrices are refused")
    func multivariate() throws {
        let sigma = [[1.0, 0.6, -0.3], [0.6, 2.0, 0.1], [-0.3, 0.1, 0.5]]
        let mvn = try MultivariateNormal(mean: [1, -2, 0.5], covariance: sigma)
        var g = Xoshiro256StarStar(seed: 3)
        let n = 200_000
        var sums = [Double](repeating: 0, count: 3)
        var cross = [[Double]](repeating: [0, 0, 0], count: 3)
        for _ in 0..<n {
            let x = mvn.sample(using: &g)
            for i in 0..<3 {
                sums[i] += x[i]
                for j in 0..<3 { cross[i][j] += x[i] * x[j] }
            }
        }
        for i in 0..<3 {
            for j in 0..<3 {
                let cov = cross[i][j] / Double(n) - sums[i] / Double(n) * sums[j] / Double(n)
                // SE of a sample covariance ≈ √((σᵢᵢσⱼⱼ + σᵢⱼ²)/n).
                let se = ((sigma[i][i] * sigma[j][j] + sigma[i][j] * sigma[i][j]) / Double(n)).squareRoot()
                #expect(abs(cov - sigma[i][j]) < 5 * se, "cov[\(i)][\(j)] = \(cov)")
            }
        }
        #expect(throws: MultivariateNormal.InvalidCovariance.self) { try MultivariateNormal(mean: [0, 0], covariance: [[1, 0.5], [0.4, 1]]) }
        #expect(throws: MultivariateNormal.InvalidCovariance.self) { try MultivariateNormal(mean: [0, 0], covariance: [[1, 2], [2, 1]]) }
        #expect(throws: MultivariateNormal.InvalidCovariance.self) { try MultivariateNormal(mean: [0], covariance: [[1, 0], [0, 1]]) }
        // Singular but semi-definite is fine: perfectly correlated coordinates.
        let degenerate = try MultivariateNormal(mean: [0, 0], covariance: [[1, 1], [1, 1]])
        let x = degenerate.sample(using: &g)
        #expect(abs(x[0] - x[1]) < 1e-12)
    }

    @Test("the same seed gives the same stream; jump gives a different one")
    func reproducible() {
        var a = Xoshiro256StarStar(seed: 99)
        var b = Xoshiro256StarStar(seed: 99)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
        var c = Xoshiro256StarStar(seed: 99)
        c.jump()
        var d = Xoshiro256StarStar(seed: 99)
        #expect((0..<10).map { _ in c.next() } != (0..<10).map { _ in d.next() })
    }
}

@Suite("Ziggurat normals")
struct ZigguratTests {
    @Test("ziggurat draws pass a Kolmogorov–Smirnov test against Φ and have the normal's moments, tails included")
    func distribution() {
        var g = Xoshiro256StarStar(seed: 99)
        let n = 400_000
        let sample = (0..<n).map { _ in g.nextNormalZiggurat() }.sorted()
        let d = kolmogorovSmirnovNormal(sorted: sample)
        // The 0.1% critical value of the KS statistic is about 1.95/√n.
        #expect(d < 1.95 / Double(n).squareRoot(), "KS D = \(d)")
        let mean = sample.reduce(0, +) / Double(n)
        let variance = sample.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        let kurtosis = sample.reduce(0) { $0 + pow($1 - mean, 4) } / Double(n) / (variance * variance)
        #expect(abs(mean) < 4 / Double(n).squareRoot())
        #expect(abs(variance - 1) < 4 * (2 / Double(n)).squareRoot())
        #expect(abs(kurtosis - 3) < 4 * (24 / Double(n)).squareRoot())
        // The tail beyond R = 3.4426 (the layer-0 path): P(|Z| > R) = 2·Φ(−R) = 5.76e-4.
        let tail = Double(sample.filter { abs($0) > 3.442619855899 }.count) / Double(n)
        let expected = 2 * Normal.sf(3.442619855899)
        #expect(abs(tail - expected) < 4 * (expected / Double(n)).squareRoot(), "tail \(tail) vs \(expected)")
        // Beyond 4: P(|Z| > 4) = 6.3e-5, about 25 draws here.
        #expect(sample.last! > 4 || sample.first! < -4)
    }
}

/// The Kolmogorov–Smirnov statistic D of a sorted sample against the standard normal Φ.
func kolmogorovSmirnovNormal(sorted sample: [Double]) -> Double {
    let n = Double(sample.count)
    var d = 0.0
    for (i, x) in sample.enumerated() {
        let f = Normal.cdf(x)
        d = max(d, abs(f - Double(i) / n), abs(Double(i + 1) / n - f))
    }
    return d
}
