import Dispatch

/// A geo analysis whose calibration is measured, and the truth it is compared with.
public enum GeoEstimator: String, Sendable, Hashable, Codable, CaseIterable {
    /// ``GeoAnalysis/tbr(panel:assignment:periods:level:tails:)``: cumulative incremental response.
    case tbr
    /// ``GeoAnalysis/did(panel:assignment:periods:level:tails:)``: cumulative incremental response.
    case did
    /// ``GeoAnalysis/scm(panel:assignment:periods:level:tails:ridge:permutations:seed:)``: cumulative incremental response.
    case scm
    /// ``GeoAnalysis/trimmedMatch(panel:assignment:periods:level:tails:trimRate:maxTrimRate:)``: the iROAS.
    case trimmedMatch = "trimmed-match"

    /// What the estimate and its truth are: `incremental_response` or `iroas`.
    public var target: String { self == .trimmedMatch ? "iroas" : "incremental_response" }

    /// Why the estimator cannot run on `scenario`, or `nil` when it can.
    public func inapplicability(to scenario: GeoScenario) -> String? {
        guard self == .trimmedMatch else { return nil }
        if !scenario.hasSpend { return "trimmed match estimates iROAS and needs spend; scenario '\(scenario.name)' has none (try geo-spend)" }
        if scenario.design != .matchedPairs {
            return "trimmed match needs a matched-pairs design; scenario '\(scenario.name)' uses \(scenario.design.rawValue)"
        }
        return nil
    }
}

/// Monte-Carlo calibration of the geo analyses on simulated panels (``GeoPanelGenerator``),
/// with the conventions of HoldoutSimulation's A/B `Calibration`: run r uses the seed
/// SplitMix64(seed + (r + 1)·φ); each estimator's two-sided interval at level 1 − α is checked
/// against the run's truth — the cumulative incremental response over the test days for TBR,
/// DiD and SCM, the iROAS for trimmed match (``SimulatedGeoExperiment/Truth``) — and a run
/// rejects when the estimator's p-value is below α.
///
/// Monte-Carlo standard errors over R analysed runs: coverage and rejection √(q(1−q)/R); bias
/// sd(error)/√R; RMSE by the delta method sd(error²)/(2·RMSE·√R). A run whose analysis throws
/// (e.g. SCM's conformal interval unbounded) is counted in `runs` but not in `analysed`.
public struct GeoCalibration: Sendable {
    public struct Settings: Sendable, Hashable {
        public var runs: Int
        public var seed: UInt64
        public var alpha: Double
        /// SCM's conformal permutations per run.
        public var permutations: Int

        public init(runs: Int, seed: UInt64, alpha: Double = 0.05, permutations: Int = 199) {
            self.runs = runs
            self.seed = seed
            self.alpha = alpha
            self.permutations = permutations
        }

        /// - Throws: ``GeoError`` `invalid_input` naming the setting.
        public func validate() throws(GeoError) {
            guard (2...1_000_000).contains(runs) else {
                throw GeoError(.invalidInput, "runs must be in 2…1,000,000 (2 for a Monte-Carlo standard error), got \(runs)")
            }
            guard alpha > 0, alpha < 1 else { throw GeoError(.invalidInput, "alpha must be in (0, 1), got \(alpha)") }
            guard (19...100_000).contains(permutations) else { throw GeoError(.invalidInput, "permutations must be in 19…100,000, got \(permutations)") }
        }
    }

    /// The calibration of one estimator on one scenario; keys as the A/B calibration's rows,
    /// with `geos, pre_days, test_days, design` in place of `visitors_per_run, looks`.
    public struct Row: Sendable, Hashable, Codable {
        public var scenario: String
        /// What is estimated: `incremental_response` or `iroas`.
        public var metric: String
        public var estimator: String
        public var contrast: String
        public var design: String
        public var runs: Int
        public var analysed: Int
        public var geos: Int
        public var preDays: Int
        public var testDays: Int
        public var alpha: Double
        public var trueEffect: Double
        public var isNull: Bool
        public var coverage: Double
        public var coverageSE: Double
        public var bias: Double
        public var biasSE: Double
        public var rmse: Double
        public var rmseSE: Double
        public var rejectionRate: Double
        public var rejectionSE: Double
        public var meanWidth: Double

