/// The result every geo analysis shares: the cumulative incremental response over the analysed
/// days (test, plus cooldown when given), its interval, standard error and p-value, and the lift.
///
/// Encoded with snake_case keys: `incremental, ci_low, ci_high, std_error, p_value, lift,
/// level, tails` and, when the panel has cost, `iroas, iroas_ci_low, iroas_ci_high`.
/// One-sided tests (H₁: the campaign increased the response) have `ci_high` = `null`.
public struct GeoEstimate: Sendable, Hashable, Codable {
    /// Cumulative incremental response in the treatment group over the analysed days.
    public var incremental: Double
    public var ciLow: Double
    /// `nil` for a one-sided test.
    public var ciHigh: Double?
    public var stdError: Double
    public var pValue: Double
    /// incremental / (observed − incremental) in the treatment group; `nil` when the
    /// counterfactual (observed − incremental) is not positive.
    public var lift: Double?
    public var level: Double
    public var tails: Int
    /// Incremental response per unit of incremental cost, when the panel has cost.
    public var iroas: Double?
    public var iroasCiLow: Double?
    public var iroasCiHigh: Double?

    public init(
        incremental: Double, ciLow: Double, ciHigh: Double?, stdError: Double, pValue: Double, lift: Double?, level: Double, tails: Int,
        iroas: Double? = nil, iroasCiLow: Double? = nil, iroasCiHigh: Double? = nil
    ) {
        self.incremental = incremental
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.stdError = stdError
        self.pValue = pValue
        self.lift = lift
        self.level = level
        self.tails = tails
        self.iroas = iroas
        self.iroasCiLow = iroasCiLow
        self.iroasCiHigh = iroasCiHigh
    }

    /// With an exactly known incremental cost (matched_markets' fixed-cost scenario: no cost in
    /// the pre-period or in control during the test), iROAS = incremental / cost and its
    /// interval is the response interval divided by the cost. Does nothing for `nil` or a
    /// cost ≤ 0.
    mutating func addFixedCostIROAS(_ cost: Double?) {
        guard let cost, cost > 0 else { return }
        iroas = incremental / cost
        iroasCiLow = ciLow / cost
        iroasCiHigh = ciHigh.map { $0 / cost }
    }

    /// With an estimated incremental cost (control spends, or there is cost before the test):
    /// the iROAS interval is the quantiles of Δ_response / Δ_cost, each a location–scale t with
    /// `df` degrees of freedom (``StudentTRatio``); `ci_high` nil for one tail. A cost with no
    /// uncertainty falls back to ``addFixedCostIROAS(_:)``.
    mutating func addVariableCostIROAS(
        response: (estimate: Double, standardError: Double), cost: (estimate: Double, standardError: Double), df: Double, level: Double, tails: Int
    ) {
        guard cost.standardError > 0, cost.standardError.isFinite, response.standardError > 0, cost.estimate.isFinite else {
            addFixedCostIROAS(cost.estimate)
            return
        }
        let ratio = StudentTRatio(
            numerator: (response.estimate, response.standardError), denominator: (cost.estimate, cost.standardError), degreesOfFreedom: df)
        let tail = (1 - level) / Double(tails)
        let guess = cost.estimate != 0 ? response.estimate / cost.estimate : 0
        iroasCiLow = ratio.quantile(tail, near: guess)
        iroasCiHigh = tails == 2 ? ratio.quantile(1 - tail, near: guess) : nil
    }

    enum CodingKeys: String, CodingKey {
        case incremental
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
        case stdError = "std_error"
        case pValue = "p_value"
        case lift, level, tails, iroas
        case iroasCiLow = "iroas_ci_low"
        case iroasCiHigh = "iroas_ci_high"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(incremental, forKey: .incremental)
        try c.encode(ciLow, forKey: .ciLow)
        try c.encode(ciHigh, forKey: .ciHigh)  // null for one-sided, as in HoldoutStats
        try c.encode(stdError, forKey: .stdError)
        try c.encode(pValue, forKey: .pValue)
        try c.encode(lift, forKey: .lift)
        try c.encode(level, forKey: .level)
        try c.encode(tails, forKey: .tails)
        try c.encodeIfPresent(iroas, forKey: .iroas)
        try c.encodeIfPresent(iroasCiLow, forKey: .iroasCiLow)
        if iroas != nil { try c.encode(iroasCiHigh, forKey: .iroasCiHigh) }
    }
}
