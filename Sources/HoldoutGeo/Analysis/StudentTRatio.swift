import HoldoutStats

/// The distribution of R = Y / C for independent location–scale Student t variables
/// Y = loc_Y + scale_Y·T₁ and C = loc_C + scale_C·T₂ with the same degrees of freedom: TBR's
/// iROAS when control spends too (Y the cumulative incremental response, C the incremental cost,
/// each TBR's t distribution). matched_markets (`TBRiROAS.summary`, variable-cost scenario)
/// draws both and takes percentiles of the simulated ratios; this computes the same quantiles
/// without simulation, so the interval is reproducible to the last digit:
///
///     F_R(r) = P(Y ≤ r·C, C > 0) + P(Y ≥ r·C, C < 0)
///            = ∫₀¹ [C(u) > 0 ? F_Y(r·C(u)) : 1 − F_Y(r·C(u))] du,   C(u) = loc_C + scale_C·Q_t(u)
///
/// integrated by composite 8-point Gauss–Legendre on (0, u₀) and (u₀, 1), u₀ = P(C < 0) (the
/// integrand jumps there), and inverted by the Illinois false-position method.
///
/// Hand-written: HoldoutStats has the t CDF and quantile but no quadrature, and none of the
/// mirrored packages offers one; the rule is 8 constants, checked against scipy's adaptive
/// `quad` through the TBR fixtures (Scripts/reference/geo_reference.py).
struct StudentTRatio {
    let numeratorLocation: Double
    let numeratorScale: Double
    let degreesOfFreedom: Double
    /// Denominator values at the quadrature points and their weights (summing to 1).
    private var denominators: [Double] = []
    private var weights: [Double] = []

    /// Panels per side of u₀.
    static let panels = 256

    /// Nodes and weights of the 8-point Gauss–Legendre rule on [−1, 1] (Abramowitz & Stegun 25.4.30).
    static let nodes: [(x: Double, w: Double)] = [
        (-0.960_289_856_497_536_2, 0.101_228_536_290_376_3), (-0.796_666_477_413_626_7, 0.222_381_034_453_374_5),
        (-0.525_532_409_916_329_0, 0.313_706_645_877_887_3), (-0.183_434_642_495_649_8, 0.362_683_783_378_362_0),
        (0.183_434_642_495_649_8, 0.362_683_783_378_362_0), (0.525_532_409_916_329_0, 0.313_706_645_877_887_3),
        (0.796_666_477_413_626_7, 0.222_381_034_453_374_5), (0.960_289_856_497_536_2, 0.101_228_536_290_376_3),
    ]

    init(numerator: (location: Double, scale: Double), denominator: (location: Double, scale: Double), degreesOfFreedom df: Double) {
        numeratorLocation = numerator.location
        numeratorScale = numerator.scale
        degreesOfFreedom = df
        let split = StudentT.cdf(-denominator.location / denominator.scale, degreesOfFreedom: df)
        for (a, b) in [(0.0, split), (split, 1.0)] where b > a {
            let width = (b - a) / Double(Self.panels)
            for panel in 0..<Self.panels {
                let mid = a + (Double(panel) + 0.5) * width
                for node in Self.nodes {
                    let u = mid + 0.5 * width * node.x
                    guard u > 0, u < 1 else { continue }
                    denominators.append(denominator.location + denominator.scale * StudentT.quantile(u, degreesOfFreedom: df))
                    weights.append(0.5 * width * node.w)
                }
            }
        }
    }

    /// P(R ≤ r).
    func cdf(_ r: Double) -> Double {
        var total = 0.0
        for i in denominators.indices {
            let c = denominators[i]
            let below = StudentT.cdf((r * c - numeratorLocation) / numeratorScale, degreesOfFreedom: degreesOfFreedom)
            total += weights[i] * (c >= 0 ? below : 1 - below)
        }
        return total
    }

    /// The r with P(R ≤ r) = p, to about 1e-12 relative; nil if no bracket is found.
    func quantile(_ p: Double, near guess: Double) -> Double? {
        var step = max(abs(guess), 1e-12)
        var lo = guess - step
        var hi = guess + step
        var fLo = cdf(lo) - p
        var fHi = cdf(hi) - p
        var expansions = 0
        while fLo > 0 || fHi < 0 {
            expansions += 1
            guard expansions < 200 else { return nil }
            step *= 2
            if fLo > 0 {
                lo -= step
                fLo = cdf(lo) - p
            }
            if fHi < 0 {
                hi += step
                fHi = cdf(hi) - p
            }
        }
        // Illinois false position: superlinear and always bracketed.
        var side = 0
        for _ in 0..<200 {
            let r = fHi == fLo ? 0.5 * (lo + hi) : hi - fHi * (hi - lo) / (fHi - fLo)
            let f = cdf(r) - p
            if f == 0 || abs(hi - lo) <= 1e-13 * max(1, abs(r)) { return r }
            if (f < 0) == (fLo < 0) {
                lo = r
                fLo = f
                if side == -1 { fHi /= 2 }
                side = -1
            } else {
                hi = r
                fHi = f
                if side == 1 { fLo /= 2 }
                side = 1
            }
        }
        return 0.5 * (lo + hi)
    }
}
