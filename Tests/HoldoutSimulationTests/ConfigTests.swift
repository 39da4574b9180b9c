import Foundation
import HoldoutSimulation
import Testing

@Suite("YAML configs and built-in scenarios")
struct ConfigTests {
    static let base = """
        name: small
        visitors: 1000
        seed: 7
        features:
          sampler: copula
          columns: [f0, f1, {name: segment, kind: categorical}, {name: mobile, kind: binary}]
          correlation: {ar1: 0.3}
        metric:
          id: conversion_rate
          p0: sigmoid(-3 + 0.4*f0)
          p1: sigmoid(-2.8 + 0.4*f0 - 0.3*f1 + 0.2*mobile)
        assignment:
          treatment_allocation: 0.5
        """

    /// The base config with one line replaced.
    static func variant(_ old: String, _ new: String) -> String {
        precondition(base.contains(old), "fixture line '\(old)' not found")
        return base.replacingOccurrences(of: old, with: new)
    }

    static func error(_ yaml: String) -> String {
        do {
            _ = try SimulationConfig(yaml: yaml)
            return "no error"
        } catch {
            return error.message
        }
    }

    @Test("every built-in scenario parses, and its features, levels and split are as documented")
    func scenarios() throws {
        for name in Scenario.names {
            let config = try Scenario.config(name)
            #expect(config.name == name)
            #expect(config.experimentID == name)
        }
        let criteo = try Scenario.config("criteo-like")
        #expect(criteo.sampler.features.map(\.name) == (0..<12).map { "f\($0)" })
        #expect(criteo.sampler.features.allSatisfy { $0.kind == .continuous })
        #expect(criteo.assignment == .allocation(0.85))
        #expect(try Scenario.config("email-holdout").assignment == .allocation(0.8))
        #expect(try Scenario.config("three-arm").variantNames == ["control", "treatment_1", "treatment_2"])
        #expect(try Scenario.config("revenue-hurdle").mode.metric == .revenuePerVisitor)
        #expect(try Scenario.config("cart-revenue").revenueModel?.categories.count == 3)
        #expect(throws: SimulationError.self) { try Scenario.config("nope") }
    }

    @Test("the AR(1) and exchangeable shorthands build the matrices they name")
    func correlationShorthands() throws {
        let config = try SimulationConfig(yaml: Self.base)
        guard case .copula = config.sampler else {
            Issue.record("expected a copula")
            return
        }
        // ar1 0.3 on four features is accepted; exchangeable below −1/(d−1) is not (not PSD).
        #expect(Self.error(Self.variant("correlation: {ar1: 0.3}", "correlation: {exchangeable: -0.5}")).contains("features.correlation.exchangeable"))
        #expect(Self.error(Self.variant("correlation: {ar1: 0.3}", "correlation: {ar1: 1.2}")).contains("must be in (−1, 1)"))
    }

    @Test(
        "errors name the line, the field and the fix",
        arguments: [
            ("p1: sigmoid(-2.8 + 0.4*f0 - 0.3*f1 + 0.2*mobile)", "p1: sigmoid(-2.8 + 0.4*f9)", "line 11: metric.p1: at column 20: unknown feature 'f9'"),
            ("p1: sigmoid(-2.8 + 0.4*f0 - 0.3*f1 + 0.2*mobile)", "p1: sigmoid(-2.8 +", "metric.p1: at column"),
            ("treatment_allocation: 0.5", "treatment_allocation: 1.5", "assignment.treatment_allocation: must be in (0, 1)"),
            ("treatment_allocation: 0.5", "treatment_probabilities: [0.5, 0.6]", "treatment_probabilities must sum to 1"),
            ("treatment_allocation: 0.5", "treatment_probabilities: [0.3, 0.3, 0.4]", "has 3 entries but the metric has 2 levels"),
            ("treatment_allocation: 0.5", "treatment_probabilities: [1.0]", "at least 2 entries"),
            ("treatment_allocation: 0.5", "treatment_probabilities: [0, 1.0]", "must be in (0, 1)"),
            ("id: conversion_rate", "id: ctr", "metric.id: must be one of conversion_rate, revenue_per_visitor; got 'ctr'"),
            ("id: conversion_rate", "id: revenue_per_visitor", "revenue_per_visitor requires m0, m1, sigma0 and sigma1"),
            ("seed: 7", "seed: -1", "line 3: seed: expected an integer"),
            ("visitors: 1000", "visitors: 0", "visitors: expected an integer ≥ 1"),
            ("visitors: 1000", "visitor: 1000", "line 2: visitor: unknown field (expected one of: name,"),
            (
                "{name: segment, kind: categorical}", "{name: segment, kind: ordinal}",
                "features.columns[2].kind: must be one of continuous, categorical, binary"
            ),
            ("{name: segment, kind: categorical}", "f0", "feature 'f0' is listed twice"),
            ("correlation: {ar1: 0.3}", "correlation: [[1, 0.5], [0.5, 1]]", "features.correlation: must have 4 rows"),
            ("correlation: {ar1: 0.3}", "correlation: [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0.5,0,0,1]]", "not symmetric"),
            ("correlation: {ar1: 0.3}", "correlation: [[2,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]", "diagonal must be 1.0"),
            ("correlation: {ar1: 0.3}", "correlation: [[1,0.9,0.9,0],[0.9,1,-0.9,0],[0.9,-0.9,1,0],[0,0,0,1]]", "positive semi-definite"),
            ("sampler: copula", "sampler: gaussian", "features.sampler: must be copula or mixture"),
            ("p0: sigmoid(-3 + 0.4*f0)", "p0: sigmoid(-3 + 0.4*f0)\n  m0: \"10\"", "conversion_rate must not have revenue (m0/m1)"),
            ("p0: sigmoid(-3 + 0.4*f0)", "p0: sigmoid(-3 + 0.4*f0)\n  p: [\"0.1\", \"0.2\", \"0.3\"]", "cannot mix the paired form"),
        ])
    func errors(old: String, new: String, expected: String) {
        let message = Self.error(Self.variant(old, new))
        #expect(message.contains(expected), "\(message)")
    }

