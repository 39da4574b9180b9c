import RealModule

/// Special functions behind the distributions: log-gamma corrections, log-beta, and the
/// regularized incomplete gamma and beta functions.
///
/// Every function returns both a quantity and its complement where cancellation would
/// otherwise lose the small one (``IncompleteRatio``), so that tails keep full relative
/// precision.
///
/// References:
/// - W. H. Press et al., *Numerical Recipes*, 3rd ed., §6.2 and §6.4 (series and continued
///   fractions, modified Lentz).
/// - C. Loader, *Fast and Accurate Computation of Binomial Probabilities* (2000): `stirlerr`
///   and `bd0`, used for the gamma prefactor so that large shapes do not lose digits.
/// - A. R. DiDonato and A. H. Morris, ACM TOMS 708 (1992), `betaln`: log B(a, b) without
///   cancellation for large arguments (as in R's `lbeta`).
package enum SpecialFunctions {
    /// A regularized incomplete function value and its complement, each accurate on its own.
    package struct IncompleteRatio: Sendable, Equatable {
        /// The lower part, e.g. P(a, x) or I_x(a, b).
        package var lower: Double
        /// The upper part, 1 − lower, computed without cancellation when it is the small one.
        package var upper: Double
    }

    static let lnSqrt2Pi = 0.918_938_533_204_672_741_780_329_736_406  // log(sqrt(2π))
    static let logSqrtPi = 0.572_364_942_924_700_087_071_713_675_677  // log Γ(½) = log(√π)

    // MARK: - Stirling corrections

    /// The remainder of Stirling's series, log Γ(x) − [(x − ½) log x − x + log √(2π)], for x ≥ 10.
    ///
    /// Asymptotic series in 1/x with eight terms; at x = 10 the first omitted term is below 1e-18.
    static func logGammaCorrection(_ x: Double) -> Double {
        precondition(x >= 10)
        let x2 = 1 / (x * x)
        // Bernoulli-number coefficients B_{2k} / (2k (2k − 1)).
        let c: [Double] = [
            1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360_360, 1.0 / 156,
            -3617.0 / 122_400,
        ]
        var sum = c[7]
        for k in stride(from: 6, through: 0, by: -1) { sum = sum * x2 + c[k] }
        return sum / x
    }

    /// Loader's Stirling error: log Γ(n + 1) − [(n + ½) log n − n + log √(2π)].
    static func stirlingError(_ n: Double) -> Double {
        if n < 10 {
            return Double.logGamma(n + 1) - (n + 0.5) * Double.log(n) + n - lnSqrt2Pi
        }
        // log Γ(n + 1) = log n + log Γ(n), and the correction of Γ(n) differs by the log n term.
        return logGammaCorrection(n)
    }

    /// Loader's deviance term bd0(x, m) = x log(x / m) + m − x, accurate when x ≈ m.
    static func deviance(_ x: Double, _ m: Double) -> Double {
        if abs(x - m) < 0.1 * (x + m) {
            var v = (x - m) / (x + m)
            let s0 = (x - m) * v
            var s = s0
            var ej = 2 * x * v
            v *= v
            var j = 1.0
            while j < 1000 {
                ej *= v
                let s1 = s + ej / (2 * j + 1)
                if s1 == s { return s1 }
                s = s1
                j += 1
            }
            return s
        }
        return x * Double.log(x / m) + m - x
    }

    /// log(x^a e^(−x) / Γ(a)), without the cancellation of a log x − x − log Γ(a) for large a.
    static func logGammaPrefactor(a: Double, x: Double) -> Double {
        if a < 10 {
            return a * Double.log(x) - x - Double.logGamma(a)
        }
        // x^a e^−x / Γ(a + 1) = exp(−stirlerr(a) − bd0(a, x)) / √(2πa); multiply by a.
        return -stirlingError(a) - deviance(a, x) - lnSqrt2Pi - 0.5 * Double.log(a) + Double.log(a)
    }

    // MARK: - Log beta

    /// log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b), accurate for large and unequal arguments.
    ///
    /// Follows TOMS 708 `betaln` / R's `lbeta`: when an argument is ≥ 10 the large log-gamma terms
    /// cancel analytically and only Stirling corrections are evaluated.
    package static func logBeta(_ a: Double, _ b: Double) -> Double {
        let p = min(a, b)
        let q = max(a, b)
        if p >= 10 {
            let corr = logGammaCorrection(p) + logGammaCorrection(q) - logGammaCorrection(p + q)
            return -0.5 * Double.log(q) + lnSqrt2Pi + corr + (p - 0.5) * Double.log(p / (p + q))
                + q * Double.log(onePlus: -p / (p + q))
        }
        if q >= 10 {
            let corr = logGammaCorrection(q) - logGammaCorrection(p + q)
            return Double.logGamma(p) + corr + p - p * Double.log(p + q)
                + (q - 0.5) * Double.log(onePlus: -p / (p + q))
        }
        return Double.logGamma(p) + Double.logGamma(q) - Double.logGamma(p + q)
    }

    // MARK: - Incomplete gamma

    /// The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 − P(a, x).
    ///
    /// Series for x < a + 1 (gives P), Lentz continued fraction otherwise (gives Q); the other
    /// part is the complement of the one computed, which is never the small one.
    ///
    /// - Complexity: O(√a) iterations near x ≈ a, O(1) elsewhere.
    package static func regularizedGamma(a: Double, x: Double) -> IncompleteRatio {
        precondition(a > 0, "shape must be positive")
        if x <= 0 { return IncompleteRatio(lower: 0, upper: 1) }
        if x == .infinity { return IncompleteRatio(lower: 1, upper: 0) }
        // Closed forms: a = ½ (the t and normal tails, via BGRAT) and a = 1 (exponential).
        if a == 0.5 {
            let r = x.squareRoot()
            return IncompleteRatio(lower: Double.erf(r), upper: Double.erfc(r))
        }
        if a == 1 {
            return IncompleteRatio(lower: -Double.expMinusOne(-x), upper: Double.exp(-x))
        }
        let logPrefactor = logGammaPrefactor(a: a, x: x)
        if x < a + 1 {
            var ap = a
            var term = 1 / a
            var sum = term
            for _ in 0..<100_000_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            let p = sum * Double.exp(logPrefactor)
            return IncompleteRatio(lower: min(p, 1), upper: max(1 - p, 0))
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        var i = 1.0
        while i < 100_000_000 {
            let an = -i * (i - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
            i += 1
        }
        let q = Double.exp(logPrefactor) * h
        return IncompleteRatio(lower: max(1 - q, 0), upper: min(q, 1))
    }

    // MARK: - Incomplete beta

    /// The regularized incomplete beta function I_x(a, b) and its complement I_y(b, a), y = 1 − x.
    ///
    /// The caller passes both x and y so that whichever is tiny keeps its precision (for the
    /// t distribution y = t²/(ν + t²) is exact where 1 − x would not be).
    ///
    /// Continued fraction (Numerical Recipes `betacf`, modified Lentz) on whichever side of the
    /// mean it converges, with the prefactor x^a y^b / (a B(a, b)) taken in logs with an accurate
    /// ``logBeta(_:_:)``.
    ///
    /// - Complexity: O(√max(a, b)) iterations in the worst case.
    package static func regularizedBeta(a: Double, b: Double, x: Double, y: Double) -> IncompleteRatio {
        precondition(a > 0 && b > 0, "shapes must be positive")
        if x <= 0 { return IncompleteRatio(lower: 0, upper: 1) }
        if y <= 0 { return IncompleteRatio(lower: 1, upper: 0) }
        let logX = x < 0.5 ? Double.log(x) : Double.log(onePlus: -y)
        // Large a with small b (the t distribution at large ν): the continued fraction needs
        // O(√a) steps and its stopping rule is unreliable there; the asymptotic expansion is fast
        // and exact to rounding.
        if b <= 1 && a >= largeShape {
            let i = betaLargeASmallB(a: a, b: b, logX: logX)
            return IncompleteRatio(lower: min(i, 1), upper: max(1 - i, 0))
        }
        let logY = y < 0.5 ? Double.log(y) : Double.log(onePlus: -x)
        if a <= 1 && b >= largeShape {
            let j = betaLargeASmallB(a: b, b: a, logX: logY)
            return IncompleteRatio(lower: max(1 - j, 0), upper: min(j, 1))
        }
        let logFront = a * logX + b * logY - logBeta(a, b)
        if x * (a + b + 2) < a + 1 {
            let i = Double.exp(logFront - Double.log(a)) * betaContinuedFraction(a: a, b: b, x: x, y: y)
            return IncompleteRatio(lower: min(i, 1), upper: max(1 - i, 0))
        }
        let j = Double.exp(logFront - Double.log(b)) * betaContinuedFraction(a: b, b: a, x: y, y: x)
        return IncompleteRatio(lower: max(1 - j, 0), upper: min(j, 1))
    }

    /// n! for n < 62, exact in binary up to 22! and correctly rounded beyond.
    private static let factorials: [Double] = {
        var table = [Double](repeating: 1, count: 62)
        for i in 1..<62 { table[i] = table[i - 1] * Double(i) }
        return table
    }()

    /// Shapes from which ``betaLargeASmallB(a:b:logX:)`` replaces the continued fraction.
    static let largeShape = 500.0  // ≥ 10, which betaLargeASmallB's log B(a, b) assumes

    /// The coefficients p_n of DiDonato and Morris's eq. 9.3 for shape b (n < 30).
    static func bgratCoefficients(_ b: Double) -> [Double] {
        var p = [Double](repeating: 0, count: 30)
        p[0] = 1
        let bm1 = b - 1
        for n in 1..<30 {
            var pn = 0.0
            var tmp1 = 3
            for m in 1..<n {
                pn += (Double(m) * b - Double(n)) * p[n - m] / factorials[tmp1]
                tmp1 += 2
            }
            pn /= Double(n)
            pn += bm1 / factorials[2 * n + 1]
            p[n] = pn
        }
        return p
    }

    /// The coefficients for b = ½, the Student t case, computed once.
    private static let halfShapeCoefficients = bgratCoefficients(0.5)

    /// I_x(a, b) for large a and b ≤ 1 by the asymptotic expansion of DiDonato and Morris
    /// (TOMS 708 `bgrat`, their equations 9–9.6, as in Boost's `beta_small_b_large_a_series`):
    /// a series in incomplete gamma functions Q(b, u), u = −(a + (b − 1)/2) log x.
    static func betaLargeASmallB(a: Double, b: Double, logX lx: Double) -> Double {
        let t = a + (b - 1) / 2
        let u = -t * lx
        // log Γ(b), a constant in the t distribution's case.
        let logGammaB = b == 0.5 ? logSqrtPi : Double.logGamma(b)
        let logH = b * Double.log(u) - u - logGammaB  // log(u^b e^−u / Γ(b))
        if logH < -745 { return 0 }
        let h = Double.exp(logH)
        // log B(a, b) for a ≥ 10 > b (TOMS 708 betaln), reusing log Γ(b).
        let logBetaAB =
            logGammaB + logGammaCorrection(a) - logGammaCorrection(a + b) + b - b * Double.log(a + b)
            + (a - 0.5) * Double.log(onePlus: -b / (a + b))
        // prefix = h · Γ(a + b) / Γ(a) / t^b
        let prefix = h * Double.exp(logGammaB - logBetaAB - b * Double.log(t))
        let coefficients = b == 0.5 ? halfShapeCoefficients : bgratCoefficients(b)
        return coefficients.withUnsafeBufferPointer { p in
            var j = regularizedGamma(a: b, x: u).upper / h
            var sum = prefix * j
            var lx2 = lx / 2
            lx2 *= lx2
            var lxp = 1.0
            let t4 = 4 * t * t
            var b2n = b
            for n in 1..<30 {
                let pn = p[n]
                j = (b2n * (b2n + 1) * j + (u + b2n + 1) * lxp) / t4
                lxp *= lx2
                b2n += 2
                let r = prefix * pn * j
                sum += r
                if abs(r) <= abs(sum) * 1e-17 { break }
            }
            return sum
        }
    }

    /// The continued fraction for I_x(a, b), Numerical Recipes `betacf`; y = 1 − x is passed for
    /// the first coefficient, which otherwise loses digits when x is near 1.
    private static func betaContinuedFraction(a: Double, b: Double, x: Double, y: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b
        let qap = a + 1
        let qam = a - 1
        var c = 1.0
        // 1 − qab·x/qap, written to stay accurate when x ≈ 1.
        var d = (qap - qab * x) / qap
        if x > 0.5 { d = (qap - qab + qab * y) / qap }
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        var m = 1.0
        while m < 100_000_000 {
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
            m += 1
        }
        return h
    }
}
