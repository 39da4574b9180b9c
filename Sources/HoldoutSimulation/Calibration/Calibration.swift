import Dispatch
public import HoldoutStats

/// An estimator whose calibration is measured: each is a HoldoutStats test applied to a
/// simulated experiment's per-arm sufficient statistics.
public enum Estimator: String, Sendable, Hashable, Codable, CaseIterable {
    /// Two-proportion z-test (pooled p-value, Wald interval) — conversion metrics only.
    case ztest
    /// Welch's t-test on the per-visitor metric.
    case welch
    /// Regression adjustment (CUPED) on the scenario's covariates, z inference.
    case cuped
    /// Always-valid confidence sequence (tuning τ = 5,000): safe to look at every interim.
    case sequential
    /// Normal–normal posterior with a flat prior; "rejects" when the credible interval excludes 0.
    case bayesian

    /// Whether the estimator applies to a metric (the z-test needs a binary outcome).
    public func applies(to metric: MetricMode.Metric) -> Bool {
        self != .ztest || metric == .conversionRate
    }
}

/// Monte-Carlo calibration of an estimator on a scenario: simulate many experiments whose true
/// effect is known, analyse each, and measure how often the interval covers the truth, the
/// bias and RMSE of the estimate, and how often the test rejects — with Monte-Carlo standard
/// errors.
///
/// Run r simulates `visitorsPerRun` visitors with seed SplitMix64(seed + r·φ) (φ the 64-bit
/// golden ratio), so every run is reproducible alone. The truth of a run is its population
/// effect: the mean CATE of its visitors (``Truth/Sums/contrastEffects``), the quantity the
/// difference in means estimates. With `looks` L > 1 the experiment is analysed after
/// ⌈l·N/L⌉ visitors for l = 1…L and it counts as a rejection when any look rejects (what
/// happens when a dashboard is checked daily); coverage, bias and RMSE are those of the final
/// look.
///
/// Monte-Carlo standard errors over R analysed runs: coverage and rejection √(q(1−q)/R); bias
/// sd(error)/√R; RMSE by the delta method sd(error²)/(2·RMSE·√R).
public struct Calibration: Sendable {
    public struct Settings: Sendable, Hashable {
        public var runs: Int
        public var visitorsPerRun: Int
        public var seed: UInt64
        public var looks: Int
        public var alpha: Double
        /// The sequential test's tuning sample size τ.
        public var tuning: Double

        public init(runs: Int, visitorsPerRun: Int, seed: UInt64, looks: Int = 1, alpha: Double = 0.05, tuning: Double = SequentialTest.defaultTuning) {
            self.runs = runs
            self.visitorsPerRun = visitorsPerRun
            self.seed = seed
            self.looks = looks
            self.alpha = alpha
            self.tuning = tuning
        }

        /// - Throws: ``SimulationError`` naming the setting.
        public func validate() throws(SimulationError) {
            guard runs >= 2 else { throw SimulationError("runs must be at least 2 (for a Monte-Carlo standard error), got \(runs)") }
            guard visitorsPerRun >= 4 else { throw SimulationError("visitors per run must be at least 4, got \(visitorsPerRun)") }
            guard looks >= 1, looks <= visitorsPerRun else { throw SimulationError("looks must be in 1…visitors per run (\(visitorsPerRun)), got \(looks)") }
            guard alpha > 0, alpha < 1 else { throw SimulationError("alpha must be in (0, 1), got \(alpha)") }
            guard tuning.isFinite, tuning > 0 else { throw SimulationError("tuning must be positive, got \(tuning)") }
        }
    }

    /// The calibration of one estimator on one contrast of a scenario.
    public struct Row: Sendable, Hashable, Codable {
        public var scenario: String
        public var metric: String
        public var estimator: String
        /// The variant compared with control (`treatment`, `treatment_k`).
        public var contrast: String
        public var runs: Int
        /// Runs with a usable interval (the others had insufficient data).
        public var analysed: Int
        public var visitorsPerRun: Int
        public var looks: Int
        public var alpha: Double
        /// The mean over runs of each run's true effect.
        public var trueEffect: Double
        /// Whether every visitor's effect is exactly 0: rejections are then Type I errors.
        public var isNull: Bool
        public var coverage: Double
        public var coverageSE: Double
        public var bias: Double
        public var biasSE: Double
        public var rmse: Double
        public var rmseSE: Double
        public var rejectionRate: Double
        public var rejectionSE: Double
        /// The mean width of the final interval.
        public var meanWidth: Double

