extension Analysis {
    /// One arm's sufficient statistics: the metric's, and the regression sums CUPED needs.
    ///
    /// On the wire the keys depend on the metric (plus `sum_x`, `sum_xy`, `sum_xx` with CUPED,
    /// `sum_xx` by rows):
    ///
    /// | metric | keys |
    /// |---|---|
    /// | proportion | `n`, `conversions` |
    /// | mean | `n`, `sum`, `sum_squares` |
    /// | ratio | `n`, `sum_num`, `sum_num_sq`, `sum_den`, `sum_den_sq`, `sum_num_den` |
    ///
    /// Decoding validates the sums (``ProportionStatistic/validate(arm:)`` and its siblings) and
    /// names the arm by its path (`control`, `treatments[1]`).
    public struct Arm: Sendable, Hashable, Codable {
        /// The metric's statistic.
        public enum Statistic: Sendable, Hashable {
            case proportion(ProportionStatistic)
            case mean(MeanStatistic)
            case ratio(RatioStatistic)

            /// The metric kind the statistic belongs to.
            public var metric: Settings.Metric {
                switch self {
                case .proportion: .proportion
                case .mean: .mean
                case .ratio: .ratio
                }
            }

            /// Units in the arm.
            public var n: Int {
                switch self {
                case .proportion(let s): s.n
                case .mean(let s): s.n
                case .ratio(let s): s.n
                }
            }
        }

        public var statistic: Statistic
        /// The same units' outcome with their covariates, for CUPED; its outcome must be the
        /// metric's (for a proportion, the conversion indicator).
        public var regression: RegressionStatistic?

        public init(statistic: Statistic, regression: RegressionStatistic? = nil) {
            self.statistic = statistic
            self.regression = regression
        }

        public init(_ statistic: ProportionStatistic, regression: RegressionStatistic? = nil) {
            self.init(statistic: .proportion(statistic), regression: regression)
        }

        public init(_ statistic: MeanStatistic, regression: RegressionStatistic? = nil) {
            self.init(statistic: .mean(statistic), regression: regression)
        }

        public init(_ statistic: RatioStatistic) {
            self.init(statistic: .ratio(statistic))
        }

        // MARK: Wire

        static let regressionKeys: Set<String> = ["sum_x", "sum_xy", "sum_xx"]

        static func keys(_ metric: Settings.Metric) -> Set<String> {
            switch metric {
            case .proportion: ["n", "conversions"]
            case .mean: ["n", "sum", "sum_squares"]
            case .ratio: ["n", "sum_num", "sum_num_sq", "sum_den", "sum_den_sq", "sum_num_den"]
            }
        }

        /// Decodes an arm whose metric the keys tell (`conversions`, `sum_num` or `sum`), with
        /// regression sums when `sum_x` is present.
        public init(from decoder: any Decoder) throws {
            let object = try WireObject(decoder)
            let metric: Settings.Metric = object.has("conversions") ? .proportion : object.has("sum_num") ? .ratio : .mean
            try self.init(wire: object, metric: metric, isCUPED: object.has("sum_x"))
        }

        /// Decodes an arm of a known metric; with `isCUPED` the regression sums are required,
        /// without it they are unknown keys.
        init(wire arm: WireObject, metric: Settings.Metric, isCUPED: Bool) throws(StatsError) {
            try arm.rejectUnknownKeys(isCUPED ? Self.keys(metric).union(Self.regressionKeys) : Self.keys(metric))
            let path = arm.path
            switch metric {
            case .proportion:
                let s = ProportionStatistic(n: try arm.count("n"), conversions: try arm.count("conversions"))
                try s.validate(arm: path)
                statistic = .proportion(s)
            case .mean:
                let s = MeanStatistic(n: try arm.count("n"), sum: try arm.requiredDouble("sum"), sumSquares: try arm.requiredDouble("sum_squares"))
                try s.validate(arm: path)
                statistic = .mean(s)
            case .ratio:
                let s = RatioStatistic(
                    n: try arm.count("n"), sumNumerator: try arm.requiredDouble("sum_num"),
                    sumNumeratorSquares: try arm.requiredDouble("sum_num_sq"), sumDenominator: try arm.requiredDouble("sum_den"),
                    sumDenominatorSquares: try arm.requiredDouble("sum_den_sq"), sumCrossProducts: try arm.requiredDouble("sum_num_den"))
                try s.validate(arm: path)
                statistic = .ratio(s)
            }
            regression = nil
            guard isCUPED else { return }
            let (sumY, sumYY): (Double, Double)
            switch statistic {
            case .proportion(let s): (sumY, sumYY) = (Double(s.conversions), Double(s.conversions))
            case .mean(let s): (sumY, sumYY) = (s.sum, s.sumSquares)
            case .ratio: return
            }
            func required<T>(_ key: String, _ value: T?) throws(StatsError) -> T {
                guard let value else {
                    throw StatsError(.invalidInput, "\(arm.name(key)): missing (cuped needs sum_x, sum_xy and sum_xx)", field: arm.name(key))
                }
                return value
            }
            let sumX = try required("sum_x", try arm.doubles("sum_x"))
            let sumXY = try required("sum_xy", try arm.doubles("sum_xy"))
            let sumXX = try required("sum_xx", try arm.matrix("sum_xx"))
            do {
                regression = try RegressionStatistic(n: statistic.n, sumY: sumY, sumYY: sumYY, sumX: sumX, sumXY: sumXY, sumXX: sumXX)
            } catch {
                let field = arm.name(error.field ?? "sum_xx")
                throw StatsError(error.code, "\(field): \(error.message)", field: field)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: WireObject.Key.self)
            func put(_ value: some Encodable, _ key: String) throws { try c.encode(value, forKey: .init(key)) }
            switch statistic {
            case .proportion(let s):
                try put(s.n, "n")
                try put(s.conversions, "conversions")
            case .mean(let s):
                try put(s.n, "n")
                try put(s.sum, "sum")
                try put(s.sumSquares, "sum_squares")
            case .ratio(let s):
                try put(s.n, "n")
                try put(s.sumNumerator, "sum_num")
                try put(s.sumNumeratorSquares, "sum_num_sq")
                try put(s.sumDenominator, "sum_den")
                try put(s.sumDenominatorSquares, "sum_den_sq")
                try put(s.sumCrossProducts, "sum_num_den")
            }
            if let r = regression {
                let k = r.covariateCount
                try put(r.sumX, "sum_x")
                try put(r.sumXY, "sum_xy")
                try put((0..<k).map { i in (0..<k).map { j in r.crossProduct(i, j) } }, "sum_xx")
            }
        }
    }
}
