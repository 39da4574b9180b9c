/// Sufficient statistics for regression adjustment (CUPED) with k pre-experiment covariates
/// in one arm: n, Σy, Σy², Σx_j, Σx_j·y and Σx_i·x_j.
///
/// Merges by addition. The k×k cross-product matrix is stored in full, row-major, for simple
/// merging; `add` updates only the upper triangle and mirrors it on read.
///
/// - Complexity: `add` is O(k²).
public struct RegressionStatistic: Sendable, Hashable, Codable {
    public private(set) var covariateCount: Int
    public var n: Int
    public var sumY: Double
    public var sumYY: Double
    /// Σx_j, j < k.
    public var sumX: [Double]
    /// Σx_j·y, j < k.
    public var sumXY: [Double]
    /// Σx_i·x_j, row-major k×k.
    public var sumXX: [Double]

    /// An empty statistic for k covariates.
    public init(covariateCount k: Int) {
        precondition(k >= 1, "regression adjustment needs at least one covariate")
        covariateCount = k
        n = 0
        sumY = 0
        sumYY = 0
        sumX = Array(repeating: 0, count: k)
        sumXY = Array(repeating: 0, count: k)
        sumXX = Array(repeating: 0, count: k * k)
    }

    /// A statistic from sums computed elsewhere (SQL, another process).
    /// - Throws: ``StatsError`` when the shapes disagree.
    public init(n: Int, sumY: Double, sumYY: Double, sumX: [Double], sumXY: [Double], sumXX: [[Double]]) throws(StatsError) {
        let k = sumX.count
        guard k >= 1 else { throw StatsError(.invalidInput, "need at least one covariate", field: "sum_x") }
        guard sumXY.count == k, sumXX.count == k, sumXX.allSatisfy({ $0.count == k }) else {
            throw StatsError(.invalidInput, "sum_x, sum_xy and sum_xx must all be for \(k) covariates", field: "sum_xx")
        }
        self.init(covariateCount: k)
        self.n = n
        self.sumY = sumY
        self.sumYY = sumYY
        self.sumX = sumX
        self.sumXY = sumXY
        self.sumXX = sumXX.flatMap { $0 }
    }

    /// Adds one unit's outcome y and covariates x (x.count == k).
    @inlinable
    public mutating func add(y: Double, x: UnsafeBufferPointer<Double>) {
        let k = covariateCount
        n += 1
        sumY += y
        sumYY += y * y
        sumX.withUnsafeMutableBufferPointer { sx in
            sumXY.withUnsafeMutableBufferPointer { sxy in
                sumXX.withUnsafeMutableBufferPointer { sxx in
                    for i in 0..<k {
                        let xi = x[i]
                        sx[i] += xi
                        sxy[i] += xi * y
                        let row = i * k
                        for j in i..<k { sxx[row + j] += xi * x[j] }
                    }
                }
            }
        }
    }

    /// Adds one unit.
    public mutating func add(y: Double, x: [Double]) {
        precondition(x.count == covariateCount)
        x.withUnsafeBufferPointer { add(y: y, x: $0) }
    }

    /// Σx_i·x_j, reading the upper triangle (which `add` maintains).
    @inlinable
    public func crossProduct(_ i: Int, _ j: Int) -> Double {
        let k = covariateCount
        return i <= j ? sumXX[i * k + j] : sumXX[j * k + i]
    }

    /// The outcome alone, for the unadjusted comparison.
    public var outcome: MeanStatistic { MeanStatistic(n: n, sum: sumY, sumSquares: sumYY) }

    public static func + (lhs: Self, rhs: Self) -> Self {
        precondition(lhs.covariateCount == rhs.covariateCount, "cannot merge statistics with different covariates")
        var out = lhs
        out.n += rhs.n
        out.sumY += rhs.sumY
        out.sumYY += rhs.sumYY
        for i in 0..<out.sumX.count {
            out.sumX[i] += rhs.sumX[i]
            out.sumXY[i] += rhs.sumXY[i]
        }
        let k = lhs.covariateCount
        for i in 0..<k {
            for j in 0..<k { out.sumXX[i * k + j] = lhs.crossProduct(i, j) + rhs.crossProduct(i, j) }
        }
        return out
    }
}
