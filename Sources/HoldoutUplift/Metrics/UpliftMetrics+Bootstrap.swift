extension UpliftMetrics {
    /// How to bootstrap the metrics: replicates, seed and interval level.
    ///
    /// Each replicate draws n_t treated rows from the treated rows and n_c control rows from the
    /// control rows, with replacement (stratified by arm, so every replicate has both arms in
    /// their original sizes), keeps the original ranking (a row drawn w times counts as w
    /// adjacent rows), and recomputes every metric. The interval is the percentile interval of
    /// the replicates (NumPy's default linear interpolation between order statistics).
    /// Neither scikit-uplift nor causalml 0.18's `uplift_at_k`/`qini_auc_score` offer this
    /// (causalml's `return_ci` uses an unstratified half-sample bootstrap).
    public struct BootstrapSettings: Sendable, Hashable, Codable {
        /// Replicates, ≥ 2 (200 or more for a 95% interval).
        public var replicates: Int
        /// Seed of the generator (SplitMix64): the same seed gives the same intervals.
        public var seed: UInt64
        /// Interval level in (0, 1).
        public var level: Double

        public init(replicates: Int = 200, seed: UInt64 = 1, level: Double = 0.95) {
            self.replicates = replicates
            self.seed = seed
            self.level = level
        }

        /// - Throws: ``UpliftError`` (`invalid_input`) naming `replicates` or `level`.
        public func validate() throws(UpliftError) {
            guard replicates >= 2 else {
                throw UpliftError(.invalidInput, "replicates = \(replicates) must be at least 2 (200 or more for a 95% interval)", field: "replicates")
            }
            guard level.isFinite, level > 0, level < 1 else {
                throw UpliftError(.invalidInput, "level = \(level) must be in (0, 1)", field: "level")
            }
        }
    }

    /// A bootstrap percentile interval.
    public struct Interval: Sendable, Hashable, Codable {
        public var low: Double
        public var high: Double
        /// Replicates in which the metric was undefined (e.g. no control row in the top k) and
        /// which the interval leaves out.
        public var undefinedReplicates: Int

        public init(low: Double, high: Double, undefinedReplicates: Int) {
            self.low = low
            self.high = high
            self.undefinedReplicates = undefinedReplicates
        }

        enum CodingKeys: String, CodingKey {
            case low, high
            case undefinedReplicates = "undefined_replicates"
        }

        /// The percentile interval of the defined values, or `nil` when none is defined.
        static func percentile(_ values: [Double?], level: Double) -> Interval? {
            let defined = values.compactMap { $0 }.sorted()
            guard !defined.isEmpty else { return nil }
            func quantile(_ q: Double) -> Double {
                let h = Double(defined.count - 1) * q
                let lower = Int(h)
                let upper = min(lower + 1, defined.count - 1)
                return defined[lower] + (h - Double(lower)) * (defined[upper] - defined[lower])
            }
            let tail = (1 - level) / 2
            return Interval(low: quantile(tail), high: quantile(1 - tail), undefinedReplicates: values.count - defined.count)
        }
    }
}

/// Every bootstrapped number of one replicate; `nil` where the metric is undefined.
struct ReplicateValues: Sendable, Hashable {
    var upliftAUCScore: Double?
    var qiniAUCScore: Double?
    var upliftAtKOverall: Double?
    var upliftAtKByGroup: Double?
    var causalMLAUUCScore: Double?
    var causalMLQiniScore: Double?
    var averageUplift: Double?
}

extension RankedRows {
    /// The overall treated mean minus the overall control mean.
    var averageUplift: Double {
        let all = prefix(rows: rows)
        return all.treatedOutcome / all.treated - all.controlOutcome / all.control
    }

    /// Every bootstrapped metric for these rows.
    func replicateValues(k: UpliftMetrics.K) -> ReplicateValues {
        let areas = curveAreas()
        let causal = causalMLScores()
        return ReplicateValues(
            upliftAUCScore: try? upliftAUCScore(actualArea: areas.uplift),
            qiniAUCScore: try? qiniAUCScore(actualArea: areas.qini, negativeEffect: true),
            upliftAtKOverall: try? upliftAtK(k: k, strategy: .overall),
            upliftAtKByGroup: try? upliftAtK(k: k, strategy: .byGroup),
            causalMLAUUCScore: try? causal.auuc(),
            causalMLQiniScore: try? causal.qini(),
            averageUplift: averageUplift)
    }

    /// One stratified resample, in the original ranking, as rows with multiplicities.
    ///
    /// - Precondition: unit weights (an ``UpliftSample``'s rows).
    func resample(treatedRows: [Int], controlRows: [Int], using generator: inout some RandomNumberGenerator) -> RankedRows {
        var counts = [Int32](repeating: 0, count: rows)
        for arm in [treatedRows, controlRows] {
            let size = arm.count
            for _ in 0..<size { counts[arm[Int.random(in: 0..<size, using: &generator)]] += 1 }
        }
        var newTreated: [Bool] = []
        var newOutcome: [Double] = []
        var newWeight: [Double] = []
        var newGroupEnds: [Int] = []
        // About 1 − 1/e of the rows are drawn at least once.
        let expected = rows - rows * 3 / 8
        newTreated.reserveCapacity(expected)
        newOutcome.reserveCapacity(expected)
        newWeight.reserveCapacity(expected)
        newGroupEnds.reserveCapacity(min(groupEnds.count, expected))
        var r = 0
        for end in groupEnds {
            // A group of tied rows stays a group if any of its rows was drawn.
            while r < end {
                if counts[r] > 0 {
                    newTreated.append(treated[r])
                    newOutcome.append(outcome[r])
                    newWeight.append(Double(counts[r]))
                }
                r += 1
            }
            if newTreated.count > (newGroupEnds.last ?? 0) { newGroupEnds.append(newTreated.count) }
        }
        return RankedRows(treated: newTreated, outcome: newOutcome, groupEnds: newGroupEnds, weight: newWeight)
    }

    /// Replicate values for `settings.replicates` stratified resamples.
    func bootstrap(_ settings: UpliftMetrics.BootstrapSettings, k: UpliftMetrics.K) throws(UpliftError) -> [ReplicateValues] {
        try settings.validate()
        var generator = SplitMix64(seed: settings.seed)
        let treatedRows = (0..<rows).filter { treated[$0] }
        let controlRows = (0..<rows).filter { !treated[$0] }
        var values: [ReplicateValues] = []
        values.reserveCapacity(settings.replicates)
        for _ in 0..<settings.replicates {
            values.append(resample(treatedRows: treatedRows, controlRows: controlRows, using: &generator).replicateValues(k: k))
        }
        return values
    }
}
