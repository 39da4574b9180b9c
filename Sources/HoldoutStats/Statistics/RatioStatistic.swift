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

    public func validate(arm: String) throws(StatsError) {
        if n < 0 { throw StatsError(.invalidInput, "\(arm).n must be ≥ 0, got \(n)", field: "\(arm).n") }
        for (name, value) in [
            ("sum_num", sumNumerator), ("sum_num_sq", sumNumeratorSquares), ("sum_den", sumDenominator),
            ("sum_den_sq", sumDenominatorSquares), ("sum_num_den", sumCrossProducts),
        ] where !value.isFinite {
            throw StatsError(.invalidInput, "\(arm).\(name) must be a finite number", field: "\(arm).\(name)")
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
