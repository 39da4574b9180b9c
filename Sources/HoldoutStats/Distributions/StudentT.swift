import RealModule

/// Student's t distribution with ν > 0 degrees of freedom (ν may be fractional, as Welch's
/// degrees of freedom are).
///
/// The cdf uses the identity P(T ≤ −|t|) = ½ I_x(ν/2, ½) with x = ν/(ν + t²), evaluating the
/// incomplete beta with both x and 1 − x = t²/(ν + t²) exact, so tails keep relative precision.
/// Beyond ν = 1e15 the distribution equals the normal to double precision and the normal is
/// used. The quantile starts from Hill's approximation (ACM Algorithm 396, as in R's `qt`) and
/// is polished by Newton steps on log P in log |t|, which converge in a few steps in both the
/// body and the polynomial tails.
///
/// ```swift
/// StudentT.quantile(0.975, degreesOfFreedom: 10)   // 2.2281388519649385
/// StudentT.cdf(-2.0, degreesOfFreedom: 3)          // 0.06966298427942164
/// ```
public enum StudentT {
    static let normalLimit = 1e15

    /// The density f(t) = (1 + t²/ν)^(−(ν+1)/2) / (√ν B(ν/2, ½)).
    public static func pdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        if nu > normalLimit { return Normal.pdf(t) }
        return Double.exp(logPDF(t, nu))
    }

    static func logPDF(_ t: Double, _ nu: Double) -> Double {
        -(nu + 1) / 2 * Double.log(onePlus: t * t / nu) - 0.5 * Double.log(nu)
            - SpecialFunctions.logBeta(nu / 2, 0.5)
    }

    /// P(T ≤ t).
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        let (lower, upper) = tails(t, nu)
        return t < 0 ? lower : upper
    }

    /// P(T > t), accurate in the upper tail.
    public static func sf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        cdf(-t, degreesOfFreedom: nu)
    }

    /// Returns (P(T ≤ −|t|), P(T ≤ |t|)): the small tail and its complement.
    static func tails(_ t: Double, _ nu: Double) -> (small: Double, large: Double) {
        precondition(nu > 0, "degrees of freedom must be positive")
        if t.isNaN || nu.isNaN { return (.nan, .nan) }
        if t == 0 { return (0.5, 0.5) }
        if nu > normalLimit {
            let small = Normal.cdf(-abs(t))
            return (small, Normal.cdf(abs(t)))
        }
        if t.isInfinite { return (0, 1) }
        let t2 = t * t
        let x: Double
        let y: Double
        if t2 > nu {
            // Avoid overflow of ν + t² for huge t by dividing through by t².
            let r = nu / t2
            x = r / (1 + r)
            y = 1 / (1 + r)
        } else {
            let r = t2 / nu
            x = 1 / (1 + r)
            y = r / (1 + r)
        }
        let ratio = SpecialFunctions.regularizedBeta(a: nu / 2, b: 0.5, x: x, y: y)
        let small = 0.5 * ratio.lower
        return (small, 0.5 + 0.5 * ratio.upper)
    }

    /// The quantile: the t with P(T ≤ t) = p.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "degrees of freedom must be positive")
        if p.isNaN || p < 0 || p > 1 || nu.isNaN { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        if nu > normalLimit { return Normal.quantile(p) }
        // Work with the lower tail probability; 1 − p is exact for p ≥ 0.5.
        let tail = p < 0.5 ? p : 1 - p
        let magnitude = lowerTailMagnitude(tail, nu)
        return p < 0.5 ? -magnitude : magnitude
    }

    /// The t with P(T > t) = tail, for tail in (0, 1), given z with P(Z > z) = tail; the
    /// comparisons call this with a z they computed once.
    static func upperTailMagnitude(_ tail: Double, _ nu: Double, normalQuantile z: Double) -> Double {
        if nu > normalLimit { return z }
        if tail >= 0.5 { return -quantile(tail, degreesOfFreedom: nu) }
        if let expansion = cornishFisher(z, nu) { return expansion }
        return lowerTailMagnitude(tail, nu)
    }

    /// The |t| with P(T ≤ −|t|) = tail, tail in (0, 0.5).
    static func lowerTailMagnitude(_ tail: Double, _ nu: Double) -> Double {
        // Exact closed forms.
        if nu == 1 {
            return 1 / Double.tan(Double.pi * tail)
        }
        if nu == 2 {
            // t = (2p − 1) / √(2p(1 − p)).
            return (1 - 2 * tail) / (2 * tail * (1 - tail)).squareRoot()
        }
        if nu >= 1000, let expansion = cornishFisher(-Normal.quantile(tail), nu) { return expansion }
        var t = hillApproximation(twoSided: 2 * tail, nu)
        if !(t.isFinite && t > 0) { t = max(-Normal.quantile(tail), 1e-300) }
        // Newton on g(u) = log P(T ≤ −e^u) − log tail with u = log |t|:
        // g'(u) = −f(t)·|t| / P(T ≤ −|t|).
        let logTail = Double.log(tail)
        var u = Double.log(t)
        for _ in 0..<60 {
            let current = Double.exp(u)
            let small = tails(current, nu).small
            if small <= 0 {
                // Underflow: step back toward the body.
                u -= 1
                continue
            }
            let g = Double.log(small) - logTail
            let slope = -Double.exp(logPDF(current, nu) + u - Double.log(small))
            if slope == 0 || !slope.isFinite { break }
            let step = g / slope
            // Damp very large steps, which only happen from a poor start.
            let bounded = max(min(step, 2), -2)
            u -= bounded
            if abs(bounded) < 1e-15 * max(1, abs(u)) { break }
        }
        return Double.exp(u)
    }

    /// The asymptotic expansion of the t quantile in powers of 1/ν about the normal quantile
    /// (Abramowitz and Stegun 26.7.5, four terms), used only where the omitted terms are below
    /// about 1e-16 relative: ν ≥ 1000 and x²/ν ≤ 0.01, with the last kept term below 1e-13 of |t|.
    /// Returns `nil` elsewhere.
    /// - Parameter x: the normal upper quantile at the same tail probability.
    static func cornishFisher(_ x: Double, _ nu: Double) -> Double? {
        guard nu >= 1000 else { return nil }
        let x2 = x * x
        guard x2 <= 0.01 * nu else { return nil }
        let g1 = (x2 + 1) * x / 4
        let g2 = ((5 * x2 + 16) * x2 + 3) * x / 96
        let g3 = (((3 * x2 + 19) * x2 + 17) * x2 - 15) * x / 384
        let g4 = ((((79 * x2 + 776) * x2 + 1482) * x2 - 1920) * x2 - 945) * x / 92160
        let v = 1 / nu
        let last = g4 * v * v * v * v
        guard abs(last) <= 1e-13 * abs(x) else { return nil }
        return x + (g1 + (g2 + (g3 + g4 * v) * v) * v) * v
    }

    /// Hill's approximation to the upper quantile for a two-sided tail probability P
    /// (G. W. Hill, ACM Algorithm 396, *Comm. ACM* 13 (1970), with R's refinements).
    static func hillApproximation(twoSided P: Double, _ nu: Double) -> Double {
        let a = 1 / (nu - 0.5)
        let b = 48 / (a * a)
        var c = ((20700 * a / b - 98) * a - 16) * a + 96.36
        let d = ((94.5 / (b + c) - 3) / b + 1) * (a * Double.pi / 2).squareRoot() * nu
        var y = Double.pow(d * P, 2 / nu)
        if (nu < 2.1 && P > 0.5) || y > 0.05 + a || !(y >= Double.ulpOfOne) {
            // Asymptotic inverse expansion about the normal.
            let x = Normal.quantile(0.5 * P)
            y = x * x
            if nu < 5 { c += 0.3 * (nu - 4.5) * (x + 0.6) }
            c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c
            y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x
            y = Double.expMinusOne(a * y * y)
            return (nu * y).squareRoot()
        }
        y =
            ((1 / (((nu + 6) / (nu * y) - 0.089 * d - 0.822) * (nu + 2) * 3) + 0.5 / (nu + 4)) * y - 1)
            * (nu + 1) / (nu + 2) + 1 / y
        return (nu * y).squareRoot()
    }
}
