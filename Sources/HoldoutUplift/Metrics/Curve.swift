/// Points of an uplift or Qini curve: x in units (rows counted from the top of the ranking),
/// y in outcome units.
public struct Curve: Sendable, Hashable, Codable {
    public var x: [Double]
    public var y: [Double]

    public init(x: [Double], y: [Double]) {
        self.x = x
        self.y = y
    }

    /// The trapezoidal area under the curve, Σ (x₁ − x₀)(y₁ + y₀)/2, as `sklearn.metrics.auc`
    /// (which scikit-uplift uses) for increasing x.
    public var area: Double {
        var total = 0.0
        for i in 1..<max(x.count, 1) { total += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2 }
        return total
    }
}
