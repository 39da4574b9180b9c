import HoldoutSimulation
import Testing

/// HoldoutSimulation's population truth against an independent numpy computation of the same
/// scenarios (other generator, surfaces written out by hand): the output of
/// `python3 Scripts/reference/simulation_reference.py` (numpy 2.4.6, PCG64 seed 20260101,
/// 20,000,000 visitors per scenario). Tolerance: 4 combined Monte-Carlo standard errors.
@Suite("Scenario truth against numpy")
struct ReferenceTests {
    /// (mean, standard error) from the script.
    static let criteo: [String: (Double, Double)] = [
        "p0": (0.03771556688742919, 6.7006324329753345e-06),
        "p1": (0.049184706409337996, 9.683987876142698e-06),
        "cate": (0.0114691395219088, 4.812336820391663e-06),
        "hurt": (0.26519365, 9.870815258705254e-05),
    ]
    static let hurdle: [String: (Double, Double)] = [
        "cate": (0.43922809525161544, 8.483160147776255e-05),
        "conv_effect": (0.2957744360597218, 4.5926603740587425e-05),
        "aov_effect": (0.14345365919189362, 4.0160442644929095e-05),
        "p0m0": (3.1257404452530326, 0.000541364395187389),
    ]

    /// Per-visitor quantities of `scenario` over `visitors` visitors, as (mean, SE).
    static func moments(
        _ scenario: String, visitors: Int, _ quantities: @escaping @Sendable (Truth, Int) -> [String: Double]
    ) throws -> [String: (Double, Double)] {
        var sums: [String: (Double, Double)] = [:]
        try Simulator(try Scenario.config(scenario)).run(visitors: visitors, seed: 77, parallelism: 2) { chunk in
            var local: [String: (Double, Double)] = [:]
            for i in 0..<chunk.count {
                for (key, value) in quantities(chunk.truth, i) {
                    let s = local[key] ?? (0, 0)
                    local[key] = (s.0 + value, s.1 + value * value)
                }
            }
            return local
        } consume: { local in
            for (key, s) in local {
                let t = sums[key] ?? (0, 0)
                sums[key] = (t.0 + s.0, t.1 + s.1)
            }
        }
        let n = Double(visitors)
        return sums.mapValues { s in
            let mean = s.0 / n
            return (mean, ((s.1 - n * mean * mean) / (n - 1) / n).squareRoot())
        }
    }

    static func check(_ swift: [String: (Double, Double)], _ reference: [String: (Double, Double)], _ scenario: String) {
        for (key, ref) in reference {
            guard let mine = swift[key] else {
                Issue.record("\(scenario): no \(key)")
                continue
            }
            let tolerance = 4 * (mine.1 * mine.1 + ref.1 * ref.1).squareRoot()
            #expect(abs(mine.0 - ref.0) <= tolerance, "\(scenario) \(key): Swift \(mine.0) ± \(mine.1), numpy \(ref.0) ± \(ref.1)")
        }
    }

    @Test("criteo-like: mean p0, p1, CATE and the share of visitors hurt agree with numpy")
    func criteoLike() throws {
        let swift = try Self.moments("criteo-like", visitors: 4 * Simulator.chunkSize) { truth, i in
            ["p0": truth.conversion[0][i], "p1": truth.conversion[1][i], "cate": truth.cate[i], "hurt": truth.cate[i] < 0 ? 1 : 0]
        }
        Self.check(swift, Self.criteo, "criteo-like")
    }

    @Test("revenue-hurdle: the effect and its conversion and order-value parts agree with numpy")
    func revenueHurdle() throws {
        let swift = try Self.moments("revenue-hurdle", visitors: 4 * Simulator.chunkSize) { truth, i in
            let p = truth.conversion
            let m = truth.revenueMean!
            return [
                "cate": truth.cate[i], "conv_effect": (p[1][i] - p[0][i]) * m[0][i], "aov_effect": p[1][i] * (m[1][i] - m[0][i]),
                "p0m0": p[0][i] * m[0][i],
            ]
        }
        Self.check(swift, Self.hurdle, "revenue-hurdle")
    }
}
