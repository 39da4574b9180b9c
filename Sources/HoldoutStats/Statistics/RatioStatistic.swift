/// Sufficient statistics of a ratio metric (Σ numerator / Σ denominator, e.g. revenue per
/// order) in one arm, with the unit as the randomization unit.
///
/// Holds n, Σm, Σm², Σd, Σd² and Σm·d; merges by addition.
public struct RatioStatistic: Sendable, Hashable, Codable {
    public var n: Int
    public var sumNumerator: Double
    public var sumNumeratorSquares: Double
    public var sumDenominator: Double
    public var sumDenominatorSquares: Double
    public var sumCrossProducts: Double

    public init(
        n: Int, sumNumerator: Double, sumNumeratorSquares: Double, sumDenominator: Double,
        sumDenominatorSquares: Double, sumCrossProducts: Double
    ) {
        self.n = n
        self.sumNumerator = sumNumerator
        self.sumNumeratorSquares = sumNumeratorSquares
        self.sumDenominator = sumDenominator
        self.sumDenominatorSquares = sumDenominatorSquares
        self.sumCrossProducts = sumCrossProducts
    }

    public init() { self.init(n: 0, sumNumerator: 0, sumNumeratorSquares: 0, sumDenominator: 0, sumDenominatorSquares: 0, sumCrossProducts: 0) }

    /// Adds one unit's numerator and denominator.
    public mutating func add(numerator m: Double, denominator d: Double) {
        n += 1
        sumNumerator += m
        sumNumeratorSquares += m * m
        sumDenominator += d
        sumDenominatorSquares += d * d
        sumCrossProducts += m * d
    }

    /// R = Σm / Σd, 0 when Σd = 0.
    public var ratio: Double { sumDenominator != 0 ? sumNumerator / sumDenominator : 0 }

    /// The delta-method variance of R:
    /// (s²_m − 2R·s_md + R²·s²_d) / (n · d̄²), with unbiased (n − 1) moments.
    ///
    /// Reference: A. Deng, U. Knoblich, J. Lu, *Applying the Delta Method in Metric Analytics*
    /// (KDD 2018), §3.
    public var varianceOfRatio: Double {
        guard n > 1, sumDenominator != 0 else { return 0 }
        let nn = Double(n)
        let varM = max(sumNumeratorSquares - sumNumerator * sumNumerator / nn, 0) / (nn - 1)
        let varD = max(sumDenominatorSquares - sumDenominator * sumDenominator / nn, 0) / (nn - 1)
        let cov = (sumCrossProducts - sumNumerator * sumDenominator / nn) / (nn - 1)
        let r = ratio
        let meanD = sumDenominator / nn
        return max(varM - 2 * r * cov + r * r * varD, 0) / (nn * meanD * meanD)
    }

    /// The relative tolerance of the consistency checks in ``validate(arm:)``.
    ///
    /// A centred sum such as Σm² − (Σm)²/n is a difference of two rounded doubles, so for data
    /// with zero spread it can come out a few ulps (about 1e-16 relative to Σm²) below zero.
    /// 1e-9 of the raw sums leaves seven orders of magnitude for rounding in SQL or in a merge of
    /// many partial sums, and still refuses any sums that real data cannot produce. It is the
    /// tolerance ``MeanStatistic/validate(arm:)`` uses.
    static let consistencyTolerance = 1e-9

    /// Checks that the sums are finite and could come from real data.
    ///
    /// For n > 0 units the centred sums
    /// C_mm = Σm² − (Σm)²/n, C_dd = Σd² − (Σd)²/n, C_md = Σm·d − Σm·Σd/n
    /// are n − 1 times a covariance matrix, so C_mm ≥ 0, C_dd ≥ 0 and C_md² ≤ C_mm·C_dd
    /// (Cauchy–Schwarz). Each is checked up to ``consistencyTolerance`` of the raw sums. Without
    /// these checks impossible sums give a negative delta-method variance, which would be clamped
    /// to 0 and reported as an ordinary result.
    ///
    /// - Throws: ``StatsError`` naming the arm and the field, e.g. `treatment.sum_num_sq`.
    public func validate(arm: String) throws(StatsError) {
        if n < 0 { throw StatsError(.invalidInput, "\(arm).n must be ≥ 0, got \(n)", field: "\(arm).n") }
        for (name, value) in [
            ("sum_num", sumNumerator), ("sum_num_sq", sumNumeratorSquares), ("sum_den", sumDenominator),
            ("sum_den_sq", sumDenominatorSquares), ("sum_num_den", sumCrossProducts),
        ] where !value.isFinite {
            throw StatsError(.invalidInput, "\(arm).\(name) must be a finite number", field: "\(arm).\(name)")
        }
        for (name, value) in [("sum_num_sq", sumNumeratorSquares), ("sum_den_sq", sumDenominatorSquares)] where value < 0 {
            throw StatsError(.invalidInput, "\(arm).\(name) must be ≥ 0, got \(value)", field: "\(arm).\(name)")
        }
        if n == 0 {
            if sumNumerator != 0 || sumNumeratorSquares != 0 || sumDenominator != 0 || sumDenominatorSquares != 0
                || sumCrossProducts != 0
            {
                throw StatsError(.invalidInput, "\(arm) has n = 0 but non-zero sums", field: "\(arm).n")
            }
            return
        }
        let nn = Double(n)
        let tol = Self.consistencyTolerance
        for (name, sum, squares) in [
            ("num", sumNumerator, sumNumeratorSquares), ("den", sumDenominator, sumDenominatorSquares),
        ] {
            let floor = sum * sum / nn
            if squares < floor * (1 - tol) - tol {
                throw StatsError(
                    .invalidInput,
                    "\(arm).sum_\(name)_sq (\(squares)) is below sum_\(name)²/n (\(floor)): these cannot come from real data",
                    field: "\(arm).sum_\(name)_sq")
            }
        }
        // Cauchy–Schwarz on the centred sums, each widened by the rounding allowance.
        let cmm = max(sumNumeratorSquares - sumNumerator * sumNumerator / nn, 0) + tol * sumNumeratorSquares + tol
        let cdd = max(sumDenominatorSquares - sumDenominator * sumDenominator / nn, 0) + tol * sumDenominatorSquares + tol
        let cmd = sumCrossProducts - sumNumerator * sumDenominator / nn
        if cmd * cmd > cmm * cdd {
            throw StatsError(
                .invalidInput,
                "\(arm).sum_num_den (\(sumCrossProducts)) is outside what sum_num_sq and sum_den_sq allow "
                    + "(|Σm·d − Σm·Σd/n| ≤ √(centred Σm² · centred Σd²)): these cannot come from real data",
                field: "\(arm).sum_num_den")
        }
    }

    public static func + (lhs: Self, rhs: Self) -> Self {
        RatioStatistic(
            n: lhs.n + rhs.n, sumNumerator: lhs.sumNumerator + rhs.sumNumerator,
            sumNumeratorSquares: lhs.sumNumeratorSquares + rhs.sumNumeratorSquares,
            sumDenominator: lhs.sumDenominator + rhs.sumDenominator,
            sumDenominatorSquares: lhs.sumDenominatorSquares + rhs.sumDenominatorSquares,
            sumCrossProducts: lhs.sumCrossProducts + rhs.sumCrossProducts)
    }
}
