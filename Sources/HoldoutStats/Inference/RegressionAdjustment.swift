/// CUPED / regression adjustment with k ≥ 1 pre-experiment covariates, from per-arm
/// sufficient statistics.
///
/// With S_xx,a and s_xy,a the within-arm centered cross-product sums (n_a times the within-arm
/// covariances):
///
///     θ = (Σ_a S_xx,a)⁻¹ Σ_a s_xy,a
///     adjusted mean_a = ȳ_a − θᵀ(x̄_a − x̄)            (x̄ pooled over all arms)
///     Var(adjusted mean_a) = (s²_y,a − 2θᵀc_xy,a + θᵀC_xx,a θ) / n_a   (n − 1 moments)
///
/// The adjusted lift equals the coefficient on the treatment dummy in the OLS regression
/// y ~ 1 + T + x₁ … x_k (Frisch–Waugh–Lovell). Its standard error does not: it is CUPED's
/// (Deng et al.), the per-arm residual variances above with θ and the pooled x̄ treated as
/// known. The OLS (ANCOVA) variance is σ²·(1/n_c + 1/n_t + dᵀ(Σ_a S_xx,a)⁻¹d) with
/// d = x̄_t − x̄_c; its last term, the uncertainty in θ carried through the covariate imbalance
/// between the arms, is left out (and OLS pools one σ² where CUPED keeps one per arm). Under
/// randomization d is O(1/√n), so that term is O(1/n²) against the O(1/n) kept and the two
/// standard errors agree as n grows (on the committed
/// references: 3.8% below statsmodels' OLS standard error at 50 units per arm, within 1% at 80
/// to 20,000 per arm; see `docs/statistics.md`). **This assumes randomized arms**:
/// where the covariates differ systematically between arms (a broken randomization, a
/// post-treatment covariate, a non-random holdout) the interval is too narrow, and the
/// comparison should not be read as regression inference. Inference is normal (z), as for
/// other large-sample regression estimators; the variance reduction reported is
/// 1 − Var_adjusted(lift)/Var_unadjusted(lift).
///
/// The k×k system is solved by Cholesky factorisation; a constant covariate or a collinear set
/// fails with ``StatsError/Code/singularCovariates`` naming the covariate.
///
/// Reference: A. Deng, Y. Xu, R. Kohavi, T. Walker, *Improving the Sensitivity of Online
/// Controlled Experiments by Utilizing Pre-Experiment Data* (WSDM 2013).
public enum RegressionAdjustment {
    /// An adjusted comparison.
    public struct Result: Sendable, Hashable, Codable {
        /// The adjusted comparison (means are the adjusted means).
        public var comparison: Comparison
        /// θ, one coefficient per covariate.
        public var theta: [Double]
        /// 1 − adjusted variance / unadjusted variance of the lift.
        public var varianceReduction: Double

        enum CodingKeys: String, CodingKey {
            case comparison
            case theta
            case varianceReduction = "variance_reduction"
        }
    }