        enum CodingKeys: String, CodingKey {
            case scenario, metric, estimator, contrast, design, runs, analysed, geos, alpha, coverage, bias, rmse
            case preDays = "pre_days"
            case testDays = "test_days"
            case trueEffect = "true_effect"
            case isNull = "is_null"
            case coverageSE = "coverage_se"
            case biasSE = "bias_se"
            case rmseSE = "rmse_se"
            case rejectionRate = "rejection_rate"
            case rejectionSE = "rejection_se"
            case meanWidth = "mean_ci_width"
        }
    }

    /// What one run gave for one estimator.
    public struct Outcome: Sendable, Hashable {
        public var estimate: Double?
        public var low: Double?
        public var high: Double?
        public var rejected: Bool
        public var truth: Double
    }

    public let scenario: GeoScenario
    public let estimators: [GeoEstimator]
    public let settings: Settings
    let generator: GeoPanelGenerator

    /// - Throws: ``GeoError`` for invalid settings or an estimator that cannot run on the scenario.
    public init(scenario: GeoScenario, estimators: [GeoEstimator], settings: Settings) throws(GeoError) {
        try settings.validate()
        guard !estimators.isEmpty else { throw GeoError(.invalidInput, "choose at least one estimator") }
        for e in estimators {
            if let reason = e.inapplicability(to: scenario) { throw GeoError(.invalidInput, reason) }
        }
        self.generator = try GeoPanelGenerator(scenario)
        self.scenario = scenario
        self.estimators = estimators
        self.settings = settings
    }

