/// A design's minimum detectable lift, as its JSON carries it: placebo power of TBR
/// (``GeoPower/placebo(control:treatment:plan:)``) over the design's own groups on the history
/// it was drawn from, with the plan used. When no placebo can be run (a history shorter than one
/// window of `pre_days` + `test_days`, a constant control series…), `minimum_detectable_lift` is
/// null and `reason` says why: the design stands, only its MDE is unknown.
///
/// ```json
/// "power": {"method": "tbr_placebo", "test_days": 28, "pre_days": 28, "level": 0.9, "tails": 2, "history_days": 90,
///           "minimum_detectable_lift": 0.043, "windows": 35, "false_positive_rate": 0.09, "points": [{"lift": 0.01, "power": 0.2}, …]}
/// ```
public struct DesignPower: Sendable, Hashable, Codable {
    /// `tbr_placebo`: the only method with a placebo analysis.
    public var method: String
    public var testDays: Int
    public var preDays: Int
    public var level: Double
    public var tails: Int
    /// Days of history the placebo windows slide over.
    public var historyDays: Int
    /// The smallest lift with 80% power (interpolated on the grid); nil with ``reason`` when no
    /// placebo could be run, or when the grid never reaches 80% (then ``points`` say so).
    public var minimumDetectableLift: Double?
    /// Why there is no minimum detectable lift, when there is none.
    public var reason: String?
    /// Placebo windows fitted.
    public var windows: Int?
    /// Share of windows significant with nothing injected (near 1 − level when TBR suits the data).
    public var falsePositiveRate: Double?
    /// Power per lift of the grid.
    public var points: [GeoPower.Point]?

    /// The default test duration of a design's MDE, in days (four weeks).
    public static let defaultTestDays = 28
    /// The default pre-period of each placebo window, in days (as long as the test).
    public static let defaultPreDays = 28

    /// Runs the placebo on the two groups' daily series (history, oldest first).
    public init(control: [Double], treatment: [Double], plan: GeoPower.Plan) {
        method = "tbr_placebo"
        testDays = plan.testDays
        preDays = plan.preDays
        level = plan.level
        tails = plan.tails
        historyDays = control.count
        do {
            let result = try GeoPower.placebo(control: control, treatment: treatment, plan: plan)
            minimumDetectableLift = result.minimumDetectableLift
            windows = result.windows
            falsePositiveRate = result.falsePositiveRate
            points = result.points
            if result.minimumDetectableLift == nil {
                reason = "no lift on the grid (up to \(plan.lifts.last ?? 0)) reaches 80% power over \(result.windows) placebo windows"
            }
        } catch {
            reason = error.message
        }
    }

    /// The placebo result these fields came from (nil when no placebo ran), for
    /// ``BalanceDiagnostics/power``.
    public var placebo: GeoPower.Result? {
        guard let windows, let falsePositiveRate, let points else { return nil }
        return GeoPower.Result(
            plan: GeoPower.Plan(preDays: preDays, testDays: testDays, level: level, tails: tails, lifts: points.map(\.lift)), windows: windows,
            falsePositiveRate: falsePositiveRate, points: points, minimumDetectableLift: minimumDetectableLift)
    }

    enum CodingKeys: String, CodingKey {
        case method
        case testDays = "test_days"
        case preDays = "pre_days"
        case level, tails
        case historyDays = "history_days"
        case minimumDetectableLift = "minimum_detectable_lift"
        case reason, windows
        case falsePositiveRate = "false_positive_rate"
        case points
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decode(String.self, forKey: .method)
        testDays = try c.decode(Int.self, forKey: .testDays)
        preDays = try c.decode(Int.self, forKey: .preDays)
        level = try c.decode(Double.self, forKey: .level)
        tails = try c.decode(Int.self, forKey: .tails)
        historyDays = try c.decode(Int.self, forKey: .historyDays)
        minimumDetectableLift = try c.decodeIfPresent(Double.self, forKey: .minimumDetectableLift)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        windows = try c.decodeIfPresent(Int.self, forKey: .windows)
        falsePositiveRate = try c.decodeIfPresent(Double.self, forKey: .falsePositiveRate)
        points = try c.decodeIfPresent([GeoPower.Point].self, forKey: .points)
    }

    /// `minimum_detectable_lift` is always present (null when unknown); the rest when known.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(method, forKey: .method)
        try c.encode(testDays, forKey: .testDays)
        try c.encode(preDays, forKey: .preDays)
        try c.encode(level, forKey: .level)
        try c.encode(tails, forKey: .tails)
        try c.encode(historyDays, forKey: .historyDays)
        try c.encode(minimumDetectableLift, forKey: .minimumDetectableLift)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(windows, forKey: .windows)
        try c.encodeIfPresent(falsePositiveRate, forKey: .falsePositiveRate)
        try c.encodeIfPresent(points, forKey: .points)
    }
}
