/// The sample-ratio-mismatch (SRM) check: a chi-squared goodness-of-fit test of the observed
/// units per arm against the planned allocation.
///
/// χ² = Σ (O_i − E_i)²/E_i with E_i = w_i·N and K − 1 degrees of freedom, as
/// `scipy.stats.chisquare(observed, f_exp)`. A p-value below the threshold (default 0.001, the
/// usual industry choice because the check runs on every experiment, every day) means the
/// assignment or the logging is broken and the experiment's results should not be trusted.
public struct SampleRatioMismatch: Sendable, Hashable, Codable {
    public var chi2: Double
    public var pValue: Double
    public var degreesOfFreedom: Int
    /// Expected units per arm under the planned weights.
    public var expected: [Double]
    public var threshold: Double
    /// p < threshold.
    public var isDetected: Bool

    enum CodingKeys: String, CodingKey {
        case chi2
        case pValue = "p_value"
        case degreesOfFreedom = "df"
        case expected
        case threshold
        case isDetected = "srm_detected"
    }

    /// The default threshold, p < 0.001.
    public static let defaultThreshold = 0.001

    /// Tests observed counts against planned weights.
    ///
    /// - Parameters:
    ///   - observed: units per arm, K ≥ 2.
    ///   - weights: planned shares per arm, positive, summing to 1 (within 1e-6).
    ///   - threshold: flag when p < threshold.
    /// - Throws: ``StatsError`` when K < 2, the lengths differ, a count is negative, a weight is not
    ///   positive, or the weights do not sum to 1.
    public init(observed: [Int], weights: [Double], threshold: Double = defaultThreshold) throws(StatsError) {
        guard observed.count >= 2 else {
            throw StatsError(.invalidInput, "need at least 2 arms, got \(observed.count)", field: "observed")
        }
        guard weights.count == observed.count else {
            throw StatsError(
                .invalidInput, "got \(observed.count) observed counts but \(weights.count) weights", field: "weights")
        }
        if let bad = observed.firstIndex(where: { $0 < 0 }) {
            throw StatsError(.invalidInput, "observed[\(bad)] is negative (\(observed[bad]))", field: "observed")
        }
        if let bad = weights.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw StatsError(.invalidInput, "weights[\(bad)] must be > 0, got \(weights[bad])", field: "weights")
        }
        let total = weights.reduce(0, +)
        guard abs(total - 1) <= 1e-6 else {
            throw StatsError(.invalidInput, "weights must sum to 1, they sum to \(total)", field: "weights")
        }
        guard threshold > 0, threshold < 1 else {
            throw StatsError(.invalidInput, "threshold must be in (0, 1), got \(threshold)", field: "threshold")
        }
        let n = Double(observed.reduce(0, +))
        let expected = weights.map { $0 / total * n }
        var chi2 = 0.0
        if n > 0 {
            for (o, e) in zip(observed, expected) {
                let d = Double(o) - e
                chi2 += d * d / e
            }
        }
        self.chi2 = chi2
        self.degreesOfFreedom = observed.count - 1
        self.pValue = n > 0 ? ChiSquared.sf(chi2, degreesOfFreedom: Double(observed.count - 1)) : 1
        self.expected = expected
        self.threshold = threshold
        self.isDetected = pValue < threshold
    }
}