    /// Compares treatment with control, adjusting for the covariates.
    ///
    /// - Parameter covariateNames: names used in error messages (defaults to x1…xk).
    /// - Throws: ``StatsError`` for mismatched shapes, α ∉ (0, 1), or singular covariates.
    public static func compare(
        control: RegressionStatistic, treatment: RegressionStatistic, options: TestOptions = .standard,
        covariateNames: [String]? = nil
    ) throws(StatsError) -> Result {
        try options.validate()
        guard control.covariateCount == treatment.covariateCount else {
            throw StatsError(.invalidInput, "control and treatment have different covariate counts", field: "covariates")
        }
        let k = control.covariateCount
        let names = covariateNames ?? (1...k).map { "x\($0)" }
        let arms = [control, treatment]
        var result = Comparison(controlMean: control.outcome.mean, treatmentMean: treatment.outcome.mean)
        guard control.n >= 2, treatment.n >= 2 else {
            result.insufficientData = true
            result.reason = "each arm needs at least 2 units"
            return Result(comparison: result, theta: Array(repeating: 0, count: k), varianceReduction: 0)
        }
        // Pooled within-arm centered sums.
        var sxx = [Double](repeating: 0, count: k * k)
        var sxy = [Double](repeating: 0, count: k)
        for arm in arms {
            let n = Double(arm.n)
            for i in 0..<k {
                sxy[i] += arm.sumXY[i] - arm.sumX[i] * arm.sumY / n
                for j in 0..<k { sxx[i * k + j] += arm.crossProduct(i, j) - arm.sumX[i] * arm.sumX[j] / n }
            }
        }
        let theta = try Cholesky.solve(sxx, sxy, dimension: k, names: names)
        let total = Double(control.n + treatment.n)
        let pooledX = (0..<k).map { (control.sumX[$0] + treatment.sumX[$0]) / total }
        func adjusted(_ arm: RegressionStatistic) -> (mean: Double, variance: Double, raw: Double) {
            let n = Double(arm.n)
            var mean = arm.sumY / n
            for j in 0..<k { mean -= theta[j] * (arm.sumX[j] / n - pooledX[j]) }
            // Unbiased within-arm moments.
            let varY = (arm.sumYY - arm.sumY * arm.sumY / n) / (n - 1)
            var quad = 0.0
            var lin = 0.0
            for i in 0..<k {
                lin += theta[i] * (arm.sumXY[i] - arm.sumX[i] * arm.sumY / n) / (n - 1)
                for j in 0..<k {
                    quad += theta[i] * theta[j] * (arm.crossProduct(i, j) - arm.sumX[i] * arm.sumX[j] / n) / (n - 1)
                }
            }
            return (mean, max(varY - 2 * lin + quad, 0) / n, max(varY, 0) / n)
        }
        let c = adjusted(control)
        let t = adjusted(treatment)
        result.controlMean = c.mean
        result.treatmentMean = t.mean
        let estimate = t.mean - c.mean
        let se = (c.variance + t.variance).squareRoot()
        let rawVariance = c.raw + t.raw
        let reduction = rawVariance > 0 ? 1 - (c.variance + t.variance) / rawVariance : 0
        result.upliftAbs = estimate
        guard se > 0 else {
            result.insufficientData = true
            result.reason = "the adjusted outcome has zero variance in both arms"
            return Result(comparison: result.sanitized(), theta: theta, varianceReduction: reduction)
        }
        var relativeSE: Double?
        if c.mean != 0 {
            result.upliftRel = Inference.relativeLift(estimate, controlMean: c.mean)
            relativeSE = Inference.relativeVariance(
                controlMean: c.mean, treatmentMean: t.mean, controlVariance: c.variance, treatmentVariance: t.variance
            ).squareRoot()
        } else {
            result.insufficientData = true
            result.reason = "adjusted control mean is zero, so the relative lift is undefined"
        }
        Inference.complete(
            &result, estimate: estimate, standardError: se, z: estimate / se, relativeStandardError: relativeSE,
            options: options, distribution: .normal)
        return Result(comparison: result.sanitized(), theta: theta, varianceReduction: reduction)
    }
}

/// Solves symmetric positive-definite systems by Cholesky factorisation.
enum Cholesky {
    /// Solves A·x = b for a k×k symmetric matrix A (row-major).
    ///
    /// A zero diagonal means a constant covariate; a pivot below 1e-10 of its diagonal means a
    /// covariate that is (numerically) a linear combination of earlier ones. The error names it.
    static func solve(_ a: [Double], _ b: [Double], dimension k: Int, names: [String]) throws(StatsError) -> [Double] {
        var l = [Double](repeating: 0, count: k * k)
        let scale = (0..<k).map { a[$0 * k + $0] }.max() ?? 0
        let constantTolerance = max(scale, Double.leastNormalMagnitude) * Double(k) * 1e-14
        for j in 0..<k {
            let name = j < names.count ? names[j] : "x\(j + 1)"
            let original = a[j * k + j]
            guard original.isFinite, original > constantTolerance else {
                throw StatsError(
                    .singularCovariates, "covariate '\(name)' is constant within arms; drop it", field: "covariates")
            }
            var diagonal = original
            for m in 0..<j { diagonal -= l[j * k + m] * l[j * k + m] }
            // Less than 1e-10 of its variance left after the earlier covariates: collinear.
            guard diagonal > original * 1e-10 else {
                throw StatsError(
                    .singularCovariates,
                    "covariate '\(name)' is collinear with earlier covariates; drop it or one of them",
                    field: "covariates")
            }
            let root = diagonal.squareRoot()
            l[j * k + j] = root
            for i in (j + 1)..<k {
                var value = a[i * k + j]
                for m in 0..<j { value -= l[i * k + m] * l[j * k + m] }
                l[i * k + j] = value / root
            }
        }
        // Forward then backward substitution.
        var y = [Double](repeating: 0, count: k)
        for i in 0..<k {
            var value = b[i]
            for m in 0..<i { value -= l[i * k + m] * y[m] }
            y[i] = value / l[i * k + i]
        }
        var x = [Double](repeating: 0, count: k)
        for i in stride(from: k - 1, through: 0, by: -1) {
            var value = y[i]
            for m in (i + 1)..<k { value -= l[m * k + i] * x[m] }
            x[i] = value / l[i * k + i]
        }
        return x
    }
}
