/// The chi-squared distribution with k > 0 degrees of freedom.
///
/// P(X > x) = Q(k/2, x/2), the regularized upper incomplete gamma function, computed without
/// subtracting from one so that small p-values (SRM checks on millions of users) stay exact.
///
/// ```swift
/// ChiSquared.sf(10.83, degreesOfFreedom: 1)   // ≈ 0.001
/// ```
public enum ChiSquared {
    /// P(X ≤ x).
    public static func cdf(_ x: Double, degreesOfFreedom k: Double) -> Double {
        if x.isNaN || k.isNaN { return .nan }
        return SpecialFunctions.regularizedGamma(a: k / 2, x: max(x, 0) / 2).lower
    }

    /// P(X > x), accurate in the upper tail.
    public static func sf(_ x: Double, degreesOfFreedom k: Double) -> Double {
        if x.isNaN || k.isNaN { return .nan }
        return SpecialFunctions.regularizedGamma(a: k / 2, x: max(x, 0) / 2).upper
    }
}
