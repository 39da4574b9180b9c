extension UpliftMetrics {
    /// Every metric the CLI prints for one scored experiment, from one ranking.
    ///
    /// JSON (snake_case keys):
    ///
    /// ```json
    /// {"n": 1000, "treated": 500, "control": 500, "convention": "scikit-uplift 0.5.1",
    ///  "uplift_auc_score": 0.08, "qini_auc_score": 0.17, "qini_auc_score_no_negative_effect": 2.1,
    ///  "uplift_at_k": {"k": 0.3, "overall": 0.05, "by_group": 0.05},
    ///  "weighted_average_uplift": {"bins": 10, "overall": 0.02, "by_group": 0.02},
    ///  "causalml": {"convention": "causalml 0.18 normalized", "auuc_score": 1.55, "qini_score": 1.05},
    ///  "policy": {...}, "bootstrap": {...}, "undefined": []}
    /// ```
    ///
    /// A metric that is undefined for the data (where the libraries return NaN or raise) is
    /// `null` and listed in `undefined` with the reason; the report never holds NaN. Only bad
    /// arguments (k, bins, bootstrap settings) make the initialiser throw.
    public struct Report: Sendable, Hashable, Codable {
        /// uplift@k at one k, both strategies (scikit-uplift 0.5.1).
        public struct AtK: Sendable, Hashable, Codable {
            /// The fraction, or the row count, as given.
            public var k: Double
            public var overall: Double?
            public var byGroup: Double?

            enum CodingKeys: String, CodingKey {
                case k, overall
                case byGroup = "by_group"
            }

            /// Writes an undefined value as `null` rather than leaving the key out.
            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(k, forKey: .k)
                try container.encode(overall, forKey: .overall)
                try container.encode(byGroup, forKey: .byGroup)
            }
        }

        /// Weighted average uplift with one bin count, both strategies (scikit-uplift 0.5.1).
        public struct WeightedAverage: Sendable, Hashable, Codable {
            public var bins: Int
            public var overall: Double?
            public var byGroup: Double?

            enum CodingKeys: String, CodingKey {
                case bins, overall
                case byGroup = "by_group"
            }

            /// Writes an undefined value as `null` rather than leaving the key out.
            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(bins, forKey: .bins)
                try container.encode(overall, forKey: .overall)
                try container.encode(byGroup, forKey: .byGroup)
            }
        }

        /// causalml 0.18's normalised scores — a different scale from scikit-uplift's.
        public struct CausalML: Sendable, Hashable, Codable {
            public var convention: Convention
            public var auucScore: Double?
            public var qiniScore: Double?

            enum CodingKeys: String, CodingKey {
                case convention
                case auucScore = "auuc_score"
                case qiniScore = "qini_score"
            }

            /// Writes an undefined value as `null` rather than leaving the key out.
            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(convention, forKey: .convention)
                try container.encode(auucScore, forKey: .auucScore)
                try container.encode(qiniScore, forKey: .qiniScore)
            }
        }

        /// A metric with no value for this data, and why.
        public struct Undefined: Sendable, Hashable, Codable {
            /// The report key, e.g. `uplift_at_k.overall`.
            public var metric: String
            public var reason: String
        }

        /// Stratified-bootstrap percentile intervals (see ``BootstrapSettings``).
        public struct Intervals: Sendable, Hashable, Codable {
            public var method: String
            public var level: Double
            public var replicates: Int
            public var seed: UInt64
            public var upliftAUCScore: Interval?
            public var qiniAUCScore: Interval?
            public var upliftAtKOverall: Interval?
            public var upliftAtKByGroup: Interval?
            public var causalMLAUUCScore: Interval?
            public var causalMLQiniScore: Interval?

            enum CodingKeys: String, CodingKey {
                case method, level, replicates, seed
                case upliftAUCScore = "uplift_auc_score"
                case qiniAUCScore = "qini_auc_score"
                case upliftAtKOverall = "uplift_at_k_overall"
                case upliftAtKByGroup = "uplift_at_k_by_group"
                case causalMLAUUCScore = "causalml_auuc_score"
                case causalMLQiniScore = "causalml_qini_score"
            }
        }

        public var n: Int
        public var treated: Int
        public var control: Int
        /// The convention of the top-level scores, uplift@k and weighted average uplift.
        public var convention: Convention
        public var upliftAUCScore: Double?
        public var qiniAUCScore: Double?
        public var qiniAUCScoreNoNegativeEffect: Double?
        public var upliftAtK: AtK
        public var weightedAverageUplift: WeightedAverage
        public var causalML: CausalML
        /// Targeting the top k by predicted uplift against random targeting (``TargetingPolicy``).
        public var policy: TargetingPolicy?
        public var bootstrap: Intervals?
        public var undefined: [Undefined]

        enum CodingKeys: String, CodingKey {
            case n, treated, control, convention
            case upliftAUCScore = "uplift_auc_score"
            case qiniAUCScore = "qini_auc_score"
            case qiniAUCScoreNoNegativeEffect = "qini_auc_score_no_negative_effect"
            case upliftAtK = "uplift_at_k"
            case weightedAverageUplift = "weighted_average_uplift"
            case causalML = "causalml"
            case policy, bootstrap, undefined
        }

        /// Writes undefined scores as `null` rather than leaving the key out; `policy` and
        /// `bootstrap` are left out when absent.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(n, forKey: .n)
            try container.encode(treated, forKey: .treated)
            try container.encode(control, forKey: .control)
            try container.encode(convention, forKey: .convention)
            try container.encode(upliftAUCScore, forKey: .upliftAUCScore)
            try container.encode(qiniAUCScore, forKey: .qiniAUCScore)
            try container.encode(qiniAUCScoreNoNegativeEffect, forKey: .qiniAUCScoreNoNegativeEffect)
            try container.encode(upliftAtK, forKey: .upliftAtK)
            try container.encode(weightedAverageUplift, forKey: .weightedAverageUplift)
            try container.encode(causalML, forKey: .causalML)
            try container.encodeIfPresent(policy, forKey: .policy)
            try container.encodeIfPresent(bootstrap, forKey: .bootstrap)
            try container.encode(undefined, forKey: .undefined)
        }

        /// Computes every metric from the sample's one ranking.
        ///
        /// - Parameters:
        ///   - sample: the scored experiment.
        ///   - k: top of the ranking for uplift@k and the policy (default 30%).
        ///   - bins: bins of the weighted average uplift (default 10).
        ///   - bootstrap: settings for intervals; `nil` for none.
        /// - Throws: ``UpliftError`` (`invalid_input`) for k out of (0, 1) or (0, n), bins out of
        ///   (0, n), or bad bootstrap settings.
        /// - Complexity: O(n) without bootstrap; O(replicates · n) with.
        public init(_ sample: UpliftSample, k: K = .fraction(0.3), bins: Int = 10, bootstrap: BootstrapSettings? = nil) throws(UpliftError) {
            let rows = sample.ranked
            try rows.validate(k: k)
            guard bins > 0, bins < rows.units else {
                throw UpliftError(.invalidInput, "bins = \(bins) must be a positive integer smaller than the \(rows.units) rows", field: "bins")
            }
            try bootstrap?.validate()
            var undefined: [Undefined] = []
            func value(_ metric: String, _ compute: () throws(UpliftError) -> Double) -> Double? {
                do {
                    return try compute()
                } catch {
                    undefined.append(Undefined(metric: metric, reason: error.message))
                    return nil
                }
            }
            let areas = rows.curveAreas()
            let causal = rows.causalMLScores()
            n = rows.units
            treated = sample.treatedCount
            control = sample.controlCount
            convention = .scikitUplift
            upliftAUCScore = value("uplift_auc_score") { () throws(UpliftError) in try rows.upliftAUCScore(actualArea: areas.uplift) }
            qiniAUCScore = value("qini_auc_score") { () throws(UpliftError) in try rows.qiniAUCScore(actualArea: areas.qini, negativeEffect: true) }
            qiniAUCScoreNoNegativeEffect = value("qini_auc_score_no_negative_effect") { () throws(UpliftError) in
                try rows.qiniAUCScore(actualArea: areas.qini, negativeEffect: false)
            }
            let kValue: Double
            switch k {
            case .fraction(let f): kValue = f
            case .count(let c): kValue = Double(c)
            }
            upliftAtK = AtK(
                k: kValue,
                overall: value("uplift_at_k.overall") { () throws(UpliftError) in try rows.upliftAtK(k: k, strategy: .overall) },
                byGroup: value("uplift_at_k.by_group") { () throws(UpliftError) in try rows.upliftAtK(k: k, strategy: .byGroup) })
            weightedAverageUplift = WeightedAverage(
                bins: bins,
                overall: value("weighted_average_uplift.overall") { () throws(UpliftError) in try rows.weightedAverageUplift(strategy: .overall, bins: bins) },
                byGroup: value("weighted_average_uplift.by_group") { () throws(UpliftError) in try rows.weightedAverageUplift(strategy: .byGroup, bins: bins) })
            causalML = CausalML(
                convention: .causalMLNormalized,
                auucScore: value("causalml.auuc_score") { () throws(UpliftError) in try causal.auuc() },
                qiniScore: value("causalml.qini_score") { () throws(UpliftError) in try causal.qini() })
            let targeted = RankedRows.rowsTaken(k, of: rows.units)
            if let uplift = upliftAtK.overall {
                policy = TargetingPolicy(
                    fraction: Double(targeted) / Double(rows.units), population: rows.units, targeted: targeted, targetedUplift: uplift,
                    averageUplift: rows.averageUplift)
            } else {
                policy = nil
            }
            if let bootstrap {
                let values = try rows.bootstrap(bootstrap, k: k)
                let level = bootstrap.level
                self.bootstrap = Intervals(
                    method: "percentile, stratified by arm", level: level, replicates: bootstrap.replicates, seed: bootstrap.seed,
                    upliftAUCScore: upliftAUCScore == nil ? nil : .percentile(values.map(\.upliftAUCScore), level: level),
                    qiniAUCScore: qiniAUCScore == nil ? nil : .percentile(values.map(\.qiniAUCScore), level: level),
                    upliftAtKOverall: upliftAtK.overall == nil ? nil : .percentile(values.map(\.upliftAtKOverall), level: level),
                    upliftAtKByGroup: upliftAtK.byGroup == nil ? nil : .percentile(values.map(\.upliftAtKByGroup), level: level),
                    causalMLAUUCScore: causalML.auucScore == nil ? nil : .percentile(values.map(\.causalMLAUUCScore), level: level),
                    causalMLQiniScore: causalML.qiniScore == nil ? nil : .percentile(values.map(\.causalMLQiniScore), level: level))
                policy?.intervals = TargetingPolicy.intervals(values, settings: bootstrap, targeted: targeted)
            } else {
                self.bootstrap = nil
            }
            self.undefined = undefined
        }
    }
}
