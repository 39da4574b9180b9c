/// The metric a simulation produces and its potential-outcome surfaces, one set per treatment
/// level (level 0 is control) — seed 004's `MetricMode`.
///
/// - `conversion_rate`: conversion probability surfaces p_k(x) only.
/// - `revenue_per_visitor` (hurdle): p_k(x), then for converters a lognormal revenue with mean
///   m_k(x) and dispersion σ_k(x) (μ = ln m − σ²/2).
public struct MetricMode: Sendable, Hashable {
    public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
        case conversionRate = "conversion_rate"
        case revenuePerVisitor = "revenue_per_visitor"

        /// The metric family reported in `truth.json`.
        public var family: String {
            switch self {
            case .conversionRate: "binary"
            case .revenuePerVisitor: "hurdle"
            }
        }
    }

    public let metric: Metric
    /// Conversion surfaces, one per level (K ≥ 2).
    public let conversion: [Surface]
    /// Revenue-mean surfaces, one per level (hurdle only).
    public let revenueMean: [Surface]?
    /// Lognormal dispersion surfaces, one per level (hurdle only).
    public let dispersion: [Surface]?

    public var levels: Int { conversion.count }

    /// The paired (K = 2) form.
    public static func paired(
        _ metric: Metric, p0: Surface, p1: Surface, m0: Surface? = nil, m1: Surface? = nil, sigma0: Surface? = nil,
        sigma1: Surface? = nil
    ) throws(SimulationError) -> MetricMode {
        let hurdle = [m0, m1, sigma0, sigma1]
        switch metric {
        case .conversionRate:
            guard hurdle.allSatisfy({ $0 == nil }) else {
                throw SimulationError("conversion_rate must not have revenue (m0/m1) or dispersion (sigma0/sigma1) surfaces")
            }
            return try MetricMode(metric: metric, conversion: [p0, p1], revenueMean: nil, dispersion: nil)
        case .revenuePerVisitor:
            guard let m0, let m1, let sigma0, let sigma1 else {
                throw SimulationError("revenue_per_visitor needs m0, m1, sigma0 and sigma1 surfaces")
            }
            return try MetricMode(metric: metric, conversion: [p0, p1], revenueMean: [m0, m1], dispersion: [sigma0, sigma1])
        }
    }

    /// The list form for K ≥ 3 levels.
    public static func multi(_ metric: Metric, p: [Surface], m: [Surface]? = nil, sigma: [Surface]? = nil) throws(SimulationError) -> MetricMode {
        guard p.count >= 3 else {
            throw SimulationError("the list surface form is for K ≥ 3 (got \(p.count) entries); use the paired p0/p1 form for K = 2")
        }
        return try MetricMode(metric: metric, conversion: p, revenueMean: m, dispersion: sigma)
    }

    private init(metric: Metric, conversion: [Surface], revenueMean: [Surface]?, dispersion: [Surface]?) throws(SimulationError) {
        switch metric {
        case .conversionRate:
            guard revenueMean == nil, dispersion == nil else {
                throw SimulationError("conversion_rate must not have hurdle surfaces")
            }
        case .revenuePerVisitor:
            guard let revenueMean, let dispersion else { throw SimulationError("revenue_per_visitor requires m and sigma surfaces") }
            guard revenueMean.count == conversion.count, dispersion.count == conversion.count else {
                throw SimulationError("m and sigma surfaces must have the same length as p (\(conversion.count))")
            }
        }
        self.metric = metric
        self.conversion = conversion
        self.revenueMean = revenueMean
        self.dispersion = dispersion
    }
}

/// The ground truth of a simulated population (seed 004's `TruthResult`).
public struct Truth: Sendable, Hashable {
    /// Per level, per visitor: p_k(x).
    public var conversion: [[Double]]
    /// Per level, per visitor: the revenue-mean surface m_k(x) (hurdle only).
    public var revenueMean: [[Double]]?
    /// Per level, per visitor: E[revenue | converted] — m_k(x) for lognormal revenue, the cart
    /// model's analytic expectation with severity shift m_k − m₀ under a cart model (hurdle only).
    public var effectiveRevenueMean: [[Double]]?
    /// Per level, per visitor: σ_k(x) (hurdle only).
    public var dispersion: [[Double]]?
    /// Per contrast k = 1…K−1, per visitor: p_k − p₀, or p_k·m_k − p₀·m₀ for hurdle metrics
    /// (effective means).
    public var contrasts: [[Double]]
    /// Sums over visitors that merge across chunks: `conv_effect`/`aov_effect` (K = 2 hurdle) and
    /// one per contrast.
    public var sums: Sums

