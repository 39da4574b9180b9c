import Foundation
import HoldoutSimulation
import Testing

@Suite("Surfaces and their expression language")
struct SurfaceTests {
    @Test("seed 004's example parses and evaluates like the closed form")
    func example() throws {
        let s = try Surface.parse("sigmoid(-3 + 0.4*f0 - 0.2*f1 + 0.5*(f2 > 0.3))", features: ["f0", "f1", "f2"])
        for (f0, f1, f2) in [(0.0, 0.0, 0.0), (1.5, -2.0, 0.31), (-1, 3, 0.3)] {
            let values = ["f0": f0, "f1": f1, "f2": f2]
            let z = -3 + 0.4 * f0 - 0.2 * f1 + 0.5 * (f2 > 0.3 ? 1 : 0)
            #expect(abs(s.evaluate { values[$0] ?? .nan } - 1 / (1 + exp(-z))) < 1e-15)
        }
        #expect(s.features == ["f0", "f1", "f2"])
    }

    @Test("precedence, unary minus, functions and comparisons")
    func precedence() throws {
        func eval(_ text: String, _ x: Double = 2) throws -> Double { try Surface.parse(text).evaluate { _ in x } }
        #expect(try eval("1 + 2 * 3") == 7)
        #expect(try eval("(1 + 2) * 3") == 9)
        #expect(try eval("-x * 2") == -4)
        #expect(try eval("x - 1 - 1") == 0)
        #expect(try eval("8 / x / 2") == 2)
        #expect(try eval("max(x, 5) + min(x, 5)") == 7)
        #expect(try eval("x >= 2") == 1 && (try eval("x < 2")) == 0)
        #expect(try eval("1.5e-1 * 10") == 1.5)
        #expect(abs(try eval("log(exp(x))") - 2) < 1e-15)
    }

    @Test(
        "errors give the position and the reason",
        arguments: [
            ("1 +", 4, "expected a number"),
            ("sigmoid(x", 10, "expected ')'"),
            ("foo(1)", 1, "unknown function 'foo'"),
            ("f9 * 2", 1, "unknown feature 'f9'"),
            ("2 $ 3", 3, "unexpected '$'"),
            ("min(1)", 1, "two arguments"),
            ("(1 + 2", 7, "expected ')'"),
        ])
    func errors(text: String, position: Int, reason: String) {
        do {
            _ = try Surface.parse(text, features: ["f0", "x"])
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.position == position, "\(text): \(error)")
            #expect(error.reason.contains(reason), "\(text): \(error)")
        }
    }

    @Test("evaluation over a table is validated with the surface named")
    func validation() throws {
        let sampler = try CopulaSampler(features: [FeatureSpec(name: "f0", kind: .continuous)], correlation: [[1]])
        var g = Xoshiro256StarStar(seed: 2)
        let table = sampler.sample(1_000, using: &g)
        let p = try Surface.sigmoid(.linear(intercept: -2, coefficients: ["f0": 0.5])).evaluate(on: table, name: "p1", bounds: 0...1)
        #expect(p.count == 1_000 && p.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(throws: SimulationError.self) { try Surface.feature("f0").evaluate(on: table, name: "p0", bounds: 0...1) }
        do {
            _ = try Surface.log(.feature("f0")).evaluate(on: table, name: "m1")
            Issue.record("expected a non-finite error")
        } catch {
            #expect(error.message.contains("surface 'm1' is not finite"))
        }
        do {
            _ = try Surface.feature("age").evaluate(on: table, name: "p0")
            Issue.record("expected an unknown-feature error")
        } catch {
            #expect(error.message.contains("reads feature 'age'"))
        }
    }
}
