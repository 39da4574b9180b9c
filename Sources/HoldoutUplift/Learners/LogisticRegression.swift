import RealModule

// Written by hand for Holdout: no Swift machine-learning library is mirrored for the project.

/// L2-regularized logistic regression fitted by Newton's method (IRLS).
///
/// Minimizes the penalized (weighted) log-loss, the intercept b unpenalized,
///
///     L(b, β) = Σᵢ wᵢ [log(1 + e^{ηᵢ}) − yᵢηᵢ] + (λ/2)‖β‖²,   ηᵢ = b + xᵢᵀβ,
///
/// with Newton steps θ ← θ − (XᵀWX + λĨ)⁻¹ ∇L on θ = (b, β) (W = diag(wᵢpᵢ(1 − pᵢ)), Ĩ the
/// identity with a zero for the intercept), solved by Cholesky factorisation, halving a step
/// that does not lower L. It stops when the largest step component is below `tolerance`.
///
/// scikit-learn's `LogisticRegression(C=…, penalty="l2")` minimizes C·Σ log-loss + ½‖β‖², the
/// same minimizer with **λ = 1/C** (its intercept is unpenalized too).
///
/// Degenerate cases: λ = 0 with separable classes or a constant or collinear column has no
/// finite solution and fails with ``LearnerError/Code/singular`` (or stops at the iteration
/// limit); λ > 0 always has a unique minimizer. Labels all 0 or all 1 push the intercept
/// towards ∓∞ and end at the iteration limit.
///
/// Complexity: O(n·p²) per iteration for p features; usually under 10 iterations.
///
/// Reference: P. McCullagh & J. A. Nelder, *Generalized Linear Models* (2nd ed., 1989), §4.4
/// (iteratively reweighted least squares); T. Hastie, R. Tibshirani & J. Friedman, *The
/// Elements of Statistical Learning* (2009), §4.4.1 and §18.4 (the ridge penalty).
public struct LogisticRegression: Classifier, Hashable {
    /// λ, the L2 penalty on the coefficients (1/C in scikit-learn).
    public var lambda: Double
    public var maxIterations: Int
    /// Stop when every component of the Newton step is below this.
    public var tolerance: Double