    /// Sums of per-visitor truth, mergeable across chunks of a run.
    public struct Sums: Sendable, Hashable {
        public var count: Int
        /// Σ CATE per contrast (k = 1…K−1).
        public var contrasts: [Double]
        /// Σ (p₁ − p₀)m₀ and Σ p₁(m₁ − m₀) for K = 2 hurdle metrics.
        public var conversionPart: Double?
        public var aovPart: Double?

        public init(levels: Int, hurdle: Bool) {
            count = 0
            contrasts = [Double](repeating: 0, count: max(levels - 1, 0))
            conversionPart = hurdle && levels == 2 ? 0 : nil
            aovPart = hurdle && levels == 2 ? 0 : nil
        }

        public static func + (lhs: Sums, rhs: Sums) -> Sums {
            var out = lhs
            out.count += rhs.count
            for k in out.contrasts.indices { out.contrasts[k] += rhs.contrasts[k] }
            if let a = rhs.conversionPart { out.conversionPart = (out.conversionPart ?? 0) + a }
            if let a = rhs.aovPart { out.aovPart = (out.aovPart ?? 0) + a }
            return out
        }

        /// The mean effect of each contrast.
        public var contrastEffects: [Double] { contrasts.map { count > 0 ? $0 / Double(count) : 0 } }

        /// The population effect: the mean CATE at K = 2; at K ≥ 3 the largest contrast (seed 004's
        /// provisional best-treatment scalar).
        public var effect: Double {
            let effects = contrastEffects
            return effects.count == 1 ? effects[0] : (effects.max() ?? 0)
        }

        /// Seed 004's `effect_components`: `conv_effect` (+ `aov_effect` for hurdle) at K = 2,
        /// `treatment_k_effect` per contrast at K ≥ 3.
        public var components: [String: Double] {
            let effects = contrastEffects
            guard effects.count == 1 else {
                return Dictionary(uniqueKeysWithValues: effects.enumerated().map { ("treatment_\($0.offset + 1)_effect", $0.element) })
            }
            if let conv = conversionPart, let aov = aovPart, count > 0 {
                return ["conv_effect": conv / Double(count), "aov_effect": aov / Double(count)]
            }
            return ["conv_effect": effects[0]]
        }
    }

    /// Per visitor, level 1 against control.
    public var cate: [Double] { contrasts[0] }
    /// The population effect (see ``Sums/effect``).
    public var effect: Double { sums.effect }
    /// Named components (see ``Sums/components``).
    public var components: [String: Double] { sums.components }

    /// Computes the truth on a feature table, validating every surface as seed 004 does:
    /// p in [0, 1], m > 0, σ > 0, all finite.
    ///
    /// For K = 2 hurdle metrics the per-visitor identity CATE = (p₁ − p₀)m₀ + p₁(m₁ − m₀) is
    /// checked and a violation is an error. With a cart model, m_k are replaced by the model's
    /// expected revenue at severity shift m_k − m₀ (control: 0), as seed 004 does.
    ///
    /// - Throws: ``SimulationError`` naming the surface and the visitor.
    public init(mode: MetricMode, features: FeatureTable, revenueModel: CartRevenueModel? = nil) throws(SimulationError) {
        let k = mode.levels
        let n = features.count
        var p: [[Double]] = []
        for level in 0..<k { p.append(try mode.conversion[level].evaluate(on: features, name: "p\(level)", bounds: 0...1)) }
        conversion = p
        var sums = Sums(levels: k, hurdle: mode.metric == .revenuePerVisitor)
        sums.count = n
        switch mode.metric {
        case .conversionRate:
            if revenueModel != nil {
                throw SimulationError("revenue_model applies to revenue_per_visitor only; conversion_rate has no revenue")
            }
            revenueMean = nil
            effectiveRevenueMean = nil
            dispersion = nil
            contrasts = (1..<k).map { j in
                var c = [Double](repeating: 0, count: n)
                for i in 0..<n { c[i] = p[j][i] - p[0][i] }
                return c
            }
        case .revenuePerVisitor:
            var m: [[Double]] = []
            var s: [[Double]] = []
            for level in 0..<k {
                m.append(try mode.revenueMean![level].evaluate(on: features, name: "m\(level)", bounds: 0...Double.infinity, strictLowerBound: true))
                s.append(try mode.dispersion![level].evaluate(on: features, name: "sigma\(level)", bounds: 0...Double.infinity, strictLowerBound: true))
            }
            revenueMean = m
            dispersion = s
            let effective: [[Double]]
            if let revenueModel {
                effective = (0..<k).map { level in
                    level == 0
                        ? [Double](repeating: revenueModel.expectedRevenue(severityDelta: 0), count: n)
                        : (0..<n).map { revenueModel.expectedRevenue(severityDelta: m[level][$0] - m[0][$0]) }
                }
            } else {
                effective = m
            }
            effectiveRevenueMean = effective
            contrasts = (1..<k).map { j in
                var c = [Double](repeating: 0, count: n)
                for i in 0..<n { c[i] = p[j][i] * effective[j][i] - p[0][i] * effective[0][i] }
                return c
            }
            if k == 2 {
                var convSum = 0.0
                var aovSum = 0.0
                for i in 0..<n {
                    let conv = (p[1][i] - p[0][i]) * effective[0][i]
                    let aov = p[1][i] * (effective[1][i] - effective[0][i])
                    let cate = contrasts[0][i]
                    if abs(cate - (conv + aov)) > 1e-10 * Swift.max(1, abs(cate)) {
                        throw SimulationError(
                            "per-visitor decomposition identity violated for visitor \(features.offset + i): cate \(cate) ≠ conv + aov \(conv + aov)")
                    }
                    convSum += conv
                    aovSum += aov
                }
                sums.conversionPart = convSum
                sums.aovPart = aovSum
            }
        }
        for j in 0..<(k - 1) { sums.contrasts[j] = contrasts[j].reduce(0, +) }
        self.sums = sums
    }
}

