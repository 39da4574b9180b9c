/// Sufficient statistics of a numeric metric in one arm: n, Σy and Σy².
///
/// These are what `SELECT count(*), sum(y), sum(y*y)` returns, and they merge by addition.
/// The variance is the unbiased sample variance (Σy² − (Σy)²/n)/(n − 1), clamped at zero
/// against rounding; for data whose mean is huge compared to its spread, shift the values
/// before summing (a constant shift does not change any difference between arms).
public struct MeanStatistic: Sendable, Hashable, Codable {
    /// Units in the arm.
    public var n: Int
    /// Σy over units.
    public var sum: Double
    /// Σy² over units.
    public var sumSquares: Double

    public init(n: Int, sum: Double, sumSquares: Double) {
        self.n = n
        self.sum = sum
        self.sumSquares = sumSquares
    }

    public init() { self.init(n: 0, sum: 0, sumSquares: 0) }

    /// Adds one observation.
    @inlinable
    public mutating func add(_ y: Double) {
        n += 1
        sum += y
        sumSquares += y * y
    }

    /// ȳ, 0 for an empty arm.
    public var mean: Double { n > 0 ? sum / Double(n) : 0 }

    /// The unbiased sample variance; 0 when n < 2.
    public var variance: Double {
        guard n > 1 else { return 0 }
        let centered = sumSquares - sum * sum / Double(n)
        return max(centered, 0) / Double(n - 1)
    }

    /// Checks that the sums are finite and consistent (n ≥ 0, Σy² ≥ (Σy)²/n up to rounding).
    public func validate(arm: String) throws(StatsError) {
        if n < 0 { throw StatsError(.invalidInput, "\(arm).n must be ≥ 0, got \(n)", field: "\(arm).n") }
        if !sum.isFinite { throw StatsError(.invalidInput, "\(arm).sum must be a finite number", field: "\(arm).sum") }
        if !sumSquares.isFinite || sumSquares < 0 {
            throw StatsError(
                .invalidInput, "\(arm).sum_squares must be a finite number ≥ 0", field: "\(arm).sum_squares")
        }
        if n > 0 {
            let floor = sum * sum / Double(n)
            if sumSquares < floor * (1 - 1e-9) - 1e-9 {
                throw StatsError(
                    .invalidInput,
                    "\(arm).sum_squares (\(sumSquares)) is below sum²/n (\(floor)): these cannot come from real data",
                    field: "\(arm).sum_squares")
            }
        }
        if n == 0 && (sum != 0 || sumSquares != 0) {
            throw StatsError(.invalidInput, "\(arm) has n = 0 but non-zero sums", field: "\(arm).n")
        }
    }

    public static func + (lhs: Self, rhs: Self) -> Self {
        MeanStatistic(n: lhs.n + rhs.n, sum: lhs.sum + rhs.sum, sumSquares: lhs.sumSquares + rhs.sumSquares)
    }

    public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }
}
