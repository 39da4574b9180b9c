extension Analysis {
    /// Which statistical test an analysis runs, and with what parameters: the one place where a
    /// setting selects a test.
    ///
    /// | metric | frequentist | sequential | bayesian |
    /// |---|---|---|---|
    /// | proportion | ``ProportionTest`` | ``SequentialTest`` (unpooled) | ``BayesianTest`` on ``ProportionTest`` |
    /// | mean | ``WelchTest`` | ``SequentialTest`` (Welch) | ``BayesianTest`` on ``WelchTest`` |
    /// | ratio | ``RatioTest`` | ``SequentialTest`` (delta method) | ``BayesianTest`` on ``RatioTest`` |
    ///
    /// With ``isCUPED`` each treatment also gets ``RegressionAdjustment`` on its
    /// ``Arm/regression`` statistics (frequentist, proportion or mean metrics).
    ///
    /// On the wire (snake_case, every key optional):
    ///
    /// ```json
    /// {"metric": "proportion", "method": "frequentist", "alternative": "two-sided", "alpha": 0.05,
    ///  "tuning": 5000, "prior": {"mean": 0, "sd": 0.1}, "correction": "holm", "cuped": false,
    ///  "covariates": ["pre_revenue"]}
    /// ```
    ///
    /// Decoding validates (``validate()``) and throws ``StatsError`` naming the field.
    public struct Settings: Sendable, Hashable, Codable {
        /// The kind of metric, which fixes the per-arm statistics: ``ProportionStatistic``,
        /// ``MeanStatistic`` or ``RatioStatistic``.
        public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
            case proportion, mean, ratio
        }

        /// How the lift is inferred.
        public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
            /// A fixed-horizon test: read once, at the planned sample size.
            case frequentist
            /// An always-valid confidence sequence: safe to read at every interim.
            case sequential
            /// A normal posterior on the lift, with chance to win and expected loss.
            case bayesian
        }

        /// The adjustment of p-values across several treatment arms.
        public enum Correction: String, Sendable, Hashable, Codable, CaseIterable {
            case none
            /// Holm's step-down adjustment (family-wise error rate).
            case holm
            /// Benjamini–Hochberg (false discovery rate).
            case benjaminiHochberg = "benjamini-hochberg"
        }

        public var metric: Metric
        public var method: Method
        /// Only ``Method/frequentist`` results may be one-sided.
        public var alternative: Alternative
        /// Significance level in (0, 1); intervals have coverage 1 − α.
        public var alpha: Double
        /// The sequential test's tuning sample size τ (> 0).
        public var tuning: Double
        /// The Bayesian prior on the absolute lift; `nil` is flat.
        public var prior: BayesianTest.Prior?
        /// Which adjusted p-value ``Result/Treatment/pValueAdjusted`` holds.
        public var correction: Correction
        /// Whether each treatment also gets a CUPED (regression-adjusted) comparison.
        public var isCUPED: Bool
        /// Covariate names for CUPED's error messages (x1…xk when `nil`).
        public var covariateNames: [String]?

        public init(
            metric: Metric = .proportion, method: Method = .frequentist, alternative: Alternative = .twoSided, alpha: Double = 0.05,
            tuning: Double = SequentialTest.defaultTuning, prior: BayesianTest.Prior? = nil, correction: Correction = .none,
            isCUPED: Bool = false, covariateNames: [String]? = nil
        ) {
            self.metric = metric
            self.method = method
            self.alternative = alternative
            self.alpha = alpha
            self.tuning = tuning
            self.prior = prior
            self.correction = correction
            self.isCUPED = isCUPED
            self.covariateNames = covariateNames
        }

        /// The options handed to the fixed-horizon tests.
        public var options: TestOptions { TestOptions(alpha: alpha, alternative: alternative) }

        /// Checks that the settings select a test that exists.
        ///
        /// - Throws: ``StatsError`` with ``StatsError/field`` `alpha` (not in (0, 1)),
        ///   `alternative` (one-sided with a sequential or Bayesian method), `tuning` (not
        ///   positive), `prior.sd` / `prior.mean` (not positive / not finite) or `cuped` (with a
        ///   ratio metric or a method other than frequentist).
        public func validate() throws(StatsError) {
            try options.validate()
            if method != .frequentist && alternative != .twoSided {
                throw StatsError(
                    .invalidInput, "\(method.rawValue) results are two-sided; drop \"alternative\" or use method frequentist",
                    field: "alternative")
            }
            guard tuning.isFinite, tuning > 0 else {
                throw StatsError(.invalidInput, "tuning must be positive, got \(tuning)", field: "tuning")
            }
            if let prior {
                guard prior.standardDeviation.isFinite, prior.standardDeviation > 0 else {
                    throw StatsError(.invalidInput, "prior.sd must be positive, got \(prior.standardDeviation)", field: "prior.sd")
                }
                guard prior.mean.isFinite else {
                    throw StatsError(.invalidInput, "prior.mean must be a finite number", field: "prior.mean")
                }
            }
            if isCUPED {
                guard method == .frequentist else {
                    throw StatsError(.invalidInput, "cuped: regression adjustment is frequentist; use method frequentist", field: "cuped")
                }
                guard metric != .ratio else {
                    throw StatsError(.invalidInput, "cuped: regression adjustment needs a proportion or mean metric", field: "cuped")
                }
            }
        }

        // MARK: Wire

        static let keys: Set<String> = ["metric", "method", "alternative", "alpha", "tuning", "prior", "correction", "cuped", "covariates"]

        enum CodingKeys: String, CodingKey {
            case metric, method, alternative, alpha, tuning, prior, correction, covariates
            case isCUPED = "cuped"
        }

        /// Decodes and validates settings alone (unknown keys refused).
        public init(from decoder: any Decoder) throws {
            let object = try WireObject(decoder)
            try object.rejectUnknownKeys(Self.keys)
            try self.init(wire: object)
        }

        /// Reads the settings' keys of an object that may hold others (a request); validates.
        init(wire object: WireObject) throws(StatsError) {
            self.init()
            func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(StatsError) -> T? where T.RawValue == String {
                guard let name = try object.string(key) else { return nil }
                guard let value = T(rawValue: name) else {
                    let names = T.allCases.map(\.rawValue)
                    let list = names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
                    throw StatsError(.invalidInput, "\(object.name(key)): must be \(list), got \"\(name)\"", field: object.name(key))
                }
                return value
            }
            metric = try choice("metric", Metric.self) ?? metric
            method = try choice("method", Method.self) ?? method
            alternative = try choice("alternative", Alternative.self) ?? alternative
            alpha = try object.double("alpha") ?? alpha
            tuning = try object.double("tuning") ?? tuning
            if object.has("prior") {
                let p = try WireObject(try object.object("prior"))
                try p.rejectUnknownKeys(["mean", "sd"])
                prior = BayesianTest.Prior(mean: try p.double("mean") ?? 0, standardDeviation: try p.requiredDouble("sd"))
            }
            correction = try choice("correction", Correction.self) ?? correction
            isCUPED = try object.bool("cuped") ?? isCUPED
            if object.has("covariates") {
                guard let names = try? object.container.decode([String].self, forKey: .init("covariates")) else {
                    throw StatsError(.invalidInput, "\(object.name("covariates")): expected an array of strings", field: object.name("covariates"))
                }
                covariateNames = names
            }
            do {
                try validate()
            } catch {
                // Name the field from the object's path when the settings are nested.
                var located = error
                if let field = error.field, !object.path.isEmpty { located.field = object.name(field) }
                throw located
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: WireObject.Key.self)
            try encode(into: &c)
        }

        /// Writes the settings' keys into a container another type owns (a request).
        func encode(into c: inout KeyedEncodingContainer<WireObject.Key>) throws {
            func key(_ k: CodingKeys) -> WireObject.Key { WireObject.Key(k.stringValue) }
            try c.encode(metric, forKey: key(.metric))
            try c.encode(method, forKey: key(.method))
            try c.encode(alternative, forKey: key(.alternative))
            try c.encode(alpha, forKey: key(.alpha))
            try c.encode(tuning, forKey: key(.tuning))
            try c.encodeIfPresent(prior, forKey: key(.prior))
            try c.encode(correction, forKey: key(.correction))
            try c.encode(isCUPED, forKey: key(.isCUPED))
            try c.encodeIfPresent(covariateNames, forKey: key(.covariates))
        }
    }
}