/// What each visitor showed: its variant level and observed outcome.
public struct Observation: Sendable, Hashable {
    public var level: [Int]
    public var converted: [Bool]
    public var revenue: [Double]
    /// Visitors per level.
    public var counts: [Int]

    /// Variant names as in seed 004: `control`, `treatment` (K = 2) or `treatment_k`.
    public static func variantName(level: Int, levels: Int) -> String {
        level == 0 ? "control" : (levels == 2 ? "treatment" : "treatment_\(level)")
    }

    /// Forced randomized assignment with `allocation` (shares per level, summing to 1), then the
    /// outcome from the assigned level's potential outcomes.
    public init(truth: Truth, allocation: [Double], using generator: inout Xoshiro256StarStar) throws(SimulationError) {
        let k = truth.conversion.count
        guard allocation.count == k else { throw SimulationError("allocation has \(allocation.count) shares for \(k) levels") }
        guard allocation.allSatisfy({ $0 >= 0 && $0.isFinite }), abs(allocation.reduce(0, +) - 1) < 1e-9 else {
            throw SimulationError("allocation shares must be ≥ 0 and sum to 1")
        }
        try self.init(truth: truth, assignment: .probabilities(allocation), using: &generator)
    }

    /// Assigns every visitor (randomly by the policy, or as an external assignment dictates) and
    /// draws the observed outcome from the assigned level's potential outcomes: conversion
    /// Bernoulli(p_k), then for converters lognormal revenue with mean m_k and dispersion σ_k, or
    /// a cart from `revenueModel` with severity shift m_k − m₀.
    ///
    /// Per visitor the stream is: one uniform for the level (none when external), one for
    /// conversion, then the revenue draws of a converter.
    ///
    /// - Throws: ``SimulationError`` when the assignment does not fit the truth (level count, an
    ///   external assignment's length or range) or a sampled revenue is not finite.
    public init(
        truth: Truth, assignment: Assignment, revenueModel: CartRevenueModel? = nil, offset: Int = 0,
        using generator: inout Xoshiro256StarStar
    ) throws(SimulationError) {
        let k = truth.conversion.count
        let n = truth.conversion[0].count
        try assignment.validate(levels: k, visitors: n)
        var level = [Int](repeating: 0, count: n)
        var converted = [Bool](repeating: false, count: n)
        var revenue = [Double](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: k)
        // Flat, hoisted inputs: the loop reads plain memory.
        let p = truth.conversion.flatMap { $0 }
        let m = truth.revenueMean?.flatMap { $0 }
        let s = truth.dispersion?.flatMap { $0 }
        var share = -1.0
        var shares: [Double] = []
        var external: [Int] = []
        switch assignment {
        case .allocation(let a): share = a
        case .probabilities(let list): shares = list
        case .external(let levels): external = levels
        }
        let isExternal = !external.isEmpty || n == 0
        for i in 0..<n {
            let l: Int
            if share >= 0 {
                l = generator.nextUniform() < share ? 1 : 0
            } else if isExternal {
                l = external[i]
            } else {
                l = generator.nextCategorical(weights: shares)
            }
            level[i] = l
            counts[l] += 1
            let c = generator.nextUniform() < p[l * n + i]
            converted[i] = c
            guard c, let m else { continue }
            let r: Double
            if let revenueModel {
                r = revenueModel.sample(severityDelta: l == 0 ? 0 : m[l * n + i] - m[i], using: &generator).revenue
            } else {
                r = generator.nextLognormal(mean: m[l * n + i], sigma: s![l * n + i])
            }
            guard r.isFinite else {
                throw SimulationError("sampled revenue for level \(l) is not finite for visitor \(offset + i) (extreme sigma \(s?[l * n + i] ?? 0)?)")
            }
            revenue[i] = r
        }
        self.level = level
        self.converted = converted
        self.revenue = revenue
        self.counts = counts
    }
}