    @Test("the list form is for K ≥ 3; a revenue model needs revenue_per_visitor; K = 3 needs probabilities")
    func forms() {
        let two = Self.variant(
            "  p0: sigmoid(-3 + 0.4*f0)\n  p1: sigmoid(-2.8 + 0.4*f0 - 0.3*f1 + 0.2*mobile)", "  p: [\"0.1\", \"0.2\"]")
        #expect(Self.error(two).contains("the list surface form is for K ≥ 3 (got 2 entries)"))
        let three = Self.variant("  p0: sigmoid(-3 + 0.4*f0)\n  p1: sigmoid(-2.8 + 0.4*f0 - 0.3*f1 + 0.2*mobile)", "  p: [\"0.1\", \"0.2\", \"0.3\"]")
        #expect(Self.error(three).contains("treatment_allocation is the paired (K = 2) form"))
        let cart = Self.base + "\nrevenue_model:\n  cart:\n    - {name: a, base_purchase_prob: 0.5, base_price: 10}\n"
        #expect(Self.error(cart).contains("revenue_model: a revenue model applies to revenue_per_visitor only"))
        #expect(Self.error("name: [1, 2]").contains("name: expected a string"))
        #expect(Self.error("name: x\nfeatures: {columns: [a]}\nmetric: {id: conversion_rate, p0: '0.1', p1: '0.2'\n").contains("not valid YAML: line"))
    }

    @Test("a mixture config gives each cluster its parameters, and surfaces may read cluster_id")
    func mixture() throws {
        let yaml = """
            name: mix
            visitors: 20000
            seed: 3
            features:
              sampler: mixture
              columns: [{name: spend, kind: continuous}, {name: app, kind: binary}, {name: plan, kind: categorical}]
              clusters:
                - {weight: 1, spend: {mean: 0, std: 1}, app: {prob: 0.1}, plan: {probs: {free: 1}}}
                - {weight: 3, spend: {mean: 10, std: 1}, app: {prob: 0.9}, plan: {probs: {free: 0.5, pro: 0.5}}}
            metric:
              id: conversion_rate
              p0: "0.1 + 0.1*cluster_id"
              p1: "0.1 + 0.1*cluster_id + 0.01*app"
            """
        let config = try SimulationConfig(yaml: yaml)
        var g = Xoshiro256StarStar(seed: 1)
        let chunk = try Simulator(config).generate(offset: 0, count: 20_000, using: &g)
        let clusters = try #require(chunk.features.clusters)
        let share = Double(clusters.filter { $0 == 1 }.count) / 20_000
        #expect(abs(share - 0.75) < 4 * (0.75 * 0.25 / 20_000).squareRoot())
        for i in 0..<100 { #expect(chunk.truth.conversion[0][i] == 0.1 + 0.1 * Double(clusters[i])) }
        let bad = yaml.replacingOccurrences(of: "weight: 3", with: "weight: 0")
        #expect(Self.error(bad).contains("features.clusters: all weight values must be strictly positive"))
        let missing = yaml.replacingOccurrences(of: ", app: {prob: 0.1}", with: "")
        #expect(Self.error(missing).contains("features.clusters[0].app: missing"))
    }
}
