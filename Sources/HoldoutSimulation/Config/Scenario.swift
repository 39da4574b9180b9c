/// The built-in scenarios: YAML config documents in the same format users write, so
/// `holdout simulate --scenario NAME --print-config` is a starting point for a config of one's
/// own.
public enum Scenario {
    /// Names in the order they are listed and published.
    public static let names = ["criteo-like", "email-holdout", "revenue-hurdle", "cart-revenue", "three-arm", "null"]

    /// The YAML document of a built-in scenario.
    public static func yaml(_ name: String) -> String? { documents[name] }

    /// The parsed scenario.
    ///
    /// - Throws: ``SimulationError`` for an unknown name, listing the known ones.
    public static func config(_ name: String) throws(SimulationError) -> SimulationConfig {
        guard let text = documents[name] else {
            throw SimulationError("unknown scenario '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return try SimulationConfig(yaml: text)
    }

    static let documents: [String: String] = [
        "criteo-like": """
        # Like the Criteo Uplift data set (visit outcome): 12 continuous features, 85% treated,
        # a conversion rate of about 4.7% overall (about 3.8% without treatment), and an effect
        # that varies with the features — about one visitor in four is hurt.
        name: criteo-like
        description: 12 correlated features f0…f11, 85/15 split, base rate ≈ 4.7%, heterogeneous effect that hurts about a quarter of users
        visitors: 1000000
        seed: 2026
        features:
          sampler: copula
          columns: [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11]
          correlation: {ar1: 0.3}
        metric:
          id: conversion_rate
          p0: sigmoid(-3.5 + 0.55*f0 + 0.35*f1 - 0.25*f2 + 0.2*f3 + 0.15*f4*(f7 > 0))
          p1: sigmoid(-3.5 + 0.55*f0 + 0.35*f1 - 0.25*f2 + 0.2*f3 + 0.15*f4*(f7 > 0) + 0.23 + 0.35*f5 - 0.25*f6*(f8 > 0.5))
        assignment:
          treatment_allocation: 0.85
        """,
        "email-holdout": """
        # Seed 001's email holdout: 80% get the campaign, 20% are held out; two populations
        # (engaged and dormant subscribers); the campaign works mostly on the engaged.
        name: email-holdout
        description: 80/20 email holdout, engaged and dormant populations (mixture), conversion ≈ 4% → 5%
        visitors: 200000
        seed: 1
        features:
          sampler: mixture
          columns:
            - {name: opens_90d, kind: continuous}
            - {name: tenure_years, kind: continuous}
            - {name: plan, kind: categorical}
            - {name: mobile, kind: binary}
          clusters:
            - weight: 0.35
              opens_90d: {mean: 12, std: 4}
              tenure_years: {mean: 3, std: 1.5}
              plan: {probs: {free: 0.5, plus: 0.35, pro: 0.15}}
              mobile: {prob: 0.7}
            - weight: 0.65
              opens_90d: {mean: 1, std: 1}
              tenure_years: {mean: 1.5, std: 1}
              plan: {probs: {free: 0.8, plus: 0.15, pro: 0.05}}
              mobile: {prob: 0.5}
        metric:
          id: conversion_rate
          p0: sigmoid(-3.86 + 0.06*opens_90d + 0.1*tenure_years + 0.2*plan)
          p1: sigmoid(-3.86 + 0.06*opens_90d + 0.1*tenure_years + 0.2*plan + 0.05 + 0.025*opens_90d + 0.08*mobile)
        assignment:
          treatment_allocation: 0.8
        """,
        "revenue-hurdle": """
        # Revenue per visitor as a hurdle: convert, then a lognormal order value with mean m
        # and dispersion sigma. Treatment lifts conversion a little and order value more for
        # high-intent visitors.
        name: revenue-hurdle
        description: revenue per visitor (conversion × lognormal order value), 50/50, effect on both parts
        visitors: 200000
        seed: 3
        features:
          sampler: copula
          columns: [intent, basket, recency, {name: returning, kind: binary}]
          correlation:
            - [1.0, 0.4, -0.2, 0.3]
            - [0.4, 1.0, 0.0, 0.2]
            - [-0.2, 0.0, 1.0, -0.1]
            - [0.3, 0.2, -0.1, 1.0]
        metric:
          id: revenue_per_visitor
          p0: sigmoid(-3 + 0.5*intent - 0.2*recency + 0.3*returning)
          p1: sigmoid(-2.9 + 0.5*intent - 0.2*recency + 0.3*returning)
          m0: 45*exp(0.25*basket)
          m1: 45*exp(0.25*basket)*(1.02 + 0.04*(intent > 0.5))
          sigma0: "0.8"
          sigma1: "0.8"
        assignment:
          treatment_allocation: 0.5
        calibration:
          covariates: [intent, basket, recency]
        """,
        "cart-revenue": """
        # Seed 004's cart model: a converter buys each category with its own probability,
        # treatment shifts the log-odds of every category by (m1 − m0) times its weight;
        # prices are truncated normals; an empty cart buys the cheapest category.
        name: cart-revenue
        description: revenue per visitor from carts of three categories; treatment fills carts (severity shift m1 − m0)
        visitors: 200000
        seed: 5
        features:
          sampler: copula
          columns: [intent, loyalty]
          correlation: {exchangeable: 0.3}
        metric:
          id: revenue_per_visitor
          p0: sigmoid(-2.9 + 0.4*intent)
          p1: sigmoid(-2.85 + 0.4*intent)
          m0: "1"
          m1: 1.4 + 0.3*(loyalty > 0)
          sigma0: "1"
          sigma1: "1"
        assignment:
          treatment_allocation: 0.5
        revenue_model:
          cart:
            - {name: shoes, base_purchase_prob: 0.3, base_price: 80, price_std: 25}
            - {name: socks, base_purchase_prob: 0.5, base_price: 12, price_std: 3}
            - {name: bags, base_purchase_prob: 0.1, base_price: 120, price_std: 30}
        """,
        "three-arm": """
        # Three levels (control and two treatments) with equal probabilities: treatment_1
        # helps, treatment_2 helps more for visitors with f0 > 0 and hurts the others.
        name: three-arm
        description: control + two treatments (K = 3), one effect per contrast
        visitors: 300000
        seed: 7
        features:
          sampler: copula
          columns: [f0, f1, f2]
          correlation: {ar1: 0.2}
        metric:
          id: conversion_rate
          p:
            - sigmoid(-2.5 + 0.4*f0 + 0.2*f1)
            - sigmoid(-2.4 + 0.4*f0 + 0.2*f1)
            - sigmoid(-2.5 + 0.4*f0 + 0.2*f1 + 0.3*(f0 > 0) - 0.15)
        assignment:
          treatment_probabilities: [0.34, 0.33, 0.33]
        """,
        "null": """
        # No effect anywhere: p1 = p0 for every visitor, so every rejection is a false
        # positive (Type I error).
        name: "null"
        description: no effect for anyone (p1 = p0), 50/50 — rejections are Type I errors
        visitors: 200000
        seed: 11
        features:
          sampler: copula
          columns: [f0, f1, f2, f3]
          correlation: {ar1: 0.4}
        metric:
          id: conversion_rate
          p0: sigmoid(-2.3 + 0.6*f0 - 0.3*f1 + 0.2*f2)
          p1: sigmoid(-2.3 + 0.6*f0 - 0.3*f1 + 0.2*f2)
        assignment:
          treatment_allocation: 0.5
        """,
    ]
}
