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
    /// Per level, per visitor: m_k(x) (hurdle only).
    public var revenueMean: [[Double]]?
    /// Per level, per visitor: σ_k(x) (hurdle only).
    public var dispersion: [[Double]]?
    /// Per visitor, level 1 against control: p₁ − p₀, or p₁m₁ − p₀m₀ for hurdle metrics.
    public var cate: [Double]
    /// The population effect of level 1 (the mean CATE).
    public var effect: Double
    /// Named components: `conv_effect` (and `aov_effect` for hurdle metrics), or
    /// `treatment_k_effect` for every contrast when K ≥ 3.
    public var components: [String: Double]

    /// Computes the truth on a feature table, validating every surface as seed 004 does:
    /// p in [0, 1], m > 0, σ > 0, all finite.
    ///
    /// For hurdle metrics the per-visitor identity CATE = (p₁ − p₀)m₀ + p₁(m₁ − m₀) is checked and a
    /// violation is an error.
    public init(mode: MetricMode, features: FeatureTable) throws(SimulationError) {
        let k = mode.levels
        var p: [[Double]] = []
        for level in 0..<k { p.append(try mode.conversion[level].evaluate(on: features, name: "p\(level)", bounds: 0...1)) }
        conversion = p
        let n = features.count
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        switch mode.metric {
        case .conversionRate:
            revenueMean = nil
            dispersion = nil
            cate = (0..<n).map { p[1][$0] - p[0][$0] }
            effect = mean(cate)
            if k == 2 {
                components = ["conv_effect": effect]
            } else {
                components = Dictionary(uniqueKeysWithValues: (1..<k).map { j in ("treatment_\(j)_effect", mean((0..<n).map { p[j][$0] - p[0][$0] })) })
            }
        case .revenuePerVisitor:
            var m: [[Double]] = []
            var s: [[Double]] = []
            for level in 0..<k {
                let values = try mode.revenueMean![level].evaluate(on: features, name: "m\(level)")
                if let bad = values.firstIndex(where: { $0 <= 0 }) {
                    throw SimulationError("surface 'm\(level)': all values must be > 0 (row \(bad) is \(values[bad]))")
                }
                m.append(values)
                let sigma = try mode.dispersion![level].evaluate(on: features, name: "sigma\(level)")
                if let bad = sigma.firstIndex(where: { $0 <= 0 }) {
                    throw SimulationError("surface 'sigma\(level)': all values must be > 0 (row \(bad) is \(sigma[bad]))")
                }
                s.append(sigma)
            }
            revenueMean = m
            dispersion = s
            let cate = (0..<n).map { p[1][$0] * m[1][$0] - p[0][$0] * m[0][$0] }
            let conv = (0..<n).map { (p[1][$0] - p[0][$0]) * m[0][$0] }
            let aov = (0..<n).map { p[1][$0] * (m[1][$0] - m[0][$0]) }
            for i in 0..<n where abs(cate[i] - (conv[i] + aov[i])) > 1e-10 * Swift.max(1, abs(cate[i])) {
                throw SimulationError("per-visitor decomposition identity violated at row \(i): cate \(cate[i]) ≠ conv + aov \(conv[i] + aov[i])")
            }
            self.cate = cate
            effect = mean(cate)
            if k == 2 {
                components = ["conv_effect": mean(conv), "aov_effect": mean(aov)]
            } else {
                components = Dictionary(uniqueKeysWithValues: (1..<k).map { j in
                    ("treatment_\(j)_effect", mean((0..<n).map { p[j][$0] * m[j][$0] - p[0][$0] * m[0][$0] }))
                })
            }
        }
    }
}

/// What each visitor showed: its variant level and observed outcome.
public struct Observation: Sendable, Hashable {
    public var level: [Int]
    public var converted: [Bool]
    public var revenue: [Double]

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
        let n = truth.cate.count
        var level = [Int](repeating: 0, count: n)
        var converted = [Bool](repeating: false, count: n)
        var revenue = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let l = generator.nextCategorical(weights: allocation)
            level[i] = l
            converted[i] = generator.nextBernoulli(truth.conversion[l][i])
            if converted[i], let m = truth.revenueMean, let s = truth.dispersion {
                revenue[i] = generator.nextLognormal(mean: m[l][i], sigma: s[l][i])
            }
        }
        self.level = level
        self.converted = converted
        self.revenue = revenue
    }
}
