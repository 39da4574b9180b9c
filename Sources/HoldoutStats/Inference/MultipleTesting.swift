/// Adjusted p-values for several treatment-vs-control comparisons.
///
/// Both agree with `statsmodels.stats.multitest.multipletests` (methods `holm` and `fdr_bh`).
public enum MultipleTesting {
    /// Holm's step-down adjustment, controlling the family-wise error rate.
    ///
    /// Sorting p ascending, p̃_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)).
    /// Reference: S. Holm, *Scand. J. Statist.* 6 (1979), 65–70.
    /// - Complexity: O(m log m).
    public static func holm(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 0.0
        for (rank, index) in order.enumerated() {
            running = max(running, Double(m - rank) * pValues[index])
            adjusted[index] = min(running, 1)
        }
        return adjusted
    }

    /// The Benjamini–Hochberg step-up adjustment, controlling the false discovery rate.
    ///
    /// Sorting p ascending, p̃_(i) = min_{j ≥ i} min(1, m·p_(j)/j).
    /// Reference: Y. Benjamini and Y. Hochberg, *JRSS B* 57 (1995), 289–300.
    /// - Complexity: O(m log m).
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 0, count: m)
        var running = Double.infinity
        for rank in stride(from: m - 1, through: 0, by: -1) {
            let index = order[rank]
            running = min(running, Double(m) * pValues[index] / Double(rank + 1))
            adjusted[index] = min(running, 1)
        }
        return adjusted
    }
}

/// Every treatment arm compared with control, with multiplicity-adjusted p-values.
public struct MultiArmComparison: Sendable, Hashable, Codable {
    /// One comparison per treatment arm, in the order given.
    public var comparisons: [Comparison]
    /// Holm-adjusted p-values, aligned with ``comparisons``; `nil` where no p-value exists.
    public var holm: [Double?]
    /// Benjamini–Hochberg-adjusted p-values, aligned with ``comparisons``.
    public var benjaminiHochberg: [Double?]

    enum CodingKeys: String, CodingKey {
        case comparisons
        case holm = "p_value_holm"
        case benjaminiHochberg = "p_value_bh"
    }

    /// Compares each treatment with control using `test` and adjusts the p-values that exist.
    ///
    /// ```swift
    /// let all = try MultiArmComparison(control: c, treatments: [b, d]) { c, t in
    ///     try ProportionTest.compare(control: c, treatment: t)
    /// }
    /// ```
    public init<Statistic>(
        control: Statistic, treatments: [Statistic],
        test: (Statistic, Statistic) throws(StatsError) -> Comparison
    ) throws(StatsError) {
        var comparisons: [Comparison] = []
        for treatment in treatments { comparisons.append(try test(control, treatment)) }
        self.init(comparisons: comparisons)
    }

    /// Comparisons with p-values adjusted elsewhere (``Analysis/compare(control:treatments:settings:)``).
    init(comparisons: [Comparison], holm: [Double?], benjaminiHochberg: [Double?]) {
        self.comparisons = comparisons
        self.holm = holm
        self.benjaminiHochberg = benjaminiHochberg
    }

    /// Adjusts the p-values of existing comparisons (only those with a p-value take part).
    public init(comparisons: [Comparison]) {
        self.comparisons = comparisons
        let present = comparisons.indices.filter { comparisons[$0].pValue != nil }
        let raw = present.map { comparisons[$0].pValue ?? 1 }
        let holm = MultipleTesting.holm(raw)
        let bh = MultipleTesting.benjaminiHochberg(raw)
        var holmAligned = [Double?](repeating: nil, count: comparisons.count)
        var bhAligned = [Double?](repeating: nil, count: comparisons.count)
        for (k, index) in present.enumerated() {
            holmAligned[index] = holm[k]
            bhAligned[index] = bh[k]
        }
        self.holm = holmAligned
        self.benjaminiHochberg = bhAligned
    }
}
