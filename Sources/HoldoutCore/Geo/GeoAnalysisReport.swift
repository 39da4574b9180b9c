public import HoldoutGeo

/// `holdout geo analyze`'s answer: the panel's shape and one result per method,
/// `{panel: {geos, days, pre_days, test_days, cooldown_days}, methods: {<method>: {…}}}`.
///
/// With a single method its error is thrown; with `all`, a method that cannot run on this panel
/// (trimmed match without pairs or cost, say) reports `{"error": …}` and the others still run.
public struct GeoAnalysisReport: Sendable, Encodable {
    /// An analysis method.
    public enum Method: String, Sendable, Hashable, CaseIterable, Codable {
        case summary, did, tbr
        case trimmedMatch = "trimmed-match"
        case scm
    }

    public struct PanelShape: Sendable, Hashable, Encodable {
        public var geos: Int
        public var days: Int
        public var preDays: Int
        public var testDays: Int
        public var cooldownDays: Int

        enum CodingKeys: String, CodingKey {
            case geos, days
            case preDays = "pre_days"
            case testDays = "test_days"
            case cooldownDays = "cooldown_days"
        }
    }

    /// One method's result, or why it could not run.
    public enum Outcome: Sendable, Encodable {
        case summary(SummaryResult)
        case did(DiDResult)
        case tbr(TBRResult)
        case trimmedMatch(TrimmedMatchResult)
        case scm(SCMResult)
        case failed(String)

        enum CodingKeys: String, CodingKey { case error }

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .summary(let r): try r.encode(to: encoder)
            case .did(let r): try r.encode(to: encoder)
            case .tbr(let r): try r.encode(to: encoder)
            case .trimmedMatch(let r): try r.encode(to: encoder)
            case .scm(let r): try r.encode(to: encoder)
            case .failed(let message):
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .error)
            }
        }
    }

    public var panel: PanelShape
    /// Results in the order of ``Method`` (a JSON object keyed by method).
    public var methods: [(method: Method, outcome: Outcome)]

    enum CodingKeys: String, CodingKey { case panel, methods }

    struct MethodKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(panel, forKey: .panel)
        var m = c.nestedContainer(keyedBy: MethodKey.self, forKey: .methods)
        for (method, outcome) in methods { try m.encode(outcome, forKey: MethodKey(stringValue: method.rawValue)) }
    }

    /// Synthetic control's settings: augmentation and the conformal test's permutations.
    public struct SCMSettings: Sendable, Hashable {
        /// Ridge-augment the weights (augsynth).
        public var augment: Bool
        /// The ridge λ when augmenting; nil: chosen from the pre-period
        /// (``GeoAnalysis/crossValidatedRidge(panel:assignment:periods:)``).
        public var ridge: Double?
        public var permutations: Int
        public var seed: UInt64

        public init(augment: Bool = false, ridge: Double? = nil, permutations: Int = 1000, seed: UInt64 = GeoDesign.defaultSeed) {
            self.augment = augment
            self.ridge = ridge
            self.permutations = permutations
            self.seed = seed
        }

        /// The λ to pass to ``GeoAnalysis/scm(panel:assignment:periods:level:tails:ridge:permutations:seed:)``.
        func ridge(panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods) throws(GeoError) -> Double? {
            guard augment else { return nil }
            if let ridge { return ridge }
            return try GeoAnalysis.crossValidatedRidge(panel: panel, assignment: assignment, periods: periods)
        }
    }

    /// Runs the methods (nil: all of them) on a panel.
    /// - Throws: ``GeoError`` from a single method, or periods outside the panel.
    /// - Parameters:
    ///   - trimRate: trimmed match's trim rate, fixed (nil: chosen from the data up to
    ///     `maxTrimRate`, as the trimmed_match package does).
    ///   - scm: synthetic control's settings (``SCMSettings``).
    public static func run(
        panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods, method: Method?, level: Double = 0.9, tails: Int = 2,
        trimRate: Double? = nil, maxTrimRate: Double = 0.25, scm: SCMSettings = SCMSettings()
    ) throws(GeoError) -> GeoAnalysisReport {
        guard periods.preStart < periods.testStart, periods.testStart <= periods.testEnd else {
            throw GeoError(
                .invalidInput, "periods must satisfy pre_start < test_start ≤ test_end (got \(periods.preStart), \(periods.testStart), \(periods.testEnd))")
        }
        if let end = periods.cooldownEnd, end <= periods.testEnd {
            throw GeoError(.invalidInput, "cooldown_end (\(end)) must be after test_end (\(periods.testEnd))")
        }
        guard periods.preStart >= panel.firstDay, (periods.cooldownEnd ?? periods.testEnd) <= panel.lastDay else {
            throw GeoError(
                .invalidInput,
                "the periods \(periods.preStart) … \(periods.cooldownEnd ?? periods.testEnd) must lie inside the panel (\(panel.firstDay) … \(panel.lastDay))")
        }
        let shape = PanelShape(
            geos: panel.geos.count, days: panel.dayCount, preDays: periods.preStart.distance(to: periods.testStart),
            testDays: periods.testStart.distance(to: periods.testEnd) + 1, cooldownDays: periods.cooldownEnd.map { periods.testEnd.distance(to: $0) } ?? 0)
        func one(_ m: Method) throws(GeoError) -> Outcome {
            switch m {
            case .summary: .summary(try GeoAnalysis.summary(panel: panel, assignment: assignment, periods: periods, level: level, tails: tails))
            case .did: .did(try GeoAnalysis.did(panel: panel, assignment: assignment, periods: periods, level: level, tails: tails))
            case .tbr: .tbr(try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: periods, level: level, tails: tails))
            case .trimmedMatch:
                .trimmedMatch(
                    try GeoAnalysis.trimmedMatch(
                        panel: panel, assignment: assignment, periods: periods, level: level, tails: tails, trimRate: trimRate, maxTrimRate: maxTrimRate))
            case .scm:
                .scm(
                    try GeoAnalysis.scm(
                        panel: panel, assignment: assignment, periods: periods, level: level, tails: tails,
                        ridge: try scm.ridge(panel: panel, assignment: assignment, periods: periods), permutations: scm.permutations, seed: scm.seed))
            }
        }
        if let method { return GeoAnalysisReport(panel: shape, methods: [(method, try one(method))]) }
        var results: [(method: Method, outcome: Outcome)] = []
        for m in Method.allCases {
            do throws(GeoError) {
                results.append((m, try one(m)))
            } catch {
                results.append((m, .failed(error.message)))
            }
        }
        return GeoAnalysisReport(panel: shape, methods: results)
    }
}