        enum CodingKeys: String, CodingKey {
            case scenario, metric, estimator, contrast, runs, analysed, looks, alpha, coverage, bias, rmse
            case visitorsPerRun = "visitors_per_run"
            case trueEffect = "true_effect"
            case isNull = "is_null"
            case coverageSE = "coverage_se"
            case biasSE = "bias_se"
            case rmseSE = "rmse_se"
            case rejectionRate = "rejection_rate"
            case rejectionSE = "rejection_se"
            case meanWidth = "mean_ci_width"
        }

        /// `type_i` on a null scenario, `power` otherwise.
        public var rejectionKind: String { isNull ? "type_i" : "power" }
    }

    public let config: SimulationConfig
    public let settings: Settings
    public let estimators: [Estimator]

    /// - Throws: ``SimulationError`` for invalid settings, an estimator that does not apply to
    ///   the scenario's metric, or covariates CUPED cannot use.
    public init(config: SimulationConfig, estimators: [Estimator], settings: Settings) throws(SimulationError) {
        try settings.validate()
        guard !estimators.isEmpty else { throw SimulationError("choose at least one estimator") }
        for e in estimators where !e.applies(to: config.mode.metric) {
            throw SimulationError(
                "\(e.rawValue) compares proportions; scenario '\(config.name)' measures \(config.mode.metric.rawValue) — use welch, cuped, sequential or bayesian"
            )
        }
        if estimators.contains(.cuped), config.covariates.isEmpty {
            throw SimulationError("cuped needs covariates; scenario '\(config.name)' has no continuous features (set calibration.covariates in its config)")
        }
        self.config = config
        self.settings = settings
        self.estimators = estimators
    }

    /// The seed of run r.
    public static func runSeed(_ seed: UInt64, run r: Int) -> UInt64 {
        var z = seed &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15 &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// What one run gave for one estimator and contrast.
    struct Outcome: Sendable {
        var estimate: Double?
        var low: Double?
        var high: Double?
        var rejected: Bool
        var truth: Double
        var isNull: Bool
    }

    /// Runs the calibration on `parallelism` threads; `progress` is called (from worker
    /// threads) with the number of finished runs.
    public func run(parallelism: Int = Simulator.defaultParallelism, progress: (@Sendable (Int) -> Void)? = nil) throws -> [Row] {
        let k = config.mode.levels
        let runs = settings.runs
        let slots = Slots<[[Outcome]]>(count: runs)
        let counter = Counter()
        let workers = max(1, parallelism)
        let calibration = self
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var r = worker
            while r < runs {
                slots.set(r, Result { try calibration.analyse(run: r) })
                let done = counter.increment()
                progress?(done)
                r += workers
            }
        }
        var rows: [Row] = []
        var outcomes: [[[Outcome]]] = []
        for r in 0..<runs { outcomes.append(try slots.get(r)) }
        for (e, estimator) in estimators.enumerated() {
            for contrast in 1..<k {
                let list = outcomes.map { $0[e][contrast - 1] }
                rows.append(
                    Self.summarize(
                        list, scenario: config.name, metric: config.mode.metric.rawValue, estimator: estimator.rawValue,
                        contrast: Observation.variantName(level: contrast, levels: k), settings: settings))
            }
        }
        return rows
    }

