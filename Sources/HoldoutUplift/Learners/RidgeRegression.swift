/// Ridge (L2-penalized least-squares) linear regression, solved in closed form.
///
///     (b, β) = argmin Σᵢ wᵢ (yᵢ − b − xᵢᵀβ)² + λ‖β‖²  =  (XᵀWX + λĨ)⁻¹ XᵀWy
///
/// with X carrying a column of ones for the unpenalized intercept b (Ĩ the identity with a zero
/// for it), solved by Cholesky factorisation. λ = 0 is ordinary (weighted) least squares, which
/// fails with ``LearnerError/Code/singular`` on a constant or collinear column. scikit-learn's
/// `Ridge(alpha=λ)` gives the same coefficients.
///
/// Complexity: O(n·p²) for p features.
///
/// Reference: A. E. Hoerl & R. W. Kennard, *Ridge Regression: Biased Estimation for
/// Nonorthogonal Problems* (Technometrics 1970).
public struct RidgeRegression: Regressor, Hashable {
    /// λ, the L2 penalty on the coefficients.
    public var lambda: Double

    public init(lambda: Double = 1) { self.lambda = lambda }

    public static var name: String { "ridge_regression" }

    /// A fitted linear model: E[y | x] = intercept + xᵀcoefficients.
    public struct Model: RegressionModel, Hashable {
        public let featureNames: [String]
        public let intercept: Double
        public let coefficients: [Double]

        public init(featureNames: [String], intercept: Double, coefficients: [Double]) throws(LearnerError) {
            guard featureNames.count == coefficients.count else {
                throw LearnerError(.invalidInput, "\(coefficients.count) coefficients for \(featureNames.count) features", field: "coefficients")
            }
            self.featureNames = featureNames
            self.intercept = intercept
            self.coefficients = coefficients
        }

        public func predictions(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            let n = features.rowCount
            var out = [Double](repeating: intercept, count: n)
            features.values.withUnsafeBufferPointer { x in
                for j in coefficients.indices {
                    let column = x.baseAddress! + j * n
                    for i in 0..<n { out[i] += coefficients[j] * column[i] }
                }
            }
            return out
        }

        /// As ``predictions(_:)``: a linear score is memory-bound, so it runs on one thread.
        public func predictions(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            try predictions(features)
        }

        enum CodingKeys: String, CodingKey {
            case featureNames = "feature_names"
            case intercept
            case coefficients
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try self.init(
                featureNames: c.decode([String].self, forKey: .featureNames), intercept: c.decode(Double.self, forKey: .intercept),
                coefficients: c.decode([Double].self, forKey: .coefficients))
        }
    }

    public func fit(_ features: FeatureMatrix, targets: [Double], weights: [Double]?) throws(LearnerError) -> Model {
        guard lambda >= 0, lambda.isFinite else { throw LearnerError(.invalidInput, "lambda must be finite and non-negative", field: "lambda") }
        try Check.rows(targets.count, features, "targets")
        try Check.weights(weights, features)
        try Check.finite(targets, "targets")
        let n = features.rowCount
        let p = features.featureCount + 1
        var gram = [Double](repeating: 0, count: p * p)
        var moment = [Double](repeating: 0, count: p)
        features.values.withUnsafeBufferPointer { v in
            func column(_ j: Int) -> UnsafePointer<Double>? { j == 0 ? nil : v.baseAddress! + (j - 1) * n }
            for a in 0..<p {
                let ca = column(a)
                var m = 0.0
                for i in 0..<n { m += (weights?[i] ?? 1) * (ca?[i] ?? 1) * targets[i] }
                moment[a] = m
                for b in a..<p {
                    let cb = column(b)
                    var s = 0.0
                    for i in 0..<n { s += (weights?[i] ?? 1) * (ca?[i] ?? 1) * (cb?[i] ?? 1) }
                    if a == b, a > 0 { s += lambda }
                    gram[a * p + b] = s
                    gram[b * p + a] = s
                }
            }
        }
        let theta = try LogisticRegression.choleskySolve(gram, moment, dimension: p, names: ["intercept"] + features.names)
        return try Model(featureNames: features.names, intercept: theta[0], coefficients: Array(theta[1...]))
    }
}