    public init(lambda: Double = 1, maxIterations: Int = 100, tolerance: Double = 1e-10) {
        self.lambda = lambda
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    public static var name: String { "logistic_regression" }

    /// A linear model: the S-learner adds treatment × feature columns.
    public var isLinear: Bool { true }

    /// A fitted logistic regression: P(y = 1 | x) = σ(intercept + xᵀcoefficients).
    public struct Model: ProbabilityModel, Hashable {
        public let featureNames: [String]
        public let intercept: Double
        public let coefficients: [Double]
        /// Newton iterations used.
        public let iterations: Int

        public init(featureNames: [String], intercept: Double, coefficients: [Double], iterations: Int = 0) throws(LearnerError) {
            guard featureNames.count == coefficients.count else {
                throw LearnerError(.invalidInput, "\(coefficients.count) coefficients for \(featureNames.count) features", field: "coefficients")
            }
            self.featureNames = featureNames
            self.intercept = intercept
            self.coefficients = coefficients
            self.iterations = iterations
        }

        /// The linear predictor b + xᵀβ per row.
        public func logOdds(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            let n = features.rowCount
            var eta = [Double](repeating: intercept, count: n)
            features.values.withUnsafeBufferPointer { x in
                for j in coefficients.indices {
                    let c = coefficients[j]
                    let column = x.baseAddress! + j * n
                    for i in 0..<n { eta[i] += c * column[i] }
                }
            }
            return eta
        }

        public func probabilities(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            try logOdds(features).map { 1 / (1 + Double.exp(-$0)) }
        }

        /// σ(η(x, 1)) − σ(η(x, 0)) for the S-learner's design [x, treatment, treatment×x] without
        /// building it (two copies of 2F + 1 columns): the same products summed in the same order as
        /// ``logOdds(_:)`` on the design (t×x is x·1 or x·0 there too), so the same bits.
        func sLearnerUplift(_ x: FeatureMatrix) -> [Double] {
            let n = x.rowCount
            let f = x.featureCount
            var treated = [Double](repeating: intercept, count: n)
            var control = [Double](repeating: intercept, count: n)
            x.values.withUnsafeBufferPointer { v in
                for j in 0..<f {
                    let c = coefficients[j]
                    let column = v.baseAddress! + j * n
                    for i in 0..<n {
                        treated[i] += c * column[i]
                        control[i] += c * column[i]
                    }
                }
                let gamma = coefficients[f]
                for i in 0..<n {
                    treated[i] += gamma * 1
                    control[i] += gamma * 0
                }
                for j in 0..<f {
                    let c = coefficients[f + 1 + j]
                    let column = v.baseAddress! + j * n
                    for i in 0..<n {
                        treated[i] += c * (column[i] * 1)
                        control[i] += c * (column[i] * 0)
                    }
                }
            }
            return (0..<n).map { i in 1 / (1 + Double.exp(-treated[i])) - 1 / (1 + Double.exp(-control[i])) }
        }

        /// As ``probabilities(_:)``: a linear score is memory-bound, so it runs on one thread.
        public func probabilities(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            try probabilities(features)
        }

        enum CodingKeys: String, CodingKey {
            case featureNames = "feature_names"
            case intercept
            case coefficients
            case iterations
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try self.init(
                featureNames: c.decode([String].self, forKey: .featureNames), intercept: c.decode(Double.self, forKey: .intercept),
                coefficients: c.decode([Double].self, forKey: .coefficients), iterations: c.decodeIfPresent(Int.self, forKey: .iterations) ?? 0)
        }
    }

    public func fit(_ features: FeatureMatrix, labels: [Bool], weights: [Double]?) throws(LearnerError) -> Model {
        guard lambda >= 0, lambda.isFinite else { throw LearnerError(.invalidInput, "lambda must be finite and non-negative", field: "lambda") }
        guard maxIterations >= 1 else { throw LearnerError(.invalidInput, "maxIterations must be at least 1", field: "maxIterations") }
        try Check.rows(labels.count, features, "labels")
        try Check.weights(weights, features)
        let n = features.rowCount
        let p = features.featureCount + 1  // θ₀ is the intercept
        let y = labels.map { $0 ? 1.0 : 0.0 }
        let w = weights ?? [Double](repeating: 1, count: n)
        var theta = [Double](repeating: 0, count: p)
        var loss = objective(features, y, w, theta)
        var iterations = 0
        for iteration in 1...maxIterations {
            iterations = iteration
            let (gradient, hessian) = derivatives(features, y, w, theta)
            let step = try Self.choleskySolve(hessian, gradient, dimension: p, names: ["intercept"] + features.names)
            var scale = 1.0
            var candidate = theta
            var candidateLoss = loss
            for _ in 0..<30 {
                candidate = zip(theta, step).map { $0 - scale * $1 }
                candidateLoss = objective(features, y, w, candidate)
                if candidateLoss <= loss { break }
                scale *= 0.5
            }
            theta = candidate
            loss = candidateLoss
            if step.map({ abs(scale * $0) }).max()! < tolerance { break }
        }
        return try Model(featureNames: features.names, intercept: theta[0], coefficients: Array(theta[1...]), iterations: iterations)
    }

    private func linearPredictor(_ x: FeatureMatrix, _ theta: [Double]) -> [Double] {
        let n = x.rowCount
        var eta = [Double](repeating: theta[0], count: n)
        x.values.withUnsafeBufferPointer { v in
            for j in 1..<theta.count {
                let column = v.baseAddress! + (j - 1) * n
                for i in 0..<n { eta[i] += theta[j] * column[i] }
            }
        }
        return eta
    }

    private func objective(_ x: FeatureMatrix, _ y: [Double], _ w: [Double], _ theta: [Double]) -> Double {
        let eta = linearPredictor(x, theta)
        var sum = 0.0
        for i in eta.indices {
            let e = eta[i]
            sum += w[i] * (Double.log(1 + Double.exp(-abs(e))) + max(e, 0) - y[i] * e)
        }
        var penalty = 0.0
        for j in 1..<theta.count { penalty += theta[j] * theta[j] }
        return sum + 0.5 * lambda * penalty
    }

    /// ∇L and XᵀWX + λĨ (row-major p×p), with the intercept column of ones.
    private func derivatives(_ x: FeatureMatrix, _ y: [Double], _ w: [Double], _ theta: [Double]) -> ([Double], [Double]) {
        let n = x.rowCount
        let p = theta.count
        let eta = linearPredictor(x, theta)
        var residual = [Double](repeating: 0, count: n)
        var curvature = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let prob = 1 / (1 + Double.exp(-eta[i]))
            residual[i] = w[i] * (prob - y[i])
            curvature[i] = w[i] * prob * (1 - prob)
        }
        var gradient = [Double](repeating: 0, count: p)
        var hessian = [Double](repeating: 0, count: p * p)
        x.values.withUnsafeBufferPointer { v in
            func column(_ j: Int) -> UnsafePointer<Double>? { j == 0 ? nil : v.baseAddress! + (j - 1) * n }
            for a in 0..<p {
                let ca = column(a)
                var g = 0.0
                for i in 0..<n { g += residual[i] * (ca?[i] ?? 1) }
                gradient[a] = g + (a > 0 ? lambda * theta[a] : 0)
                for b in a..<p {
                    let cb = column(b)
                    var h = 0.0
                    switch (ca, cb) {
                    case (nil, nil): for i in 0..<n { h += curvature[i] }
                    case (nil, let cb?): for i in 0..<n { h += curvature[i] * cb[i] }
                    case (let ca?, let cb?): for i in 0..<n { h += curvature[i] * ca[i] * cb[i] }
                    case (.some, nil): break
                    }
                    if a == b, a > 0 { h += lambda }
                    hessian[a * p + b] = h
                    hessian[b * p + a] = h
                }
            }
        }
        return (gradient, hessian)
    }

    /// Solves A z = b for symmetric positive-definite A (row-major) by Cholesky factorisation.
    ///
    /// - Throws: ``LearnerError/Code/singular`` naming the column where the factorisation fails.
    static func choleskySolve(_ a: [Double], _ b: [Double], dimension p: Int, names: [String]) throws(LearnerError) -> [Double] {
        var l = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in 0...i {
                var s = a[i * p + j]
                for k in 0..<j { s -= l[i * p + k] * l[j * p + k] }
                if i == j {
                    guard s > 1e-12 * max(abs(a[i * p + i]), 1e-300) else {
                        throw LearnerError(
                            .singular, "column \(names[i]) is constant or collinear with earlier columns; use lambda > 0 or drop it", field: names[i])
                    }
                    l[i * p + i] = s.squareRoot()
                } else {
                    l[i * p + j] = s / l[j * p + j]
                }
            }
        }
        var z = b
        for i in 0..<p {
            for k in 0..<i { z[i] -= l[i * p + k] * z[k] }
            z[i] /= l[i * p + i]
        }
        for i in stride(from: p - 1, through: 0, by: -1) {
            for k in (i + 1)..<p { z[i] -= l[k * p + i] * z[k] }
            z[i] /= l[i * p + i]
        }
        return z
    }
}