    static func summarize(_ list: [Outcome], scenario: String, metric: String, estimator: String, contrast: String, settings: Settings) -> Row {
        let usable = list.filter { $0.estimate != nil && $0.low != nil && $0.high != nil }
        let r = Double(usable.count)
        let errors = usable.map { $0.estimate! - $0.truth }
        let covered = usable.filter { $0.low! <= $0.truth && $0.truth <= $0.high! }.count
        let rejected = list.filter(\.rejected).count
        func meanAndSD(_ xs: [Double]) -> (Double, Double) {
            guard !xs.isEmpty else { return (0, 0) }
            let m = xs.reduce(0, +) / Double(xs.count)
            guard xs.count > 1 else { return (m, 0) }
            let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
            return (m, v.squareRoot())
        }
        let (bias, errorSD) = meanAndSD(errors)
        let (mse, squareSD) = meanAndSD(errors.map { $0 * $0 })
        let rmse = mse.squareRoot()
        let coverage = r > 0 ? Double(covered) / r : 0
        let n = Double(list.count)
        let rejection = n > 0 ? Double(rejected) / n : 0
        return Row(
            scenario: scenario, metric: metric, estimator: estimator, contrast: contrast, runs: list.count, analysed: usable.count,
            visitorsPerRun: settings.visitorsPerRun, looks: settings.looks, alpha: settings.alpha,
            trueEffect: list.isEmpty ? 0 : list.reduce(0) { $0 + $1.truth } / n, isNull: list.allSatisfy(\.isNull),
            coverage: coverage, coverageSE: r > 0 ? (coverage * (1 - coverage) / r).squareRoot() : 0,
            bias: bias, biasSE: r > 0 ? errorSD / r.squareRoot() : 0,
            rmse: rmse, rmseSE: rmse > 0 && r > 0 ? squareSD / (2 * rmse * r.squareRoot()) : 0,
            rejectionRate: rejection, rejectionSE: n > 0 ? (rejection * (1 - rejection) / n).squareRoot() : 0,
            meanWidth: usable.isEmpty ? 0 : usable.reduce(0) { $0 + ($1.high! - $1.low!) } / r)
    }

    /// Per-arm running statistics of one run.
    struct Arms {
        var proportion: [ProportionStatistic]
        var mean: [MeanStatistic]
        var regression: [RegressionStatistic]
    }

    /// Simulates run r and applies every estimator at every look: [estimator][contrast − 1].
    func analyse(run r: Int) throws -> [[Outcome]] {
        let k = config.mode.levels
        let n = settings.visitorsPerRun
        let simulator = Simulator(config)
        let covariateIndex = config.covariates.map { name in config.sampler.features.firstIndex { $0.name == name }! }
        let boundaries = (1...settings.looks).map { l in (l * n + settings.looks - 1) / settings.looks }
        var arms = Arms(
            proportion: Array(repeating: ProportionStatistic(n: 0, conversions: 0), count: k),
            mean: Array(repeating: MeanStatistic(), count: k),
            regression: Array(repeating: RegressionStatistic(covariateCount: covariateIndex.count), count: k))
        var truthSums = [Double](repeating: 0, count: k - 1)
        var maxAbsCATE = 0.0
        var rejected = [[Bool]](repeating: [Bool](repeating: false, count: k - 1), count: estimators.count)
        var final = [[Outcome]]()
        let streams = Simulator.streams(seed: Self.runSeed(settings.seed, run: r), chunks: (n + Simulator.chunkSize - 1) / Simulator.chunkSize)
        var look = 0
        var x = [Double](repeating: 0, count: covariateIndex.count)
        var seen = 0
        let isHurdle = config.mode.metric == .revenuePerVisitor
        for c in streams.indices {
            var g = streams[c]
            let offset = c * Simulator.chunkSize
            let chunk = try simulator.generate(index: c, offset: offset, count: min(Simulator.chunkSize, n - offset), using: &g)
            let columns = covariateIndex.map { chunk.features.numericColumn(chunk.features.specs[$0].name) }
            for i in 0..<chunk.count {
                let level = chunk.observation.level[i]
                let converted = chunk.observation.converted[i]
                let y = isHurdle ? chunk.observation.revenue[i] : (converted ? 1.0 : 0.0)
                arms.proportion[level].n += 1
                if converted { arms.proportion[level].conversions += 1 }
                arms.mean[level].add(y)
                if estimators.contains(.cuped) {
                    for j in x.indices { x[j] = columns[j][i] }
                    arms.regression[level].add(y: y, x: x)
                }
                for j in 0..<(k - 1) {
                    let cate = chunk.truth.contrasts[j][i]
                    truthSums[j] += cate
                    maxAbsCATE = max(maxAbsCATE, abs(cate))
                }
                seen += 1
                if seen == boundaries[look] {
                    let isLast = look == boundaries.count - 1
                    var outcomes: [[Outcome]] = []
                    for (e, estimator) in estimators.enumerated() {
                        var perContrast: [Outcome] = []
                        for j in 1..<k {
                            let comparison = try Self.apply(estimator, arms: arms, level: j, metric: config.mode.metric, settings: settings)
                            let rejects = !comparison.insufficientData && (comparison.pValue.map { $0 < settings.alpha } ?? comparison.isSignificant)
                            if rejects { rejected[e][j - 1] = true }
                            perContrast.append(
                                Outcome(
                                    estimate: comparison.insufficientData ? nil : comparison.upliftAbs,
                                    low: comparison.insufficientData ? nil : comparison.ciLow,
                                    high: comparison.insufficientData ? nil : comparison.ciHigh,
                                    rejected: false, truth: truthSums[j - 1] / Double(seen), isNull: false))
                        }
                        outcomes.append(perContrast)
                    }
                    if isLast { final = outcomes }
                    look += 1
                }
            }
        }
        for e in final.indices {
            for j in final[e].indices {
                final[e][j].rejected = rejected[e][j]
                final[e][j].isNull = maxAbsCATE == 0
            }
        }
        return final
    }

