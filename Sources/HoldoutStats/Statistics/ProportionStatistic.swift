/// Sufficient statistics of a binary metric in one arm: units and converting units.
///
/// Merges by addition, so per-day or per-shard counts from SQL or a stream add up to the
/// counts of the whole experiment.
///
/// ```swift
/// let control = ProportionStatistic(n: 200, conversions: 8)
/// control.rate   // 0.04
/// ```
public struct ProportionStatistic: Sendable, Hashable, Codable {
    /// Units in the arm.
    public var n: Int
    /// Units that converted (0 ≤ conversions ≤ n).
    public var conversions: Int

    public init(n: Int, conversions: Int) {
        self.n = n
        self.conversions = conversions
    }

    /// The conversion rate, 0 for an empty arm.
    public var rate: Double { n > 0 ? Double(conversions) / Double(n) : 0 }

    /// p(1 − p), the per-unit variance of the conversion indicator.
    public var variance: Double { rate * (1 - rate) }

    /// Checks 0 ≤ conversions ≤ n.
    ///
    /// - Throws: ``StatsError`` naming the arm and the problem.
    public func validate(arm: String) throws(StatsError) {
        if n < 0 { throw StatsError(.invalidInput, "\(arm).n must be ≥ 0, got \(n)", field: "\(arm).n") }
        if conversions < 0 {
            throw StatsError(.invalidInput, "\(arm).conversions must be ≥ 0, got \(conversions)", field: "\(arm).conversions")
        }
        if conversions > n {
            throw StatsError(
                .invalidInput, "\(arm).conversions (\(conversions)) cannot exceed \(arm).n (\(n))",
                field: "\(arm).conversions")
        }
    }

    public static func + (lhs: Self, rhs: Self) -> Self {
        ProportionStatistic(n: lhs.n + rhs.n, conversions: lhs.conversions + rhs.conversions)
    }

    public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }

    /// The same counts as a mean statistic (a conversion indicator has sum = sum of squares).
    public var asMean: MeanStatistic {
        MeanStatistic(n: n, sum: Double(conversions), sumSquares: Double(conversions))
    }
}