    /// The seed of run r (as HoldoutSimulation's `Calibration.runSeed`).
    public static func runSeed(_ seed: UInt64, run r: Int) -> UInt64 {
        var z = seed &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15 &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Runs the calibration on `parallelism` threads; `progress` is called (from worker
    /// threads) with the number of finished runs.
    /// - Throws: ``GeoError`` when a run's panel cannot be generated.
    public func run(parallelism: Int = 2, progress: (@Sendable (Int) -> Void)? = nil) throws(GeoError) -> [Row] {
        let outcomes = try Self.parallel(runs: settings.runs, parallelism: parallelism, progress: progress) { r throws(GeoError) in
            try self.analyse(run: r)
        }
        return estimators.enumerated().map { e, estimator in
            Self.summarize(outcomes.map { $0[e] }, scenario: scenario, estimator: estimator, alpha: settings.alpha)
        }
    }

    /// Generates run r and applies every estimator.
    public func analyse(run r: Int) throws(GeoError) -> [Outcome] {
        let seed = Self.runSeed(settings.seed, run: r)
        let run = try generator.experiment(seed: seed)
        let level = 1 - settings.alpha
        return estimators.map { estimator in
            let truth = estimator == .trimmedMatch ? (run.truth.iroas ?? 0) : run.truth.incremental
            do {
                let (estimate, low, high, p): (Double, Double, Double?, Double)
                switch estimator {
                case .tbr:
                    let e = try GeoAnalysis.tbr(panel: run.panel, assignment: run.assignment, periods: run.periods, level: level).estimate
                    (estimate, low, high, p) = (e.incremental, e.ciLow, e.ciHigh, e.pValue)
                case .did:
                    let e = try GeoAnalysis.did(panel: run.panel, assignment: run.assignment, periods: run.periods, level: level).estimate
                    (estimate, low, high, p) = (e.incremental, e.ciLow, e.ciHigh, e.pValue)
                case .scm:
                    let e = try GeoAnalysis.scm(
                        panel: run.panel, assignment: run.assignment, periods: run.periods, level: level, permutations: settings.permutations, seed: seed
                    ).estimate
                    (estimate, low, high, p) = (e.incremental, e.ciLow, e.ciHigh, e.pValue)
                case .trimmedMatch:
                    let e = try GeoAnalysis.trimmedMatch(panel: run.panel, assignment: run.assignment, periods: run.periods, level: level)
                    (estimate, low, high, p) = (e.iroas, e.ciLow, e.ciHigh, e.pValue)
                }
                return Outcome(estimate: estimate, low: low, high: high, rejected: p < settings.alpha, truth: truth)
            } catch {
                return Outcome(estimate: nil, low: nil, high: nil, rejected: false, truth: truth)
            }
        }
    }

    static func summarize(_ list: [Outcome], scenario: GeoScenario, estimator: GeoEstimator, alpha: Double) -> Row {
        var usable: [(estimate: Double, low: Double, high: Double, truth: Double)] = []
        for o in list {
            if let e = o.estimate, let l = o.low, let h = o.high { usable.append((e, l, h, o.truth)) }
        }
        let r = Double(usable.count)
        let errors = usable.map { $0.estimate - $0.truth }
        let covered = usable.filter { $0.low <= $0.truth && $0.truth <= $0.high }.count
        let (bias, errorSD) = meanAndSD(errors)
        let (mse, squareSD) = meanAndSD(errors.map { $0 * $0 })
        let rmse = mse.squareRoot()
        let coverage = r > 0 ? Double(covered) / r : 0
        let n = Double(list.count)
        let rejection = n > 0 ? Double(list.filter(\.rejected).count) / n : 0
        return Row(
            scenario: scenario.name, metric: estimator.target, estimator: estimator.rawValue, contrast: "treatment", design: scenario.design.rawValue,
            runs: list.count, analysed: usable.count, geos: scenario.geos, preDays: scenario.preDays, testDays: scenario.testDays, alpha: alpha,
            trueEffect: list.isEmpty ? 0 : list.reduce(0) { $0 + $1.truth } / n, isNull: scenario.isNull,
            coverage: coverage, coverageSE: r > 0 ? (coverage * (1 - coverage) / r).squareRoot() : 0,
            bias: bias, biasSE: r > 0 ? errorSD / r.squareRoot() : 0,
            rmse: rmse, rmseSE: rmse > 0 && r > 0 ? squareSD / (2 * rmse * r.squareRoot()) : 0,
            rejectionRate: rejection, rejectionSE: n > 0 ? (rejection * (1 - rejection) / n).squareRoot() : 0,
            meanWidth: usable.isEmpty ? 0 : usable.reduce(0) { $0 + ($1.high - $1.low) } / r)
    }

    /// Mean and sample standard deviation (0 for fewer than 2 values).
    static func meanAndSD(_ xs: [Double]) -> (mean: Double, sd: Double) {
        guard !xs.isEmpty else { return (0, 0) }
        let m = xs.reduce(0, +) / Double(xs.count)
        guard xs.count > 1 else { return (m, 0) }
        let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
        return (m, v.squareRoot())
    }

    /// `body(r)` for r in 0..<runs on `parallelism` threads, results in run order.
    static func parallel<T: Sendable>(
        runs: Int, parallelism: Int, progress: (@Sendable (Int) -> Void)?, _ body: @Sendable (Int) throws(GeoError) -> T
    ) throws(GeoError) -> [T] {
        let slots = ResultSlots<T>(count: runs)
        let workers = max(1, min(parallelism, runs))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var r = worker
            while r < runs {
                let result: Result<T, GeoError>
                do throws(GeoError) { result = .success(try body(r)) } catch { result = .failure(error) }
                let done = slots.set(r, result)
                progress?(done)
                r += workers
            }
        }
        return try slots.values()
    }
}

/// Results written by worker threads, one slot per run.
/// @unchecked Sendable: the slots and the count are only touched under the lock.
final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var slots: [Result<T, GeoError>?]
    private var done = 0

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// Stores run r's result; returns the number of finished runs.
    func set(_ r: Int, _ result: Result<T, GeoError>) -> Int {
        lock.wait()
        defer { lock.signal() }
        slots[r] = result
        done += 1
        return done
    }

    func values() throws(GeoError) -> [T] {
        lock.wait()
        defer { lock.signal() }
        var out: [T] = []
        out.reserveCapacity(slots.count)
        for slot in slots {
            switch slot {
            case .success(let value)?: out.append(value)
            case .failure(let error)?: throw error
            case nil: throw GeoError(.invalidInput, "a calibration run did not finish")
            }
        }
        return out
    }
}