    /// One estimator on control vs level j, through HoldoutStats' one analysis entry point.
    static func apply(_ estimator: Estimator, arms: Arms, level j: Int, metric: MetricMode.Metric, settings: Settings) throws(StatsError) -> Comparison {
        let analysis = estimator.analysisSettings(metric: metric, alpha: settings.alpha, tuning: settings.tuning)
        let control: Analysis.Arm
        let treatment: Analysis.Arm
        switch analysis.metric {
        case .proportion:
            (control, treatment) = (Analysis.Arm(arms.proportion[0]), Analysis.Arm(arms.proportion[j]))
        case .mean, .ratio:
            let isCUPED = analysis.isCUPED
            control = Analysis.Arm(arms.mean[0], regression: isCUPED ? arms.regression[0] : nil)
            treatment = Analysis.Arm(arms.mean[j], regression: isCUPED ? arms.regression[j] : nil)
        }
        let result = try Analysis.compare(control: control, treatments: [treatment], settings: analysis).treatments[0]
        if analysis.isCUPED, let cuped = result.cuped { return cuped.comparison }
        return result.comparison
    }
}

extension Estimator {
    /// The analysis settings the estimator stands for: the z-test is the proportion metric, the
    /// others the per-visitor mean (sequential and Bayesian on the conversion indicator's
    /// proportion for conversion metrics), CUPED the mean with regression adjustment.
    public func analysisSettings(metric: MetricMode.Metric, alpha: Double, tuning: Double) -> Analysis.Settings {
        let isConversion = metric == .conversionRate
        switch self {
        case .ztest: return Analysis.Settings(metric: .proportion, alpha: alpha)
        case .welch: return Analysis.Settings(metric: .mean, alpha: alpha)
        case .cuped: return Analysis.Settings(metric: .mean, alpha: alpha, isCUPED: true)
        case .sequential: return Analysis.Settings(metric: isConversion ? .proportion : .mean, method: .sequential, alpha: alpha, tuning: tuning)
        case .bayesian: return Analysis.Settings(metric: isConversion ? .proportion : .mean, method: .bayesian, alpha: alpha)
        }
    }
}

/// A thread-safe counter of finished runs.
/// @unchecked Sendable: the count is only touched under the lock.
final class Counter: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var count = 0

    func increment() -> Int {
        lock.wait()
        defer { lock.signal() }
        count += 1
        return count
    }
}
